import { transform } from 'esbuild';
import { SextantError } from '../../errors.js';

/**
 * Turns generated JavaScript or TypeScript into one plain script for QuickJS: types stripped,
 * `import`/`export` rewritten into a closed function scope (an `import` then fails inside the
 * sandbox, where there is no `require`, instead of reaching the host's modules).
 */
export async function toSandboxScript(source: string, language: 'javascript' | 'typescript'): Promise<string> {
  try {
    const out = await transform(source, { loader: language === 'typescript' ? 'ts' : 'js', format: 'cjs', target: 'es2020', logLevel: 'silent' });
    return out.code;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new SextantError('SANDBOX_ERROR', `the generated ${language} does not parse: ${message}`, { context: { language } });
  }
}
