#!/usr/bin/env node
// The built CLI (dist/, made by `npm run build`, which `npm install` runs) starts fastest. A
// checkout without a build runs the TypeScript source through tsx, which compiles on first use.
import { existsSync } from 'node:fs';

const built = new URL('../dist/cli/index.js', import.meta.url);
let main;
if (existsSync(built)) ({ main } = await import(built.href));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import(new URL('../src/cli/index.ts', import.meta.url).href));
}
process.exitCode = await main(process.argv.slice(2));
