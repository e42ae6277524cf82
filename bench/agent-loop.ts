/**
 * The agent runtime's figures from issue 16, in one run, each against a baseline measured in the same run:
 *
 *   npx tsx bench/agent-loop.ts [--only step,checkpoint,summary,cli,ai-sdk,memory] [--rounds 7] [--runs 300] [--steps 10]
 *                               [--turns 200] [--cli-runs 3] [--idle 1000] [--no-build]
 *
 * step        Per-step overhead of the loop: runs of `steps` tool steps (scripted model, no-op tool) then an
 *             answer, against the very same requests replayed straight to a fresh scripted model. The
 *             difference, per model call, is what the loop adds (tool validation and execution, limits, loop
 *             detector, context check, bookkeeping). Target ≤ 30 µs.
 * checkpoint  The same runs with a checkpoint store: the in-memory one (`memoryCheckpointStore`) and the SQLite
 *             one (`sqlCheckpointStore` over `openStore` on a temporary file). Ratio: checkpointed overhead over
 *             unsaved overhead, paired per round. Target ≤ 2×.
 * summary     `context: { strategy: 'summarize', maxInputTokens: 600 }`, one session of `turns` runs; each run is
 *             a tool call then an answer (two agent calls; ~100 tokens a turn with the untrusted-content markers,
 *             a fifth of the window). Counts the model calls whose request is the summary prompt against the
 *             agent's own calls (its steps). Target ≤ 0.1 summary calls per agent call. Compacting to just under
 *             the window (the first version) made 391 summaries for these 400 calls.
 * cli         `node bin/sextant.js run examples/support-desk "Where is my order 1042?"` spawned `cli-runs` times
 *             after one uncounted warm-up (on a temporary database): time to the first byte on either stream
 *             (the live view's first line is on stderr), to the first byte on stdout (the answer), and to exit.
 *             Target ≤ 0.5 s.
 * ai-sdk      The Vercel AI SDK's `generateText` (MockLanguageModelV3, one tool, `stopWhen: stepCountIs(steps + 1)`)
 *             over the same script, measured the same way: against the same calls replayed straight to a fresh
 *             mock model. Ratio: its per-step overhead over Sextant's, paired per round. Target ≥ 3.
 * memory      Heap per 1,000 concurrent runs parked on a model call that never answers, after GC.
 *
 * The per-step measurements (step, checkpoint, ai-sdk) run in interleaved rounds, the order rotating every
 * round so machine noise falls on every side, each in a fresh process after a warm-up measurement of its
 * own (in one process, each kind's garbage and heap growth fell on the next); each figure is the median
 * over rounds. The library is used through its public entry, compiled (dist/index.js; see ensureBuilt).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { generateText, stepCountIs, tool } from 'ai';
import { MockLanguageModelV3 } from 'ai/test';
import { z } from 'zod';
import type { CheckpointStore, ModelRequest, ScriptedReply } from '../src/index.js';

const SECTIONS = ['step', 'checkpoint', 'summary', 'cli', 'ai-sdk', 'memory'] as const;
type Section = (typeof SECTIONS)[number];

const { values } = parseArgs({
  options: {
    only: { type: 'string', default: SECTIONS.join(',') },
    rounds: { type: 'string', default: '7' },
    runs: { type: 'string', default: '300' },
    steps: { type: 'string', default: '10' },
    turns: { type: 'string', default: '200' },
    'cli-runs': { type: 'string', default: '3' },
    idle: { type: 'string', default: '1000' },
    'no-build': { type: 'boolean', default: false },
    measure: { type: 'string' },
  },
});
const only = new Set(values.only.split(',').map((s) => s.trim()));
for (const s of only) if (!SECTIONS.includes(s as Section)) throw new Error(`--only: unknown section "${s}" (known: ${SECTIONS.join(', ')})`);
const want = (s: Section) => only.has(s);
const ROUNDS = Number(values.rounds);
const RUNS = Number(values.runs);
const STEPS = Number(values.steps);
const TURNS = Number(values.turns);
const CLI_RUNS = Number(values['cli-runs']);
const IDLE = Number(values.idle);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** The newest modification time under a folder. */
function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/**
 * The library is measured as users run it, compiled (dist/, as `npm install` ships it; the AI SDK
 * is compiled JavaScript too): under tsx every closure the loop makes also pays esbuild's
 * keep-names helper. dist/ is rebuilt first when it is missing or older than src/ (unless --no-build).
 */
