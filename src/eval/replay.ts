import { canonicalJson } from '../canonical-json.js';
import { defineAgent, type AgentOptions } from '../agent/define-agent.js';
import type { RunResult } from '../agent/types.js';
import { SextantError } from '../errors.js';
import type { Provider } from '../model/provider.js';
import { createProviderRouter } from '../model/router.js';
import type { Model } from '../model/model.js';
import { textOf, type AssistantMessage, type Message, type ModelRequest, type ModelResponse, type StreamEvent } from '../model/types.js';
import type { StoredSpan, TraceRepository } from '../store/traces.js';
import type { Tool } from '../tools/define-tool.js';
import { JUDGE_FORMAT } from '../checks/graders/judge.js';
import type { DecisionChoice } from '../trace/attributes.js';
import { createMemoryTracer } from '../trace/memory-tracer.js';
import { loadRecording, recordingFromSpans, type RecordedModelCall, type RecordedToolCall, type Recording } from './recording.js';

export type DivergenceKind = 'request' | 'tool' | 'arguments' | 'answer' | 'tool_result' | 'stop';

/** The first place where the replayed run did not do what the recording did. */
export interface Divergence {
  /** 1-based step number. */
  step: number;
  kind: DivergenceKind;
  /** What differs, in words. */
  detail: string;
  expected?: unknown;
  actual?: unknown;
}

export interface ReplayResult {
  /** True when the replayed run did what the recording did, step for step. */
  matched: boolean;
  divergence?: Divergence;
  recording: Recording;
  /** The replayed run's result. */
  result: RunResult<unknown>;
  /** The replayed run's spans (in memory), e.g. to explain it. */
  spans: StoredSpan[];
  /** The replayed run's own error (a throwing tool, check or agent code), not the replay stopping it at a divergence: the cause to fix. */
  failure?: { code: string; message: string };
}

export interface ReplayOptions {
  /** The recorded run, or where to read it from. */
  recording?: Recording;
  runId?: string;
  repository?: TraceRepository;
  /**
   * The agent to replay: its options (what you pass to `defineAgent`), possibly changed since the
   * recording. Its model is replaced by the recording (or `model`), its tools by their recorded
   * results, its stores by none: a replay has no side effects.
   */
  agent: AgentOptions<unknown>;
  /**
   * Ask this model instead of serving recorded responses (e.g. the real model after a prompt
   * change, or a scripted one): each of its choices is compared with the recorded choice.
   * Without it, model responses come from the recording and a request that no longer matches
   * is the divergence. `'agent'` asks the agent's own model (its model string, pipeline or provider).
   */
  model?: Provider | 'agent';
  /**
   * Run the agent's tools instead of serving their recorded results, and compare what they
   * return with the recording: a changed tool implementation (or changed data behind it) shows
   * as a `tool_result` divergence. Tools then have their side effects: replay against test data.
   */
  liveTools?: boolean;
}

/** The agent's own model as a Provider, for live replays. */
function agentModel(options: AgentOptions<unknown>): Provider {
  const model = options.model;
  if (typeof model === 'string') {
    const router = createProviderRouter({ providers: options.providers });
    return { name: 'live', generate: (r, o) => router.generate(r, { signal: o?.signal }), stream: (r, o) => router.stream(r, { signal: o?.signal }) };
  }
  if (typeof (model as Provider).name === 'string') return model as Provider;
  const pipeline = model as Model;
  return { name: 'live', generate: (r, o) => pipeline.generate(r, { signal: o?.signal }), stream: (r, o) => pipeline.stream(r, { signal: o?.signal }) };
}

/** Arguments compare by content, not key order, whether recorded as JSON text or as a value. */
function canonical(value: unknown): string {
  if (typeof value !== 'string') return canonicalJson(value);
  try {
    return canonicalJson(JSON.parse(value) as unknown);
  } catch {
    return JSON.stringify(value);
  }
}

