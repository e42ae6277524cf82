import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { main } from '../src/cli/index.js';

const keysCommand = { run: (args: string[]) => main(['keys', ...args]) };
const auditCommand = { run: (args: string[]) => main(['audit', ...args]) };

describe('sextant keys / sextant audit', () => {
  let dir: string;
  let db: string;
  let out: string[];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'sextant-cli-'));
    db = join(dir, 's.db');
    out = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  });
  afterEach(() => {
    vi.restoreAllMocks();
    rmSync(dir, { recursive: true, force: true });
  });

  it('creates, lists and revokes keys; the key is printed once and never listed; audit verify catches an edit', async () => {
    const args = [
      'create',
      '--tenant',
      'acme',
      '--scopes',
      'models:gpt-4o*',
      '--scopes',
      'routes:chat',
      '--budget',
      '10/day',
      '--rpm',
      '60',
      '--tpm',
      '100000',
      '--db',
      db,
    ];
    expect(await keysCommand.run(args)).toBe(0);
    const key = /sk-sx-[0-9a-f]{16}_\S{43}/.exec(out.join('\n'))![0];
    const keyId = key.slice(6, 22);
    out.length = 0;
    expect(await keysCommand.run(['list', '--db', db])).toBe(0);
    expect(out.join('\n')).toContain(keyId);
    expect(out.join('\n')).toContain('$10/day, 60 rpm, 100000 tpm');
    expect(out.join('\n')).not.toContain(key.slice(23));
    expect(await keysCommand.run(['revoke', keyId, '--db', db])).toBe(0);
    out.length = 0;
    expect(await auditCommand.run(['verify', '--db', db])).toBe(0);
    expect(out[0]).toMatch(/^Audit log intact: 2 entries, head 2:[0-9a-f]{64}\.$/);
    const sqlite = new Database(db);
    sqlite.prepare(`update audit_log set actor = 'someone-else' where seq = 1`).run();
    sqlite.close();
    out.length = 0;
    expect(await auditCommand.run(['verify', '--db', db])).toBe(1);
    expect(out.join('\n')).toMatch(/BROKEN[\s\S]*entry seq 1 .*edited/);
  });

  it('bad input gets a clear error', async () => {
    const errors: string[] = [];
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void errors.push(a.join(' ')));
    expect(await keysCommand.run(['create', '--db', db])).toBe(2);
    expect(errors.at(-1)).toBe("error: required option '--tenant <t>' not specified");
    expect(await keysCommand.run(['create', '--tenant', 'a', '--rpm', 'x', '--db', db])).toBe(1);
    expect(errors.at(-1)).toContain('--rpm must be a positive integer');
    expect(await keysCommand.run(['create', '--tenant', 'a', '--budget', 'lots', '--db', db])).toBe(1);
    expect(errors.at(-1)).toMatch(/Invalid budget/);
    expect(await auditCommand.run(['verify', '--anchor', 'nope', '--db', db])).toBe(1);
    expect(errors.at(-1)).toMatch(/--anchor/);
    expect(await keysCommand.run(['frobnicate'])).toBe(2);
    expect(errors.at(-1)).toBe("error: unknown command 'frobnicate'");
  });
});
