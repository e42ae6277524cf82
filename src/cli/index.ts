/** The `sextant` command line: main(argv) runs one subcommand (registry in commands/index.ts) and returns the exit code. */
import { SextantError } from '../errors.js';
import { commands } from './commands/index.js';

function usage(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`);
  return ['Usage: sextant <command> [options]', '', 'Commands:', ...lines, '', "Run `sextant <command> --help` for a command's options."].join('\n');
}

/** Runs the CLI and returns the process exit code. */
export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return name ? 0 : 1;
  }
  const command = commands[name];
  if (!command) {
    console.error(`Unknown command "${name}".\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof SextantError) {
      console.error(`error [${error.code}]: ${error.message}`);
      return 1;
    }
    throw error;
  }
}