function short(value: unknown, max = 160): string {
  const text = typeof value === 'string' ? value : JSON.stringify(value);
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

function normalizeMessage(m: Message): string {
  return canonical({
    role: m.role,
    content: m.role === 'assistant' ? textOf(m.content) : textOf(m.content as string),
    toolCalls: m.role === 'assistant' ? (m.toolCalls ?? []).map((c) => ({ id: c.id, name: c.name, arguments: canonical(c.arguments) })) : undefined,
    toolCallId: m.role === 'tool' ? m.toolCallId : undefined,
  });
}

/** How a live request differs from the recorded one, or undefined when it matches. */
function requestDifference(request: ModelRequest, recorded: RecordedModelCall): { detail: string; expected?: unknown; actual?: unknown } | undefined {
  const offered = (request.tools ?? []).map((t) => ({ name: t.name, description: t.description ?? '' }));
  const was = recorded.tools.map((t) => ({ name: t.name, description: t.description ?? '' }));
  if (canonical(offered) !== canonical(was)) {
    const names = new Set(offered.map((t) => t.name));
    const wasNames = new Set(was.map((t) => t.name));
    const added = [...names].filter((n) => !wasNames.has(n));
    const removed = [...wasNames].filter((n) => !names.has(n));
    const detail =
      added.length || removed.length
        ? `tools offered differ: ${[added.length ? `added ${added.join(', ')}` : '', removed.length ? `removed ${removed.join(', ')}` : ''].filter(Boolean).join('; ')}`
        : 'tool descriptions differ';
    return { detail, expected: was, actual: offered };
  }
  const n = Math.max(request.messages.length, recorded.messages.length);
  for (let i = 0; i < n; i++) {
    const a = request.messages[i];
    const e = recorded.messages[i];
    if (!a || !e || normalizeMessage(a) !== normalizeMessage(e)) {
      if (!a) return { detail: `the request has ${request.messages.length} messages, the recording ${recorded.messages.length}`, expected: e };
      if (!e) return { detail: `the request has an extra message ${i} (${a.role})`, actual: a };
      return {
        detail: `message ${i} (${e.role}) differs: expected "${short(textOf(e.content as string) || e)}", got "${short(textOf(a.content as string) || a)}"`,
        expected: e,
        actual: a,
      };
    }
  }
  return undefined;
}

function responseFrom(call: RecordedModelCall): ModelResponse {
  const message: AssistantMessage =
    call.message ??
    (call.choice.type === 'tool_calls'
      ? { role: 'assistant', content: null, toolCalls: call.choice.toolCalls.map((c) => ({ ...c })) }
      : { role: 'assistant', content: call.choice.text });
  return {
    id: call.responseId,
    model: call.model,
    message,
    finishReason: call.finishReason as ModelResponse['finishReason'],
    usage: { inputTokens: call.inputTokens, outputTokens: call.outputTokens, totalTokens: call.inputTokens + call.outputTokens },
    cost: { inputUsd: 0, outputUsd: 0, totalUsd: call.costUsd },
    meta: { provider: 'replay', cache: 'bypass' },
  };
}

async function* streamOf(response: ModelResponse): AsyncIterable<StreamEvent> {
  yield { type: 'start', id: response.id, model: response.model };
  const text = textOf(response.message.content);
  if (text) yield { type: 'text-delta', delta: text };
  for (const [index, call] of (response.message.toolCalls ?? []).entries()) {
    yield { type: 'tool-call-start', index, id: call.id, name: call.name };
    yield { type: 'tool-call-delta', index, argumentsDelta: call.arguments };
  }
  yield { type: 'finish', response };
}

interface ReplayState {
  divergence?: Divergence;
  controller: AbortController;
}

function diverge(state: ReplayState, divergence: Divergence): SextantError {
  state.divergence ??= divergence;
  state.controller.abort(new SextantError('ABORTED', `replay diverged at step ${divergence.step}: ${divergence.detail}`));
  return new SextantError('ABORTED', `replay diverged at step ${divergence.step}: ${divergence.detail}`, { context: { ...divergence } });
}

/** A check's judge call (groundedness, relevance): the recording holds the agent's decisions, not these. */
function isJudgeCall(request: ModelRequest): boolean {
  return request.responseFormat?.type === 'json_schema' && request.responseFormat.name === JUDGE_FORMAT.name;
}

/**
 * Serves recorded responses while the requests match; or asks the live model. Checks' judge
 * calls go to the judge model (the agent's own, as in the recorded run): they are graded again.
 */
function replayProvider(recording: Recording, state: ReplayState, live: Provider | undefined, judge: Provider): Provider {
  let index = 0;
  const next = async (request: ModelRequest): Promise<ModelResponse> => {
    if (isJudgeCall(request)) return judge.generate(request, { signal: state.controller.signal });
    const recorded = recording.modelCalls[index++];
    if (live) return live.generate(request, { signal: state.controller.signal });
    if (!recorded) {
      throw diverge(state, {
        step: (recording.modelCalls.at(-1)?.step ?? 0) + 1,
        kind: 'stop',
        detail: `the agent made model call ${index}, the recording ended after ${recording.modelCalls.length}`,
      });
    }
    const difference = requestDifference(request, recorded);
    if (difference)
      throw diverge(state, {
        step: recorded.step,
        kind: 'request',
        ...difference,
        detail: `the model request no longer matches the recording: ${difference.detail}`,
      });
    return responseFrom(recorded);
  };
  return {
    name: 'replay',
    generate: (request) => next(request),
    async *stream(request) {
      yield* streamOf(await next(request));
    },
  };
}

/** The value a recorded tool output stood for: the text the model saw is the JSON of a structured output. */
function recordedValue(output: unknown): unknown {
  if (typeof output !== 'string') return output;
  try {
    return JSON.parse(output) as unknown;
  } catch {
    return output;
  }
}

/** The agent's tools with their executions served from the recording (matched by call id, else by name and arguments). */
function replayTools(tools: Tool[], recording: Recording, state: ReplayState): Tool[] {
  const used = new Set<RecordedToolCall>();
  return tools.map((tool) => ({
    ...tool,
    // The recorded output is the text the model saw; the tool's output schema already ran when it was recorded.
    output: undefined,
    // The tool's passages (for checks and citations) are read from its structured output, which the text stands for.
    ...(tool.documents ? { documents: (output: unknown) => tool.documents!(recordedValue(output)) } : {}),
    retries: 0,
    errorMode: 'return' as const,
    execute(input: unknown, ctx: { toolCallId: string }) {
      const args = canonical(input);
      const found =
        recording.toolCalls.find((c) => !used.has(c) && c.id === ctx.toolCallId && c.name === tool.name) ??
        recording.toolCalls.find((c) => !used.has(c) && c.name === tool.name && canonical(c.input) === args);
      if (!found) {
        const step = recording.toolCalls.find((c) => !used.has(c))?.step ?? recording.steps;
        throw diverge(state, {
          step,
          kind: 'tool',
          detail: `the agent called ${tool.name}(${short(args)}), which the recording never did at this point`,
          actual: { name: tool.name, input },
        });
      }
      used.add(found);
      if (found.isError) {
        const m = /^Error \(([A-Z_]+)\): ([\s\S]*)$/.exec(found.output);
        throw new SextantError((m?.[1] ?? 'TOOL_ERROR') as 'TOOL_ERROR', m?.[2] ?? found.output);
      }
      return found.output;
    },
  }));
}

function choiceDifference(step: number, expected: DecisionChoice, actual: DecisionChoice): Divergence | undefined {
  if (expected.type === 'answer' && actual.type === 'answer') {
    return expected.text === actual.text
      ? undefined
      : {
          step,
          kind: 'answer',
          detail: `different answer: expected "${short(expected.text)}", got "${short(actual.text)}"`,
          expected: expected.text,
          actual: actual.text,
        };
  }
  if (expected.type === 'tool_calls' && actual.type === 'tool_calls') {
    const names = (c: typeof expected) => c.toolCalls.map((t) => t.name).join(', ');
    if (names(expected) !== names(actual)) {
      return {
        step,
        kind: 'tool',
        detail: `different tool: expected ${names(expected)}, got ${names(actual)}`,
        expected: expected.toolCalls,
        actual: actual.toolCalls,
      };
    }
    for (const [i, e] of expected.toolCalls.entries()) {
      const a = actual.toolCalls[i];
      if (canonical(e.arguments) !== canonical(a.arguments)) {
        return {
          step,
          kind: 'arguments',
          detail: `different arguments for ${e.name}: expected ${short(e.arguments)}, got ${short(a.arguments)}`,
          expected: e.arguments,
          actual: a.arguments,
        };
      }
    }
    return undefined;
  }
  const describe = (c: DecisionChoice) =>
    c.type === 'answer' ? `an answer "${short(c.text, 60)}"` : `tool calls ${c.toolCalls.map((t) => t.name).join(', ')}`;
  return {
    step,
    kind: expected.type === 'answer' || actual.type === 'answer' ? 'tool' : 'answer',
    detail: `expected ${describe(expected)}, got ${describe(actual)}`,
    expected,
    actual,
  };
}

/** Compares two runs' behaviour step by step; returns the first difference. */
export function compareRecordings(expected: Recording, actual: Recording): Divergence | undefined {
  const steps = Math.max(expected.steps, actual.steps, ...expected.modelCalls.map((c) => c.step), ...actual.modelCalls.map((c) => c.step));
  for (let step = 1; step <= steps; step++) {
    const em = expected.modelCalls.filter((c) => c.step === step);
    const am = actual.modelCalls.filter((c) => c.step === step);
    for (let i = 0; i < Math.min(em.length, am.length); i++) {
      const d = choiceDifference(step, em[i].choice, am[i].choice);
      if (d) return d;
    }
    const et = expected.toolCalls.filter((c) => c.step === step);
    const at = actual.toolCalls.filter((c) => c.step === step);
    for (let i = 0; i < Math.min(et.length, at.length); i++) {
      if (et[i].output !== at[i].output || et[i].isError !== at[i].isError) {
        return {
          step,
          kind: 'tool_result',
          detail: `${et[i].name} returned something else: expected "${short(et[i].output)}", got "${short(at[i].output)}"`,
          expected: et[i].output,
          actual: at[i].output,
        };
      }
    }
    if (et.length !== at.length) {
      const names = (calls: RecordedToolCall[]) => (calls.length ? calls.map((c) => c.name).join(', ') : 'none');
      return {
        step,
        kind: 'tool',
        detail: `different tool executions: the recording ran ${names(et)}, the replay ran ${names(at)}`,
        expected: et.map((c) => c.name),
        actual: at.map((c) => c.name),
      };
    }
    if (em.length !== am.length) {
      if (am.length === 0) break;
      return {
        step,
        kind: 'stop',
        detail: `step ${step} made ${am.length} model and ${at.length} tool calls; the recording made ${em.length} and ${et.length}`,
      };
    }
  }
  if (expected.steps !== actual.steps || expected.stopReason !== actual.stopReason) {
    const step = Math.min(expected.steps, actual.steps) + 1;
    return {
      step,
      kind: 'stop',
      detail: `the replay stopped after ${actual.steps} steps (${actual.stopReason}); the recording after ${expected.steps} steps (${expected.stopReason})`,
      expected: expected.stopReason,
      actual: actual.stopReason,
    };
  }
  return undefined;
}

/**
 * Re-executes a recorded run deterministically: model responses and tool results come from the
 * recording (tool results from the tools themselves with `liveTools`), against a possibly changed agent. Reports the first step where the behaviour
 * diverges (a request that no longer matches, another tool, other arguments, another answer,
 * another tool result or stop) and what differs. A recorded production run becomes a regression test.
 */
export async function replayRun(options: ReplayOptions): Promise<ReplayResult> {
  let recording = options.recording;
  if (!recording) {
    if (!options.runId || !options.repository) throw new SextantError('INVALID_REQUEST', 'replayRun needs a `recording`, or a `runId` and a `repository`');
    recording = await loadRecording({ repository: options.repository, runId: options.runId });
  }
  if (recording.input.length === 0) throw new SextantError('INVALID_REQUEST', `Run ${recording.runId} has no recorded input to replay`);
  const state: ReplayState = { controller: new AbortController() };
  const tracer = createMemoryTracer();
  const agent = defineAgent<unknown>({
    ...options.agent,
    model: replayProvider(recording, state, options.model === 'agent' ? agentModel(options.agent) : options.model, agentModel(options.agent)),
    modelName: options.agent.modelName ?? (typeof options.agent.model === 'string' ? options.agent.model : undefined),
    tools: options.liveTools ? options.agent.tools : replayTools(options.agent.tools ?? [], recording, state),
    tracer,
    checkpoints: undefined,
    sessions: undefined,
  });
  const result = await agent.run(recording.input, { signal: state.controller.signal, runId: `replay-${recording.runId}` });
  const replayed = recordingFromSpans(tracer.spans);
  const behaviour = compareRecordings(recording, replayed);
  // The earliest difference wins: a changed choice at step 2 explains a request mismatch at step 3.
  // The earliest step wins. Within a step, a request that no longer matches is the cause (the run
  // stopped there); otherwise what the agent did reads better than what the tool executor saw.
  const rank = (d: Divergence) => (d === state.divergence ? (d.kind === 'request' ? 0 : 2) : 1);
  const divergence = [behaviour, state.divergence].filter((d): d is Divergence => d !== undefined).sort((a, b) => a.step - b.step || rank(a) - rank(b))[0];
  const failure = result.error && !state.controller.signal.aborted ? { code: result.error.code, message: result.error.message } : undefined;
  return { matched: divergence === undefined, ...(divergence ? { divergence } : {}), ...(failure ? { failure } : {}), recording, result, spans: tracer.spans };
}
