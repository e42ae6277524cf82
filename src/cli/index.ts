/** The `sextant` command line: main(argv) parses against the declarations in program.ts, runs one subcommand and returns the exit code. */
import { CommanderError } from 'commander';
import { createProgram } from './program.js';

/** Exit code of a command line Commander rejected: an unknown option, a missing value or argument. */
const USAGE_ERROR = 2;

/**
 * A Sextant error, also from another copy of the library: an agent module loaded from source
 * has its own SextantError class, so `instanceof` cannot tell.
 */
function isSextantError(error: unknown): error is Error & { code: string } {
  return error instanceof Error && error.name === 'SextantError' && typeof (error as { code?: unknown }).code === 'string';
}

/** Runs the CLI and returns the process exit code: 0 ok, 1 failed, 2 bad usage, 3 regression or divergence. */
export async function main(argv: string[]): Promise<number> {
  let exitCode = 0;
  const program = createProgram((code) => {
    exitCode = code;
  });
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander has printed the help, the version, or the one-line error.
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return 0;
      // Help shown because a command was missing (`sextant`, `sextant keys`).
      if (error.code === 'commander.help') return error.exitCode;
      return USAGE_ERROR;
    }
    if (isSextantError(error)) {
      console.error(`error [${error.code}]: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
