import { SextantError } from '../../errors.js';
import { loadAgentModule } from '../../eval/agent-module.js';
import { replayRun } from '../../eval/replay.js';
import { openStore } from '../../store/db.js';
import { sqlTraceRepository } from '../../store/traces.js';

export interface ReplayCommandOptions {
  agent: string;
  export?: string;
  live?: boolean;
  liveTools?: boolean;
  json?: boolean;
}

/** `sextant replay`: re-executes a recorded run against the agent module; exit 3 and the cause when it diverges. */
export async function replayCommand(runId: string, options: ReplayCommandOptions): Promise<number> {
  const module = await loadAgentModule(options.agent, { exportName: options.export });
  if (!module.options) {
    throw new SextantError(
      'CONFIG_INVALID',
      `${module.file} exports a built agent; export the options you pass to defineAgent (or a function returning them) instead, so replay can swap in the recorded responses`,
    );
  }
  const store = await openStore();
  try {
    const replay = await replayRun({
      runId,
      repository: sqlTraceRepository(store),
      agent: module.options,
      ...(options.live ? { model: 'agent' as const } : {}),
      ...(options.liveTools ? { liveTools: true } : {}),
    });
    const { failure } = replay;
    if (options.json) {
      const { matched, divergence, result } = replay;
      console.log(JSON.stringify({ matched, divergence, failure, stopReason: result.stopReason, steps: result.steps.length, output: result.output }, null, 2));
    } else if (replay.matched) {
      console.log(`Replay of ${replay.recording.runId} matches the recording: ${replay.recording.steps} steps, stopped with ${replay.result.stopReason}.`);
    } else {
      const d = replay.divergence!;
      console.log(`Replay of ${replay.recording.runId} diverges at step ${d.step} (${d.kind}): ${d.detail}`);
      if (failure) console.log(`  cause: the replayed run failed with [${failure.code}] ${failure.message}`);
    }
    return replay.matched ? 0 : 3;
  } finally {
    await store.close();
  }
}
