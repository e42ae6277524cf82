import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULTS } from '../../defaults.js';
import { SextantError } from '../../errors.js';
import { parseModelString } from '../../model/model-string.js';
import { redactValue } from '../../security/pii.js';
import { defineAgent, type Agent, type AgentOptions } from '../../agent/define-agent.js';
import type { RunResult } from '../../agent/types.js';
import { openStore } from '../../store/db.js';
import type { SqlStore } from '../../store/sql-store.js';
import { sqlTraceRepository } from '../../store/traces.js';
import { ATTR, EVENTS } from '../../trace/attributes.js';
import { fanOutTracer } from '../../trace/fan-out.js';
import { oneLine } from '../../trace/one-line.js';
import { createStoreTracer } from '../../trace/store-tracer.js';
import type { SpanHandle, StartSpanOptions, Tracer } from '../../trace/tracer.js';
import type { Command } from './command.js';

/**
 * What `sextant run` hands an agent module's default export. The module builds its agent from
 * it: the tracer (writes the run to the default store, so `sextant explain` shows it), the store
 * itself (for knowledge bases, caches, sessions, budgets), and the `--model` override.
 */
export interface AgentSetup {
  /** `--model`: a model string (`openai:gpt-4o-mini`, `anthropic:...`, `ollama:...`) or `scripted`. Undefined: the module's default. */
  model?: string;
  tracer: Tracer;
  store: SqlStore;
  /** Registers cleanup (close a database, flush a cache) to run after the run, before the store closes. */
  onClose(cleanup: () => unknown): void;
}

/**
 * The preferred agent-module export: makes the agent from the run's setup.
 *
 *   export default async function (setup: AgentSetup) { return defineAgent({ ..., tracer: setup.tracer }); }
 */
export type AgentFactory<Output = unknown> = (setup: AgentSetup) => Agent<Output> | AgentOptions<Output> | Promise<Agent<Output> | AgentOptions<Output>>;

const USAGE = `Usage: sextant run <agent-module> [input] [--model <model>] [--session <id>] [--json]

Runs an agent module on one input (the argument, or standard input when it is left out) and
shows its steps as they happen on stderr: model calls with tokens and cost, tool calls, checks,
limits. Ends with the answer, the stop reason, the cost and the run id; the run's trace is
written to SEXTANT_DATABASE_URL or ./.sextant/sextant.db, so \`sextant explain <run-id>\` shows it.

<agent-module> is a .ts or .js file that exports, as default or as \`agent\`, a function of the
run's setup ({ model, tracer, store, onClose }) returning the agent or its options, an agent,
or its options (the shapes \`sextant eval\` takes). A directory means its index.ts (or agent.ts).

Options:
  --model <model>   override the module's model: openai:gpt-4o-mini, anthropic:claude-sonnet-4-5,
                    ollama:llama3.1, http://host/v1|model, or scripted
  --session <id>    run in a session: its history is loaded before and saved after
  --json            print the result as JSON on stdout (steps still go to stderr)`;

/** Module files a directory resolves to, in order. */
const ENTRY_FILES = ['index.ts', 'agent.ts', 'index.js', 'agent.js', 'index.mjs', 'agent.mjs'];

export function resolveAgentModule(path: string): string {
  const full = resolve(path);
  if (!existsSync(full)) throw new SextantError('NOT_FOUND', `No agent module at ${full}`, { context: { path } });
  if (!statSync(full).isDirectory()) return full;
  const entry = ENTRY_FILES.map((f) => join(full, f)).find((f) => existsSync(f));
  if (!entry) throw new SextantError('NOT_FOUND', `The folder ${full} has no ${ENTRY_FILES.join(' or ')}`, { context: { path } });
  return entry;
}

function isAgent(value: unknown): value is Agent<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Agent<unknown>).run === 'function';
}

/**
 * Loads an agent module and makes its agent. The module exports (as default, or as `agent`) a
 * function of the setup returning an agent or its options, an agent, or its options: the same
 * shapes `sextant eval` accepts. Options get the setup's tracer and `--model`; a ready agent
 * keeps its own (so `--model` cannot apply to it).
 */
