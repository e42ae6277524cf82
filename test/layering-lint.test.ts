import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// The repository's own eslint.config.js, as `npm run lint` runs it.
const eslint = new ESLint({ cwd: fileURLToPath(new URL('..', import.meta.url)) });

async function boundaryErrors(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.filter((m) => m.ruleId === 'boundaries/dependencies' && m.severity === 2).map((m) => m.message);
}

describe('the layering lint', () => {
  it('rejects an upward import: model importing the agent', async () => {
    const errors = await boundaryErrors('src/model/upward.ts', "import { defineAgent } from '../agent/define-agent.js';\nexport const x = defineAgent;\n");
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/"model".*"agent"|"agent".*"model"/);
  });

  it('rejects a type-only import between siblings: security importing cache', async () => {
    const errors = await boundaryErrors('src/security/sideways.ts', "import type { CacheOptions } from '../cache/cache.js';\nexport type X = CacheOptions;\n");
    expect(errors).toHaveLength(1);
  });

  it('accepts downward imports: the gateway importing store, model and the loose root files', async () => {
    const code = [
      "import { openStore } from '../store/db.js';",
      "import type { Model } from '../model/model.js';",
      "import { SextantError } from '../errors.js';",
      'export type X = Model;',
      'export const x = [openStore, SextantError];',
    ].join('\n');
    expect(await boundaryErrors('src/gateway/downward.ts', code)).toEqual([]);
  });

  it('lets a test of a low layer use the provider stand-ins in testing/, but not its code', async () => {
    const code = "import { createFakeUpstream } from '../testing/index.js';\nexport const x = createFakeUpstream;\n";
    expect(await boundaryErrors('src/model/stand-in.test.ts', code)).toEqual([]);
    expect(await boundaryErrors('src/model/stand-in.ts', code)).toHaveLength(1);
  });
});
