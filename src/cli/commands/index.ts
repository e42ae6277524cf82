import { auditCommand } from './audit.js';
import { cacheCommand } from './cache.js';
import type { Command } from './command.js';
import { configCommand } from './config.js';
import { evalCommand } from './eval.js';
import { explainCommand } from './explain.js';
import { keysCommand } from './keys.js';
import { replayCommand } from './replay.js';
import { runCommand } from './run.js';
import { serveCommand } from './serve.js';
import { tracesCommand } from './traces.js';

/** Every `sextant` subcommand, by name. Each lives in its own file in this folder. */
export const commands: Record<string, Command> = {
  audit: auditCommand,
  cache: cacheCommand,
  config: configCommand,
  eval: evalCommand,
  explain: explainCommand,
  keys: keysCommand,
  replay: replayCommand,
  run: runCommand,
  serve: serveCommand,
  traces: tracesCommand,
};
