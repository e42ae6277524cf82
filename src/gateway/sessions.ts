import { createHash } from 'node:crypto';
import { canonicalJson } from '../canonical-json.js';
import {
  correctiveMessage,
  emptyLoopState,
  hashText,
  type CallObservation,
  type LoopDetectorOptions,
  type LoopDetectorState,
  type LoopVerdict,
  observeStep,
  resolveLoopOptions,
} from '../checks/loop-detector.js';
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import type { Message, ModelRequest } from '../model/types.js';

/**
 * Sessions group a client's calls (header `x-sextant-session`): one trace per session, and
 * the agent runtime's loop detector run over the session's turns, so an agent written in any
 * language gets the same protection through the gateway as one using the library.
 */

/** What the gateway does when the loop detector fires on a session. */
export type LoopDetection = 'off' | 'warn' | 'enforce';

export interface SessionTrackerOptions {
  /** `warn`: add the corrective message and a warning header; `enforce`: also refuse (422) a call after a warned loop goes on. */
  loopDetection?: LoopDetection;
  loopOptions?: Partial<LoopDetectorOptions>;
  idleMs?: number;
  maxSessions?: number;
  now?: () => number;
}

interface SessionState {
  loop: LoopDetectorState;
  step: number;
  lastSeen: number;
}

export interface LoopWarning {
  pattern: string;
  detail: string;
  steps: number[];
}

export interface SessionTracker {
  /** The trace every call of the session joins: derived from tenant and session, so any replica agrees. */
  traceIdFor(session: string, tenant?: string): string;
  /**
   * Records the turn a request carries (the agent's last tool calls and their results) and judges
   * the session. Returns the request to send (with the corrective message on a warning) and the warning.
   */
  observe(options: { session: string; tenant?: string; request: ModelRequest }): { request: ModelRequest; warning?: LoopWarning };
  /** Sessions currently tracked (for the dashboard). */
  size(): number;
}

function sessionKey(session: string, tenant = ''): string {
  return `${tenant}\u0000${session}`;
}

/** The last assistant turn in the request: its tool calls with the results sent back for them. */
function lastTurn(messages: Message[]): CallObservation[] {
  let index = messages.length - 1;
  while (index >= 0 && messages[index].role !== 'assistant') index--;
  const assistant = messages[index];
  if (!assistant || assistant.role !== 'assistant') return [];
  const results = new Map<string, string>();
  for (const m of messages.slice(index + 1)) if (m.role === 'tool') results.set(m.toolCallId, m.content);
  return (assistant.toolCalls ?? []).map((call) => {
    let args: unknown = call.arguments;
    try {
      args = JSON.parse(call.arguments);
    } catch {
      // Malformed arguments are compared as the raw text.
    }
    return { key: `${call.name}:${canonicalJson(args)}`, tool: call.name, result: hashText(results.get(call.id) ?? ''), poller: false, retryRequested: false };
  });
}

function lastAssistantText(messages: Message[]): string {
  for (let i = messages.length - 1; i >= 0; i--) {
    const m = messages[i];
    if (m.role === 'assistant') return m.content ?? '';
  }
  return '';
}

export function createSessionTracker(options: SessionTrackerOptions = {}): SessionTracker {
  const mode = options.loopDetection ?? 'enforce';
  const loopOptions = resolveLoopOptions(options.loopOptions);
  const idleMs = options.idleMs ?? DEFAULTS.gateway.sessionIdleMs;
  const maxSessions = options.maxSessions ?? DEFAULTS.gateway.maxSessions;
  const now = options.now ?? Date.now;
  // A Map iterates in insertion order: re-inserting on use keeps the least recently used first.
  const sessions = new Map<string, SessionState>();

  function stateFor(key: string): SessionState {
    const at = now();
    let state = sessions.get(key);
    if (state && at - state.lastSeen > idleMs) state = undefined;
    sessions.delete(key);
    state ??= { loop: emptyLoopState(), step: 0, lastSeen: at };
    state.lastSeen = at;
    sessions.set(key, state);
    while (sessions.size > maxSessions) sessions.delete(sessions.keys().next().value!);
    return state;
  }

  return {
    traceIdFor(session, tenant) {
      return createHash('sha256').update(sessionKey(session, tenant)).digest('hex').slice(0, 32);
    },
    observe({ session, tenant, request }) {
      if (mode === 'off') return { request };
      const state = stateFor(sessionKey(session, tenant));
      // The whole request as one more "call": a client resending the same request in a loop repeats it.
      const requestHash = hashText(canonicalJson(request.messages));
      const calls = [
        ...lastTurn(request.messages),
        { key: `request:${requestHash}`, tool: 'request', result: requestHash, poller: false, retryRequested: false },
      ];
      const verdict: LoopVerdict = observeStep(state.loop, { step: ++state.step, calls, text: hashText(lastAssistantText(request.messages)) }, loopOptions);
      if (verdict.action === 'none') return { request };
      const { evidence } = verdict;
      if (verdict.action === 'stop' && mode === 'enforce') {
        throw new SextantError(
          'LOOP_DETECTED',
          `Session "${session}" is stuck in a loop (${evidence.pattern}: ${evidence.detail}); the gateway warned the model at step ${state.loop.warnedAtStep} and refuses to continue it`,
          {
            context: { session, pattern: evidence.pattern, steps: evidence.steps, detail: evidence.detail },
          },
        );
      }
      const warning = { pattern: evidence.pattern, detail: evidence.detail, steps: evidence.steps };
      return { request: { ...request, messages: [...request.messages, { role: 'system', content: correctiveMessage(evidence) }] }, warning };
    },
    size: () => sessions.size,
  };
}
