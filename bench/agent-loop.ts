/**
 * The agent runtime's own overhead per step, and its memory per idle run.
 *
 *   npx tsx bench/agent-loop.ts [--runs 300] [--steps 10] [--rounds 7] [--idle 1000]
 *
 * Overhead: runs of `steps` tool steps (scripted model, no-op tool) against a baseline measured in
 * the same process: the very same requests replayed straight to a fresh scripted model. The
 * difference, per step, is what the loop adds (tool validation and execution, limits, loop
 * detector, context check, bookkeeping). Memory: `idle` concurrent runs parked on a model call
 * that never answers, heap measured after GC.
 */
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { z } from 'zod';
import { defineAgent, defineTool, memoryCheckpointStore } from '../src/agent/index.js';
import { scriptedModel, type ScriptedReply } from '../src/model/providers/scripted/provider.js';
import type { ModelRequest } from '../src/model/types.js';

const { values } = parseArgs({
  options: {
    runs: { type: 'string', default: '300' },
    steps: { type: 'string', default: '10' },
    idle: { type: 'string', default: '1000' },
    rounds: { type: 'string', default: '7' },
  },
});
const ROUNDS = Number(values.rounds);
const RUNS = Number(values.runs);
const STEPS = Number(values.steps);
const IDLE = Number(values.idle);

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

const noop = defineTool({ name: 'noop', description: 'does nothing', idempotent: true, input: z.object({ i: z.number() }), execute: ({ i }) => i });

/** Each run: STEPS tool calls with new arguments (so the loop detector stays quiet), then an answer. */
const replies = (_request: ModelRequest, index: number): ScriptedReply =>
  index % (STEPS + 1) === STEPS
    ? { text: 'done', usage: { inputTokens: 10, outputTokens: 2 } }
    : { toolCalls: [{ name: 'noop', arguments: { i: index } }], usage: { inputTokens: 10, outputTokens: 2 } };

async function measureAgent(checkpointed: boolean): Promise<{ agentMs: number; baselineMs: number }> {
  const model = scriptedModel({ replies });
  const agent = defineAgent({ model, tools: [noop], ...(checkpointed ? { checkpoints: memoryCheckpointStore() } : {}), limits: { maxSteps: STEPS + 5 } });
  const started = performance.now();
  for (let r = 0; r < RUNS; r++) {
    const result = await agent.run('go');
    if (result.stopReason !== 'completed' || result.steps.length !== STEPS + 1)
      throw new Error(`unexpected run: ${result.stopReason} after ${result.steps.length} steps`);
  }
  const agentMs = performance.now() - started;
  // Baseline: the same requests, straight to a fresh scripted model.
  const bare = scriptedModel({ replies });
  const baselineStart = performance.now();
  for (const request of model.requests) await bare.generate(request);
  const baselineMs = performance.now() - baselineStart;
  return { agentMs, baselineMs };
}

// Warm-up rounds (JIT), then ROUNDS measured rounds; each figure is the median over rounds.
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
for (let i = 0; i < 3; i++) {
  await measureAgent(false);
  await measureAgent(true);
}
const plainRounds: { agentMs: number; baselineMs: number }[] = [];
const checkpointRounds: { agentMs: number; baselineMs: number }[] = [];
for (let i = 0; i < ROUNDS; i++) {
  plainRounds.push(await measureAgent(false));
  checkpointRounds.push(await measureAgent(true));
}
const steps = RUNS * (STEPS + 1);
const perStepUs = (ms: number) => (ms * 1000) / steps;
const overheadUs = median(plainRounds.map((r) => perStepUs(r.agentMs - r.baselineMs)));
// The least-disturbed round: on a shared machine, scheduler noise only ever adds time.
const overheadMinUs = Math.min(...plainRounds.map((r) => perStepUs(r.agentMs - r.baselineMs)));
const overheadCheckpointUs = median(checkpointRounds.map((r) => perStepUs(r.agentMs - r.baselineMs)));
const agentStepUs = median(plainRounds.map((r) => perStepUs(r.agentMs)));
const bareCallUs = median(plainRounds.map((r) => perStepUs(r.baselineMs)));

// Memory: IDLE runs waiting on a model call that never answers.
const settle = async () => {
  for (let i = 0; i < 3; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 10));
  }
};
await settle();
const before = process.memoryUsage().heapUsed;
const controller = new AbortController();
const idleAgent = defineAgent({ model: scriptedModel({ replies: () => ({ hang: true }) }), tools: [noop] });
const parked = Array.from({ length: IDLE }, () => idleAgent.run('wait', { signal: controller.signal }));
await settle();
const after = process.memoryUsage().heapUsed;
controller.abort(new Error('benchmark over'));
const stopped = await Promise.all(parked);
if (stopped.some((r) => r.stopReason !== 'aborted')) throw new Error('an idle run did not stop as aborted');
const mbPer1000 = ((after - before) / 1024 / 1024) * (1000 / IDLE);

console.log(`steps per round: ${steps} (${RUNS} runs × ${STEPS + 1} model calls, no-op tool); median of ${ROUNDS} rounds after 3 warm-up rounds`);
console.log(`bare scripted model: ${bareCallUs.toFixed(1)} µs/call; agent loop: ${agentStepUs.toFixed(1)} µs/step`);
console.log(
  `runtime overhead: ${overheadUs.toFixed(1)} µs/step median, ${overheadMinUs.toFixed(1)} µs/step best round (target < 50); with in-memory checkpoints: ${overheadCheckpointUs.toFixed(1)} µs/step`,
);
console.log(`ratio agent/bare: ${(agentStepUs / bareCallUs).toFixed(2)}`);
console.log(`memory: ${mbPer1000.toFixed(2)} MB per 1,000 concurrent idle runs (target < 50)`);
console.log(
  JSON.stringify({
    overhead_per_step_us: Number(overheadUs.toFixed(1)),
    overhead_per_step_best_round_us: Number(overheadMinUs.toFixed(1)),
    overhead_per_step_checkpointed_us: Number(overheadCheckpointUs.toFixed(1)),
    bare_model_call_us: Number(bareCallUs.toFixed(1)),
    ratio_vs_bare_model: Number((agentStepUs / bareCallUs).toFixed(2)),
    memory_per_1000_idle_runs_mb: Number(mbPer1000.toFixed(2)),
  }),
);
