export interface Command {
  /** One line for `sextant --help`. */
  summary: string;
  /** Runs with the arguments after the command name; returns the exit code. */
  run(args: string[]): Promise<number>;
}