function ensureBuilt(): void {
  const entry = join(ROOT, 'dist/index.js');
  if (existsSync(entry) && statSync(entry).mtimeMs >= newestMtime(join(ROOT, 'src'))) return;
  if (values['no-build']) throw new Error('dist/ is missing or older than src/: run `npm run build`, or drop --no-build');
  console.error('building dist/ (tsc -p tsconfig.build.json) ...');
  const built = spawnSync(process.execPath, [join(ROOT, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: ROOT, stdio: 'inherit' });
  if (built.status !== 0) throw new Error('the build failed');
}
ensureBuilt();
const { defineAgent, defineTool, memoryCheckpointStore, memorySessionStore, openStore, preloadTokenizer, scriptedModel, sqlCheckpointStore } = (await import(
  pathToFileURL(join(ROOT, 'dist/index.js')).href
)) as typeof import('../src/index.js');

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round1 = (x: number) => Number(x.toFixed(1));
const round2 = (x: number) => Number(x.toFixed(2));
const round3 = (x: number) => Number(x.toFixed(3));
const figures: Record<string, number> = {};
const lines: string[] = [];

// ---------------------------------------------------------------------------------------------
// Per-step overhead: Sextant (unsaved, memory checkpoints, SQLite checkpoints) and the AI SDK.
// ---------------------------------------------------------------------------------------------

/** One measurement: total time of the runs and of their baseline (the same calls straight to a fresh model), and the model calls made. */
interface Measured {
  agentMs: number;
  baselineMs: number;
  calls: number;
}

const noop = defineTool({ name: 'noop', description: 'does nothing', idempotent: true, input: z.object({ i: z.number() }), execute: ({ i }) => i });

/** Each run: STEPS tool calls with new arguments (so the loop detector stays quiet), then an answer. */
const replies = (_request: ModelRequest, index: number): ScriptedReply =>
  index % (STEPS + 1) === STEPS
    ? { text: 'done', usage: { inputTokens: 10, outputTokens: 2 } }
    : { toolCalls: [{ name: 'noop', arguments: { i: index } }], usage: { inputTokens: 10, outputTokens: 2 } };

/** A checkpoint store made new for each measurement (a store kept across rounds would grow every later round's heap), and its clean-up. */
type StoreFactory = () => Promise<{ checkpoints?: CheckpointStore; close(): Promise<void> }>;

async function measureSextant(makeStore: StoreFactory): Promise<Measured> {
  const { checkpoints, close } = await makeStore();
  try {
    return await measureRuns(checkpoints);
  } finally {
    await close();
  }
}

async function measureRuns(checkpoints: CheckpointStore | undefined): Promise<Measured> {
  const model = scriptedModel({ replies });
  const agent = defineAgent({ model, tools: [noop], ...(checkpoints ? { checkpoints } : {}), limits: { maxSteps: STEPS + 5 } });
  gc();
  const started = performance.now();
  for (let r = 0; r < RUNS; r++) {
    const result = await agent.run('go');
    if (result.stopReason !== 'completed' || result.steps.length !== STEPS + 1)
      throw new Error(`unexpected run: ${result.stopReason} after ${result.steps.length} steps`);
  }
  const agentMs = performance.now() - started;
  // Baseline: the same requests, straight to a fresh scripted model.
  gc(); // The baseline does not pay for the garbage the runs left.
  const bare = scriptedModel({ replies });
  const baselineStart = performance.now();
  for (const request of model.requests) await bare.generate(request);
  const baselineMs = performance.now() - baselineStart;
  return { agentMs, baselineMs, calls: model.requests.length };
}

type MockResult = Awaited<ReturnType<MockLanguageModelV3['doGenerate']>>;
const mockUsage: MockResult['usage'] = {
  inputTokens: { total: 10, noCache: 10, cacheRead: undefined, cacheWrite: undefined },
  outputTokens: { total: 2, text: 2, reasoning: undefined },
};
/** The AI SDK's side of the same script: STEPS tool calls with new arguments, then an answer. */
const mockReply = (index: number): MockResult =>
  index % (STEPS + 1) === STEPS
    ? { content: [{ type: 'text', text: 'done' }], finishReason: { unified: 'stop', raw: 'stop' }, usage: mockUsage, warnings: [] }
    : {
        content: [{ type: 'tool-call', toolCallId: `call_${index}`, toolName: 'noop', input: JSON.stringify({ i: index }) }],
        finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
        usage: mockUsage,
        warnings: [],
      };
const mockModel = () => {
  let index = 0;
  return new MockLanguageModelV3({ doGenerate: async () => mockReply(index++) });
};
const aiTools = { noop: tool({ description: 'does nothing', inputSchema: z.object({ i: z.number() }), execute: async ({ i }) => i }) };

async function measureAiSdk(): Promise<Measured> {
  const model = mockModel();
  gc();
  const started = performance.now();
  for (let r = 0; r < RUNS; r++) {
    const result = await generateText({ model, tools: aiTools, prompt: 'go', stopWhen: stepCountIs(STEPS + 1) });
    if (result.steps.length !== STEPS + 1 || result.text !== 'done')
      throw new Error(`unexpected AI SDK run: ${result.steps.length} steps, text "${result.text}"`);
  }
  const agentMs = performance.now() - started;
  // Baseline: the mock model's own cost, the same call options straight to a fresh mock.
  gc();
  const bare = mockModel();
  const baselineStart = performance.now();
  for (const options of model.doGenerateCalls) await bare.doGenerate(options);
  const baselineMs = performance.now() - baselineStart;
  return { agentMs, baselineMs, calls: model.doGenerateCalls.length };
}

const perStepUs = (ms: number, calls: number) => (ms * 1000) / calls;
const overheadUs = (m: Measured) => perStepUs(m.agentMs - m.baselineMs, m.calls);

const sqlitePath = join(tmpdir(), `sextant-bench-checkpoints-${process.pid}.db`);
const removeSqlite = () => {
  for (const suffix of ['', '-wal', '-shm']) rmSync(sqlitePath + suffix, { force: true });
};
const none: StoreFactory = async () => ({ close: async () => {} });
const memory: StoreFactory = async () => ({ checkpoints: memoryCheckpointStore(), close: async () => {} });
const sqlite: StoreFactory = async () => {
  const store = await openStore({ url: sqlitePath });
  return {
    checkpoints: sqlCheckpointStore(store),
    close: async () => {
      await store.close();
      removeSqlite();
    },
  };
};
const MEASURES: Record<string, () => Promise<Measured>> = {
  plain: () => measureSextant(none),
  memory: () => measureSextant(memory),
  sqlite: () => measureSextant(sqlite),
  'ai-sdk': measureAiSdk,
};

/**
 * One measurement in a process of its own: a warm-up measurement (the JIT settles), then the
 * measured one, on a heap nothing else has touched. Sharing one process, each kind's garbage and
 * heap growth fell on whichever kind ran next.
 */
function measureInChild(kind: string): Measured {
  const args = [...process.execArgv, fileURLToPath(import.meta.url), '--measure', kind, '--runs', String(RUNS), '--steps', String(STEPS), '--no-build'];
  const child = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (child.status !== 0) throw new Error(`measuring ${kind} failed (exit ${child.status}): ${child.stderr}`);
  return JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Measured;
}

if (values.measure) {
  const measure = MEASURES[values.measure];
  if (!measure) throw new Error(`--measure: unknown kind "${values.measure}"`);
  await measure();
  console.log(JSON.stringify(await measure()));
  process.exit(0);
}

if (want('step') || want('checkpoint') || want('ai-sdk')) {
  const kinds = ['plain', ...(want('checkpoint') ? ['memory', 'sqlite'] : []), ...(want('ai-sdk') ? ['ai-sdk'] : [])];
  const rounds: Record<string, Measured[]> = Object.fromEntries(kinds.map((k) => [k, []]));
  for (let i = 0; i < ROUNDS; i++) {
    // Interleaved, the order rotating each round: A B C D, B C D A, ...
    for (let j = 0; j < kinds.length; j++) {
      const kind = kinds[(i + j) % kinds.length];
      rounds[kind].push(measureInChild(kind));
    }
  }

  const plain = rounds.plain;
  const stepOverhead = median(plain.map(overheadUs));
  const agentStep = median(plain.map((m) => perStepUs(m.agentMs, m.calls)));
  const bareCall = median(plain.map((m) => perStepUs(m.baselineMs, m.calls)));
  // The least-disturbed round: on a shared machine, scheduler noise only ever adds time.
  const bestRound = Math.min(...plain.map(overheadUs));
  lines.push(
    `rounds: ${ROUNDS}, interleaved (${kinds.join(', ')}, rotating), each measurement in a fresh process after a warm-up measurement; each: ${RUNS} runs × ${STEPS + 1} model calls (${STEPS} no-op tool steps + answer); medians over rounds`,
    `sextant: ${agentStep.toFixed(1)} µs/step, bare scripted model ${bareCall.toFixed(1)} µs/call`,
    `step overhead: ${stepOverhead.toFixed(1)} µs/step median, ${bestRound.toFixed(1)} µs best round (target ≤ 30)`,
  );
  Object.assign(figures, {
    step_overhead_us: round1(stepOverhead),
    step_overhead_best_round_us: round1(bestRound),
    agent_step_us: round1(agentStep),
    bare_model_call_us: round1(bareCall),
  });

  // Ratios are paired per round (the same round's unsaved run is the denominator), then the median taken.
  const pairedRatio = (xs: Measured[], over: Measured[]) => median(xs.map((m, i) => overheadUs(m) / overheadUs(over[i])));
  if (want('checkpoint')) {
    const memOverhead = median(rounds.memory.map(overheadUs));
    const memRatio = pairedRatio(rounds.memory, plain);
    const sqlOverhead = median(rounds.sqlite.map(overheadUs));
    const sqlRatio = pairedRatio(rounds.sqlite, plain);
    lines.push(
      `checkpointed, in memory: ${memOverhead.toFixed(1)} µs/step overhead, ${memRatio.toFixed(2)}× unsaved (target ≤ 2)`,
      `checkpointed, SQLite file: ${sqlOverhead.toFixed(1)} µs/step overhead, ${sqlRatio.toFixed(2)}× unsaved`,
    );
    Object.assign(figures, {
      checkpointed_step_overhead_us: round1(memOverhead),
      checkpoint_ratio: round2(memRatio),
      sqlite_checkpointed_step_overhead_us: round1(sqlOverhead),
      sqlite_checkpoint_ratio: round2(sqlRatio),
    });
  }
  if (want('ai-sdk')) {
    const ai = rounds['ai-sdk'];
    const aiOverhead = median(ai.map(overheadUs));
    const aiStep = median(ai.map((m) => perStepUs(m.agentMs, m.calls)));
    const aiBare = median(ai.map((m) => perStepUs(m.baselineMs, m.calls)));
    const ratio = pairedRatio(ai, plain);
    lines.push(
      `AI SDK generateText: ${aiStep.toFixed(1)} µs/step, bare mock model ${aiBare.toFixed(1)} µs/call, overhead ${aiOverhead.toFixed(1)} µs/step`,
      `sextant vs AI SDK: ${ratio.toFixed(2)}× less overhead per step (target ≥ 3)`,
    );
    Object.assign(figures, {
      ai_sdk_step_us: round1(aiOverhead),
      ai_sdk_total_step_us: round1(aiStep),
      ai_sdk_bare_model_call_us: round1(aiBare),
      sextant_vs_ai_sdk_ratio: round2(ratio),
    });
  }
}

// ---------------------------------------------------------------------------------------------
// Summary calls per agent call: one session of TURNS runs in a 600-token window.
// ---------------------------------------------------------------------------------------------

if (want('summary')) {
  // Exact token counts, as a process has once its tokenizer has loaded (until then counts are upper bounds).
  await preloadTokenizer();
  const isSummaryPrompt = (request: ModelRequest) => {
    const first = request.messages[0];
    return first?.role === 'system' && typeof first.content === 'string' && first.content.startsWith('Summarize');
  };
  const model = scriptedModel({
    replies: (request) => {
      if (isSummaryPrompt(request)) return { text: 'The user asked where several orders were; each lookup said shipped.' };
      const last = request.messages.at(-1);
      if (last?.role === 'tool') return { text: 'Your order has shipped and is on its way.' };
      const turn = Number(/turn (\d+)/.exec(typeof last?.content === 'string' ? last.content : '')?.[1] ?? 0);
      return { toolCalls: [{ name: 'lookup', arguments: { turn } }] };
    },
  });
  const lookup = defineTool({
    name: 'lookup',
    description: 'looks an order up',
    idempotent: true,
    input: z.object({ turn: z.number() }),
    execute: ({ turn }) => `order ${1000 + turn}: shipped`,
  });
  const agent = defineAgent({ model, tools: [lookup], sessions: memorySessionStore(), context: { strategy: 'summarize', maxInputTokens: 600 } });
  let agentCalls = 0;
  const started = performance.now();
  for (let turn = 0; turn < TURNS; turn++) {
    const result = await agent.run(`turn ${turn}: where is my order?`, { session: 'bench' });
    if (result.stopReason !== 'completed') throw new Error(`summary scenario: turn ${turn} ended ${result.stopReason}: ${result.stopDetail}`);
    agentCalls += result.steps.length;
  }
  const ms = performance.now() - started;
  const summaryCalls = model.requests.filter(isSummaryPrompt).length;
  const otherCalls = model.requests.length - agentCalls - summaryCalls;
  lines.push(
    `summarize, ${TURNS} turns (tool call + answer each) in one session, 600-token window: ${summaryCalls} summary calls for ${agentCalls} agent calls = ${(summaryCalls / agentCalls).toFixed(3)} per agent call (target ≤ 0.1); ${ms.toFixed(0)} ms`,
  );
  if (otherCalls !== 0) lines.push(`  note: ${otherCalls} model calls were neither the agent's steps nor summary prompts`);
  Object.assign(figures, {
    summary_calls_per_agent_call: round3(summaryCalls / agentCalls),
    summary_calls: summaryCalls,
    summary_agent_calls: agentCalls,
    summary_scenario_ms: Math.round(ms),
  });
}

// ---------------------------------------------------------------------------------------------
// Memory per idle run.
// ---------------------------------------------------------------------------------------------

if (want('memory')) {
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
  lines.push(`memory: ${mbPer1000.toFixed(2)} MB per 1,000 concurrent idle runs (target < 50)`);
  figures.memory_per_1000_idle_runs_mb = round2(mbPer1000);
}

// ---------------------------------------------------------------------------------------------
// CLI: time to first output of `sextant run` on the example.
// ---------------------------------------------------------------------------------------------

interface CliTiming {
  firstOutputMs: number;
  firstStdoutMs: number;
  totalMs: number;
}

function runCli(env: NodeJS.ProcessEnv): Promise<CliTiming> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    let firstOutputMs = NaN;
    let firstStdoutMs = NaN;
    let stderr = '';
    const child = spawn(process.execPath, ['bin/sextant.js', 'run', 'examples/support-desk', 'Where is my order 1042?'], { cwd: ROOT, env });
    child.stdout.once('data', () => {
      firstStdoutMs = performance.now() - started;
      if (Number.isNaN(firstOutputMs)) firstOutputMs = firstStdoutMs;
    });
    child.stdout.resume();
    child.stderr.on('data', (chunk: Buffer) => {
      if (Number.isNaN(firstOutputMs)) firstOutputMs = performance.now() - started;
      stderr += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => {
      const totalMs = performance.now() - started;
      if (code !== 0) reject(new Error(`sextant run exited ${code}:\n${stderr}`));
      else resolve({ firstOutputMs, firstStdoutMs, totalMs });
    });
  });
}

