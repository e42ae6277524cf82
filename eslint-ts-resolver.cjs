/**
 * An import resolver (eslint-plugin-import's interface, version 2) for this repository's sources:
 * an ESM import names the emitted file (`./types.js`) while the file on disk is `./types.ts`.
 * eslint-plugin-boundaries needs the real path to tell which folder an import lands in, and the
 * node resolver it ships cannot make that step. Packages are left to the node resolver.
 */
const { existsSync, statSync } = require('node:fs');
const { dirname, resolve } = require('node:path');

const isFile = (path) => existsSync(path) && statSync(path).isFile();

exports.interfaceVersion = 2;

exports.resolve = (source, file) => {
  if (!source.startsWith('.')) return { found: false };
  const target = resolve(dirname(file), source);
  const candidates = [target.replace(/\.js$/, '.ts'), target, `${target}.ts`, `${target}/index.ts`];
  const path = candidates.find(isFile);
  return path ? { found: true, path } : { found: false };
};
