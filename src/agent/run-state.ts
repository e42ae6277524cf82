import { z } from 'zod';
import { SextantError } from '../errors.js';
import type { RunState, ToolResultRecord } from './types.js';

export const RUN_STATE_VERSION = 1;

/** The fields a resume relies on; the rest is carried through as written. */
const runStateShape = z.looseObject({
  version: z.literal(RUN_STATE_VERSION),
  runId: z.string().min(1),
  agent: z.string(),
  messages: z.array(z.looseObject({ role: z.enum(['system', 'user', 'assistant', 'tool']) })),
  steps: z.array(z.looseObject({ index: z.number() })),
  usage: z.looseObject({ inputTokens: z.number(), outputTokens: z.number(), totalTokens: z.number() }),
  cost: z.looseObject({ totalUsd: z.number() }),
  toolCalls: z.record(z.string(), z.number()),
  repairs: z.object({ output: z.number(), toolArguments: z.number() }),
  reasks: z.record(z.string(), z.number()),
  checks: z.array(z.unknown()),
  // States saved before the window was derived also hold its observations: ignored, rebuilt from the steps.
  loop: z.looseObject({ warnedAtStep: z.number().optional() }),
  elapsedMs: z.number(),
  pending: z
    .looseObject({ message: z.looseObject({ role: z.literal('assistant') }), results: z.union([z.array(z.unknown()), z.record(z.string(), z.unknown())]) })
    .optional(),
  metadata: z.looseObject({}),
  question: z.string().optional(),
  completed: z.looseObject({ text: z.string(), detail: z.string() }).optional(),
});

/** Reads a run state (an object or its JSON text), refusing anything a resume could not trust. */
export function parseRunState(value: unknown): RunState {
  let json = value;
  if (typeof value === 'string') {
    try {
      json = JSON.parse(value);
    } catch (cause) {
      throw new SextantError('RUN_STATE_INVALID', 'The run state is not valid JSON', { cause });
    }
  }
  const version = (json as { version?: unknown } | null)?.version;
  if (version !== RUN_STATE_VERSION) {
    throw new SextantError('RUN_STATE_INVALID', `Run state version ${String(version)} is not supported (expected ${RUN_STATE_VERSION})`, {
      context: { version, supported: [RUN_STATE_VERSION] },
    });
  }
  const parsed = runStateShape.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new SextantError('RUN_STATE_INVALID', `The run state is malformed: ${issues}`, { context: { issues: parsed.error.issues } });
  }
  const state = structuredClone(json) as RunState;
  // States saved before the results of a pending step were a list hold them keyed by call id.
  const results: unknown = state.pending?.results;
  if (state.pending && !Array.isArray(results)) state.pending.results = Object.values(results as Record<string, ToolResultRecord>);
  return state;
}
