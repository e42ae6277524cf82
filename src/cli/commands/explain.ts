import { parseArgs } from 'node:util';
import { SextantError } from '../../errors.js';
import { openStore } from '../../store/db.js';
import { sqlTraceRepository } from '../../store/traces.js';
import { explainTrace } from '../../trace/explain.js';
import type { Command } from './command.js';

const USAGE = `Usage: sextant explain <run-id> [--trim <chars>] [--json]

Prints a run as a timeline: each step, what the model was shown and chose and why, tool inputs
and outputs, checks, limit and loop events, cost, and why the run stopped. <run-id> is a run id,
a trace id, or a unique prefix of either. Reads SEXTANT_DATABASE_URL or ./.sextant/sextant.db.`;

export const explainCommand: Command = {
  summary: 'Explain a run: a readable timeline of its decisions, tools, checks, cost and stop',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { trim: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help || positionals.length !== 1) {
      console.log(USAGE);
      return values.help ? 0 : 1;
    }
    const trimChars = values.trim === undefined ? undefined : Number(values.trim);
    if (trimChars !== undefined && !(Number.isInteger(trimChars) && trimChars > 10)) {
      throw new SextantError('CONFIG_INVALID', `--trim must be an integer above 10, got "${values.trim}"`);
    }
    const store = await openStore();
    try {
      const found = await sqlTraceRepository(store).get(positionals[0]);
      if (!found) throw new SextantError('NOT_FOUND', `No run or trace "${positionals[0]}" in ${store.location} (see \`sextant traces\`)`);
      console.log(values.json ? JSON.stringify(found, null, 2) : explainTrace({ ...found, trimChars }));
      return 0;
    } finally {
      await store.close();
    }
  },
};
