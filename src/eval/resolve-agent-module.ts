import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SextantError } from '../errors.js';

/** Module files a folder resolves to, in order. */
const ENTRY_FILES = ['index.ts', 'agent.ts', 'index.js', 'agent.js', 'index.mjs', 'agent.mjs'];

/**
 * The module file for a path: the file itself, or a folder's entry file. Kept apart from the
 * loader (and its imports) so that `sextant run` can check the path before loading anything.
 */
export function resolveAgentModule(path: string): string {
  const full = resolve(path);
  if (!existsSync(full)) throw new SextantError('NOT_FOUND', `No agent module at ${full}`, { context: { path } });
  if (!statSync(full).isDirectory()) return full;
  const entry = ENTRY_FILES.map((f) => join(full, f)).find((f) => existsSync(f));
  if (!entry) throw new SextantError('NOT_FOUND', `The folder ${full} has no ${ENTRY_FILES.join(' or ')}`, { context: { path } });
  return entry;
}
