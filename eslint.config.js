import { fileURLToPath } from 'node:url';
import js from '@eslint/js';
import boundaries from 'eslint-plugin-boundaries';
import tseslint from 'typescript-eslint';

/**
 * The layering of src/, lowest first: a folder imports only from the rows below its own. Folders
 * in one row are siblings and import none of each other (the agent and the gateway are two fronts
 * on the same pipeline; security, cache and trace are pipeline features that persist through store).
 * `root` is the loose files (errors, defaults, canonical-json, bundle-module); `testing` holds the
 * provider stand-ins, which only need the model layer. src/index.ts, the package entry, may import
 * anything, and a test of any layer may use the stand-ins.
 */
const LAYERS = [
  ['root'],
  ['model'],
  ['testing'],
  ['pipeline'],
  ['store'],
  ['security', 'cache', 'trace'],
  ['tools', 'checks'],
  ['knowledge'],
  ['agent', 'gateway'],
  ['eval'],
  ['cli'],
];

const layerPolicies = LAYERS.flatMap((row, index) => {
  const below = LAYERS.slice(0, index).flat();
  return below.length ? [{ from: { element: { type: row } }, allow: { to: { element: { type: below } } } }] : [];
});

export default tseslint.config(
  { ignores: ['dist/**', '.prof/**', 'node_modules/**', 'ui/dist/**', '.sextant/**', 'coverage/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      globals: {
        process: 'readonly',
        console: 'readonly',
        setTimeout: 'readonly',
        clearTimeout: 'readonly',
        URL: 'readonly',
        AbortController: 'readonly',
        AbortSignal: 'readonly',
        TextEncoder: 'readonly',
        TextDecoder: 'readonly',
        fetch: 'readonly',
        Buffer: 'readonly',
      },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' }],
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    // CommonJS because eslint-plugin-import's resolver loader require()s it.
    files: ['eslint-ts-resolver.cjs'],
    languageOptions: { sourceType: 'commonjs', globals: { require: 'readonly', exports: 'writable' } },
    rules: { '@typescript-eslint/no-require-imports': 'off' },
  },
  {
    files: ['src/**/*.ts'],
    plugins: { boundaries },
    settings: {
      // Imports name `.js` files that are `.ts` on disk: the local resolver maps them, the node one resolves packages.
      'import/resolver': { [fileURLToPath(new URL('./eslint-ts-resolver.cjs', import.meta.url))]: {}, node: {} },
      // The first descriptor that matches wins: each folder, then src/ itself for the loose files.
      'boundaries/elements': [
        ...LAYERS.flat()
          .filter((type) => type !== 'root')
          .map((type) => ({ type, pattern: `src/${type}`, partialMatch: false })),
        { type: 'root', pattern: 'src', partialMatch: false },
      ],
      'boundaries/files': [
        { category: 'entry', pattern: 'src/index.ts' },
        { category: 'test', pattern: '**/*.test.ts' },
      ],
    },
    rules: {
      'boundaries/dependencies': [
        'error',
        {
          default: 'disallow',
          policies: [
            { from: { file: { categories: 'entry' } }, allow: { to: { element: { type: '*' } } } },
            ...layerPolicies,
            { from: { file: { categories: 'test' } }, allow: { to: { element: { type: 'testing' } } } },
          ],
        },
      ],
    },
  },
);
