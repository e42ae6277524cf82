import { defineConfig } from 'vitest/config';

export default defineConfig({
  // Examples import the package by its name (`sextant`, `sextant/testing`): tsconfig.json's paths resolve it to the source.
  resolve: { tsconfigPaths: true },
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'examples/**/*.test.ts'],
    testTimeout: 20_000,
    hookTimeout: 20_000,
    pool: 'forks',
  },
});
