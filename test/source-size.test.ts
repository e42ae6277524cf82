import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const SRC = join(import.meta.dirname, '..', 'src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const lines = (path: string) => readFileSync(path, 'utf8').split('\n').length - 1;

describe('source size', () => {
  it('keeps every source file under 400 lines: a longer one holds more than one concept', () => {
    const long = sourceFiles(SRC)
      .map((path) => ({ file: path.slice(SRC.length + 1), lines: lines(path) }))
      .filter((f) => f.lines > 400);
    expect(long).toEqual([]);
  });

  it('keeps the agent loop as orchestration: run-loop.ts at most 200 lines', () => {
    expect(lines(join(SRC, 'agent', 'run-loop.ts'))).toBeLessThanOrEqual(200);
  });
});
