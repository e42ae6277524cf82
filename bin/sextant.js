#!/usr/bin/env node
// The built CLI (dist/, made by `npm run build`, which `npm install` runs) starts fastest. A
// checkout whose source is newer than its build (or that has none) runs the TypeScript source
// through tsx, which compiles on first use: an edited checkout never runs a stale build.
import { existsSync, readdirSync, statSync } from 'node:fs';

const built = new URL('../dist/cli/index.js', import.meta.url);
const source = new URL('../src/', import.meta.url);

/** Whether any file under `dir` changed after `since` (ms). */
function changedAfter(dir, since) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = new URL(entry.name + (entry.isDirectory() ? '/' : ''), dir);
    if (entry.isDirectory() ? changedAfter(path, since) : statSync(path).mtimeMs > since) return true;
  }
  return false;
}

const useBuild = existsSync(built) && !(existsSync(source) && changedAfter(source, statSync(built).mtimeMs));
let main;
if (useBuild) ({ main } = await import(built.href));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(new URL('../src/cli/index.ts', import.meta.url).href));
}
process.exitCode = await main(process.argv.slice(2));
