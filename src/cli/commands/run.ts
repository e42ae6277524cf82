import { randomUUID } from 'node:crypto';
import { relative } from 'node:path';
import { SextantError } from '../../errors.js';
import { resolveAgentModule } from '../../eval/resolve-agent-module.js';
import { parseModelString } from '../../model/model-string.js';

export interface RunCommandOptions {
  model?: string;
  session?: string;
  json?: boolean;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

/**
 * `sextant run`: checks the module path, the input and the model string, prints the run's first
 * line, and only then loads the agent module and the runtime (about a second with a knowledge
 * base and the library from source), so the user sees at once that the run started.
 */
export async function runCommand(modulePath: string, inputArgument: string | undefined, options: RunCommandOptions): Promise<number> {
  const file = resolveAgentModule(modulePath);
  let input = inputArgument;
  if (input === undefined) {
    if (process.stdin.isTTY) throw new SextantError('INVALID_REQUEST', 'No input: give it as the second argument or on standard input');
    input = await readStdin();
  }
  if (input.trim() === '') throw new SextantError('INVALID_REQUEST', 'The input is empty');
  // A malformed model string fails here, before anything is loaded, not in the middle of the run.
  if (options.model !== undefined && options.model !== 'scripted') parseModelString(options.model);
  const runId = randomUUID();
  const write = (line: string) => process.stderr.write(`${line}\n`);
  write(`run ${runId} · ${relative(process.cwd(), file) || file}${options.session ? ` · session ${options.session}` : ''}`);
  const { runAgentModule } = await import('./run-agent-module.js');
  return runAgentModule({ file, input, runId, write, ...options });
}