async function loadAgent(file: string, setup: AgentSetup): Promise<Agent<unknown>> {
  // tsx loads TypeScript modules (and their .ts imports) without a build step.
  const { tsImport } = await import('tsx/esm/api');
  const module = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  let exported = module.agent ?? module.default;
  // A CommonJS-transpiled module nests the default export one level down.
  if (exported && typeof exported === 'object' && !isAgent(exported) && !('model' in exported) && 'default' in exported)
    exported = (exported as { default: unknown }).default;
  // A function has had the setup: it chose its model; only a missing tracer is filled in below.
  const fromFactory = typeof exported === 'function';
  if (fromFactory) exported = await (exported as AgentFactory)(setup);
  if (isAgent(exported)) {
    if (setup.model !== undefined && !fromFactory) {
      throw new SextantError(
        'CONFIG_INVALID',
        `${file} exports a ready agent, so --model cannot change its model: export a function of the setup, or the agent's options`,
        { context: { module: file } },
      );
    }
    return exported;
  }
  if (exported && typeof exported === 'object' && 'model' in exported) {
    const options = exported as AgentOptions<unknown>;
    if (fromFactory) return defineAgent({ ...options, tracer: options.tracer ?? setup.tracer });
    return defineAgent({
      ...options,
      ...(setup.model !== undefined ? { model: setup.model } : {}),
      tracer: options.tracer ? fanOutTracer([setup.tracer, options.tracer]) : setup.tracer,
    });
  }
  throw new SextantError(
    'CONFIG_INVALID',
    `${file} must export (as default or \`agent\`) a function of the run's setup that returns the agent, an agent, or its options`,
    {
      context: { module: file, exports: Object.keys(module) },
    },
  );
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
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

function isSextantErrorLike(error: unknown): error is { code: string; message: string } {
  // The module may load its own copy of the library (from source), so its errors are not instanceof ours.
  return error instanceof Error && error.name === 'SextantError' && typeof (error as { code?: unknown }).code === 'string';
}

export const runCommand: Command = {
  summary: 'Run an agent module on an input, showing its steps, answer, stop reason, cost and run id',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: { model: { type: 'string' }, session: { type: 'string' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    });
    if (values.help || positionals.length < 1 || positionals.length > 2) {
      (values.help ? console.log : console.error)(USAGE);
      return values.help ? 0 : 1;
    }
    const file = resolveAgentModule(positionals[0]);
    let input = positionals[1];
    if (input === undefined) {
      if (process.stdin.isTTY) throw new SextantError('INVALID_REQUEST', 'No input: give it as the second argument or on standard input');
      input = await readStdin();
    }
    if (input.trim() === '') throw new SextantError('INVALID_REQUEST', 'The input is empty');
    // A malformed model string fails here, before anything is loaded, not in the middle of the run.
    if (values.model !== undefined && values.model !== 'scripted') parseModelString(values.model);

    const store = await openStore();
    // Redaction before storage is the default (DEFAULTS.security.pii.redactStored): runs hold users' messages.
    const storeTracer = createStoreTracer({ repository: sqlTraceRepository(store), redact: DEFAULTS.security.pii.redactStored ? redactValue : false });
    const write = (line: string) => process.stderr.write(`${line}\n`);
    const live = liveView(write);
    const cleanups: Array<() => unknown> = [];
    try {
      const agent = await loadAgent(file, {
        model: values.model,
        tracer: fanOutTracer([storeTracer, live]),
        store,
        onClose: (cleanup) => cleanups.push(cleanup),
      });
      const runId = randomUUID();
      write(`run ${runId} · ${agent.name}${values.session ? ` · session ${values.session}` : ''}`);
      const result = await agent.run(input, { runId, ...(values.session ? { session: values.session } : {}) });
      await storeTracer.flush();
      if (values.json) {
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
    } catch (error) {
      if (isSextantErrorLike(error) && !(error instanceof SextantError)) {
        console.error(`error [${error.code}]: ${error.message}`);
        return 1;
      }
      throw error;
    } finally {
      for (const cleanup of cleanups.reverse()) await cleanup();
      await storeTracer.close();
      await store.close();
    }
  },
};
