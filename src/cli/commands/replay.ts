import { isAbsolute, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { tsImport } from 'tsx/esm/api';
import type { AgentOptions } from '../../agent/define-agent.js';
import { SextantError } from '../../errors.js';
import { openStore } from '../../store/db.js';
import { sqlTraceRepository } from '../../store/traces.js';
import { replayRun } from '../../trace/replay.js';
import type { Command } from './command.js';

const USAGE = `Usage: sextant replay <run-id> --agent <module> [--export <name>] [--live] [--json]

Re-executes a recorded run against the agent in <module> (a .ts or .js file) with the model's
and the tools' responses served from the recording, and reports the first step where the
behaviour diverges. The module exports the agent's options (what you pass to defineAgent), or a
function returning them, as its default export or under --export <name>.
--live asks the agent's own model instead of the recording and compares its choices.
Exits 0 when the replay matches the recording, 3 when it diverges.`;

function looksLikeOptions(value: unknown): value is AgentOptions<unknown> {
  return typeof value === 'object' && value !== null && 'model' in value;
}

/** Loads the agent's options from a module (TypeScript works too, through tsx). */
export async function loadAgentOptions(modulePath: string, exportName = 'default'): Promise<AgentOptions<unknown>> {
  const path = isAbsolute(modulePath) ? modulePath : resolve(process.cwd(), modulePath);
  let mod: Record<string, unknown>;
  try {
    mod = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
  } catch (error) {
    throw new SextantError('CONFIG_INVALID', `Cannot load agent module ${path}: ${(error as Error).message}`, { cause: error });
  }
  // tsx may wrap a CommonJS-shaped default once more.
  let value = mod[exportName] ?? (exportName === 'default' ? (mod.default as Record<string, unknown> | undefined)?.default : undefined);
  if (typeof value === 'function') value = await (value as () => unknown)();
  if (!looksLikeOptions(value)) {
    const hint =
      value && typeof value === 'object' && 'run' in value
        ? ' It exports an agent; export the options you pass to defineAgent instead, so replay can swap in the recorded responses.'
        : '';
    throw new SextantError(
      'CONFIG_INVALID',
      `${path} has no agent options under export "${exportName}" (exports: ${Object.keys(mod).join(', ') || 'none'}).${hint}`,
    );
  }
  return value;
}

export const replayCommand: Command = {
  summary: 'Replay a recorded run against an agent and report where its behaviour diverges',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        agent: { type: 'string' },
        export: { type: 'string' },
        live: { type: 'boolean' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help || positionals.length !== 1 || !values.agent) {
      console.log(USAGE);
      return values.help ? 0 : 1;
    }
    const agent = await loadAgentOptions(values.agent, values.export);
    const store = await openStore();
    try {
      const replay = await replayRun({
        runId: positionals[0],
        repository: sqlTraceRepository(store),
        agent,
        ...(values.live ? { model: 'agent' as const } : {}),
      });
      if (values.json) {
        console.log(
          JSON.stringify(
            {
              matched: replay.matched,
              divergence: replay.divergence,
              stopReason: replay.result.stopReason,
              steps: replay.result.steps.length,
              output: replay.result.output,
            },
            null,
            2,
          ),
        );
      } else if (replay.matched) {
        console.log(`Replay of ${replay.recording.runId} matches the recording: ${replay.recording.steps} steps, stopped with ${replay.result.stopReason}.`);
      } else {
        const d = replay.divergence!;
        console.log(`Replay of ${replay.recording.runId} diverges at step ${d.step} (${d.kind}): ${d.detail}`);
      }
      return replay.matched ? 0 : 3;
    } finally {
      await store.close();
    }
  },
};