if (want('cli')) {
  const dbPath = join(tmpdir(), `sextant-bench-cli-${process.pid}.db`);
  const env = { ...process.env, SEXTANT_DATABASE_URL: dbPath };
  try {
    // The first run creates and migrates the database: timed, but not counted in the medians.
    const cold = await runCli(env);
    const runs: CliTiming[] = [];
    for (let i = 0; i < CLI_RUNS; i++) runs.push(await runCli(env));
    const first = median(runs.map((r) => r.firstOutputMs));
    const firstStdout = median(runs.map((r) => r.firstStdoutMs));
    const total = median(runs.map((r) => r.totalMs));
    lines.push(
      `cli \`sextant run examples/support-desk "Where is my order 1042?"\`, median of ${CLI_RUNS} after a cold run: first output ${first.toFixed(0)} ms (target ≤ 500), first stdout byte ${firstStdout.toFixed(0)} ms, exit ${total.toFixed(0)} ms; cold run: ${cold.firstOutputMs.toFixed(0)} / ${cold.totalMs.toFixed(0)} ms`,
    );
    Object.assign(figures, {
      cli_first_output_ms: Math.round(first),
      cli_first_stdout_ms: Math.round(firstStdout),
      cli_total_ms: Math.round(total),
      cli_cold_total_ms: Math.round(cold.totalMs),
    });
  } finally {
    for (const suffix of ['', '-wal', '-shm']) rmSync(dbPath + suffix, { force: true });
  }
}

for (const line of lines) console.log(line);
console.log(JSON.stringify(figures));
