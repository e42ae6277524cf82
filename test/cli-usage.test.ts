import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { runCli as cli } from './support/run-cli.js';

const root = join(import.meta.dirname, '..');
const version = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string }).version;

describe('sextant: bad usage is one line and exit 2', () => {
  it('rejects an unknown flag, and suggests the one meant', async () => {
    const r = await cli(['run', '--modle', 'x']);
    expect(r.code).toBe(2);
    expect(r.err).toBe("error: unknown option '--modle' (Did you mean --model?)");
    expect(r.out).toBe('');
  });

  it('rejects an option the subcommand does not declare', async () => {
    const revoke = await cli(['keys', 'revoke', 'abc', '--tenant', 'x']);
    expect(revoke.code).toBe(2);
    expect(revoke.err).toBe("error: unknown option '--tenant'");
    const config = await cli(['config', '--print', '--json']);
    expect(config.code).toBe(2);
    expect(config.err).toBe("error: unknown option '--json'");
  });

  it('rejects a missing value or argument', async () => {
    const value = await cli(['run', 'examples/support-desk', 'hi', '--model']);
    expect(value.code).toBe(2);
    expect(value.err).toBe("error: option '--model <model>' argument missing");
    const argument = await cli(['explain']);
    expect(argument.code).toBe(2);
    expect(argument.err).toBe("error: missing required argument 'run-id'");
  });
});

describe('sextant: help and version', () => {
  it('prints the help of any (sub)command and exits 0', async () => {
    const top = await cli(['--help']);
    expect(top.code).toBe(0);
    for (const name of ['run', 'explain', 'traces', 'replay', 'eval', 'cache', 'keys', 'audit', 'config', 'serve'])
      expect(top.out).toMatch(new RegExp(`^  ${name} `, 'm'));
    const calibrate = await cli(['cache', 'calibrate', '--help']);
    expect(calibrate.code).toBe(0);
    expect(calibrate.out).toContain('Usage: sextant cache calibrate [options] <pairs.jsonl>');
    expect(calibrate.out).toContain('--target-precision <p>');
    const replay = await cli(['replay', '--help']);
    expect(replay.code).toBe(0);
    expect(replay.out).toContain('--live-tools');
  });

  it('prints the version from package.json', async () => {
    const r = await cli(['--version']);
    expect(r.code).toBe(0);
    expect(r.out).toBe(version);
  });

  it('bin/sextant.js runs without a build (through tsx) and exits with the code main returns', async () => {
    // Whether or not dist/ exists, the bin prints the version and a bad flag exits 2 with one line.
    const run = promisify(execFile);
    const { stdout } = await run(process.execPath, [join(root, 'bin', 'sextant.js'), '--version'], { cwd: root, timeout: 60_000 });
    expect(stdout.trim()).toBe(version);
    const bad = await run(process.execPath, [join(root, 'bin', 'sextant.js'), 'config', '--print', '--json'], { cwd: root, timeout: 60_000 }).catch(
      (error: { code: number; stderr: string }) => error,
    );
    expect(bad).toMatchObject({ code: 2, stderr: "error: unknown option '--json'\n" });
  }, 120_000);
});
