import { SextantError } from '../../errors.js';
import { openStore } from '../../store/db.js';
import { sqlTraceRepository } from '../../store/traces.js';
import { explainTrace } from '../../trace/explain.js';

export interface ExplainCommandOptions {
  trim?: string;
  json?: boolean;
}

/** `sextant explain`: a run (or trace) as a readable timeline. */
export async function explainCommand(id: string, options: ExplainCommandOptions): Promise<number> {
  const trimChars = options.trim === undefined ? undefined : Number(options.trim);
  if (trimChars !== undefined && !(Number.isInteger(trimChars) && trimChars > 10)) {
    throw new SextantError('CONFIG_INVALID', `--trim must be an integer above 10, got "${options.trim}"`);
  }
  const store = await openStore();
  try {
    const found = await sqlTraceRepository(store).get(id);
    if (!found) throw new SextantError('NOT_FOUND', `No run or trace "${id}" in ${store.location} (see \`sextant traces\`)`);
    console.log(options.json ? JSON.stringify(found, null, 2) : explainTrace({ ...found, trimChars }));
    return 0;
  } finally {
    await store.close();
  }
}
