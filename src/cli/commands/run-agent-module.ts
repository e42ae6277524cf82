import { DEFAULTS } from '../../defaults.js';
import type { RunResult } from '../../agent/types.js';
import { loadAgentModule } from '../../eval/agent-module.js';
import { redactValue } from '../../security/pii.js';
import { openStore } from '../../store/db.js';
import { sqlTraceRepository } from '../../store/traces.js';
import { ATTR, EVENTS } from '../../trace/attributes.js';
import { fanOutTracer } from '../../trace/fan-out.js';
import { oneLine } from '../../trace/one-line.js';
import { createStoreTracer } from '../../trace/store-tracer.js';
import type { SpanHandle, StartSpanOptions, Tracer } from '../../trace/tracer.js';

export interface RunAgentModuleOptions {
  /** The agent module's file. */
  file: string;
  input: string;
  runId: string;
  model?: string;
  session?: string;
  json?: boolean;
  /** Writes one line of the live view (stderr). */
  write(line: string): void;
}

const usd = (value: number) => `$${value.toFixed(6)}`;

const short = (value: unknown, max = 160) => oneLine(value, max);

/** A tracer that writes nothing: it prints each span as it ends, for the live view on stderr. */
function liveView(write: (line: string) => void): Tracer & { costUsd(): number } {
  let cost = 0;
  return {
    costUsd: () => cost,
    startSpan(options: StartSpanOptions): SpanHandle {
      const attributes: Record<string, unknown> = { ...options.attributes };
      if (options.kind === 'step') write(`● ${options.name}`);
      return {
        traceId: '',
        spanId: '',
        set: (more) => Object.assign(attributes, more),
        event(name, eventAttributes = {}) {
          if (name === EVENTS.LIMIT)
            write(`  ! limit ${eventAttributes[ATTR.LIMIT_NAME]}: ${eventAttributes[ATTR.LIMIT_USED]} of ${eventAttributes[ATTR.LIMIT_VALUE]}`);
          else if (name === EVENTS.LOOP) write(`  ! loop ${eventAttributes[ATTR.LOOP_PATTERN]}: ${eventAttributes[ATTR.EVENT_DETAIL]}`);
          else if (name === EVENTS.REASK || name === EVENTS.RETRY) write(`  ↻ ${name}: ${short(eventAttributes[ATTR.EVENT_DETAIL])}`);
        },
        end(status, error) {
          if (options.kind === 'model') {
            const callCost = Number(attributes[ATTR.COST_USD] ?? 0);
            cost += callCost;
            const cache = attributes[ATTR.CACHE_STATUS] ? ` · cache ${attributes[ATTR.CACHE_STATUS]}` : '';
            const tokens = `${attributes[ATTR.INPUT_TOKENS] ?? 0}+${attributes[ATTR.OUTPUT_TOKENS] ?? 0} tokens`;
            write(
              `  model ${attributes[ATTR.RESPONSE_MODEL] ?? attributes[ATTR.REQUEST_MODEL] ?? ''} · ${tokens} · ${usd(callCost)}${cache} · cost so far ${usd(cost)}${status === 'ok' ? '' : ` · ${status}: ${error?.message ?? ''}`}`,
            );
          } else if (options.kind === 'tool') {
            const failed = attributes[ATTR.TOOL_IS_ERROR] === true || status !== 'ok';
            write(
              `  tool ${attributes[ATTR.TOOL_NAME]}(${short(attributes[ATTR.TOOL_INPUT], 80)}) ${failed ? '✗' : '→'} ${short(attributes[ATTR.TOOL_OUTPUT] ?? error?.message)}`,
            );
          } else if (options.kind === 'check') {
            const action = attributes[ATTR.CHECK_ACTION];
            write(
              `  check ${attributes[ATTR.CHECK_NAME]}: ${attributes[ATTR.CHECK_VERDICT]}${action && action !== 'none' ? ` → ${action}` : ''} · ${short(attributes[ATTR.CHECK_REASON], 120)}`,
            );
          }
        },
      };
    },
  };
}

function formatOutput(result: RunResult<unknown>): string {
  const output = result.output;
  if (output === undefined) return result.text || '(no answer)';
  if (typeof output === 'string') return output;
  return JSON.stringify(output, null, 2);
}

/** Loads the agent module with the run's setup, runs it on the input with the live view, and prints the answer and how the run stopped. */
export async function runAgentModule(options: RunAgentModuleOptions): Promise<number> {
  const { file, input, runId, write } = options;
  const store = await openStore();
  // Redaction before storage is the default (DEFAULTS.security.pii.redactStored): runs hold users' messages.
  const storeTracer = createStoreTracer({ repository: sqlTraceRepository(store), redact: DEFAULTS.security.pii.redactStored ? redactValue : false });
  const cleanups: Array<() => unknown> = [];
  try {
    const { agent, options: agentOptions } = await loadAgentModule(file, {
      setup: { model: options.model, tracer: fanOutTracer([storeTracer, liveView(write)]), store, onClose: (cleanup) => cleanups.push(cleanup) },
    });
    const modelName = agentOptions?.modelName ?? (typeof agentOptions?.model === 'string' ? agentOptions.model : undefined);
    write(`agent ${agent.name}${modelName ? ` · model ${modelName}` : ''}`);
    const result = await agent.run(input, { runId, ...(options.session ? { session: options.session } : {}) });
    await storeTracer.flush();
    if (options.json) {
      const { state: _state, messages: _messages, ...rest } = result;
      console.log(JSON.stringify({ ...rest, error: result.error ? { code: result.error.code, message: result.error.message } : undefined }, null, 2));
    } else {
      console.log(formatOutput(result));
    }
    write(
      `stop: ${result.stopReason} (${result.stopDetail}) · cost ${usd(result.cost.totalUsd)} · ${result.usage.totalTokens} tokens · ${result.steps.length} steps`,
    );
    write(`run id: ${result.runId} — see it with: sextant explain ${result.runId}`);
    return result.stopReason === 'completed' ? 0 : 1;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup();
    await storeTracer.close();
    await store.close();
  }
}
