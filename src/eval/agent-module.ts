import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { defineAgent, type Agent, type AgentOptions } from '../agent/define-agent.js';
import type { Check } from '../checks/types.js';
import { SextantError } from '../errors.js';
import type { Model } from '../model/model.js';
import type { SqlStore } from '../store/sql-store.js';
import { fanOutTracer } from '../trace/fan-out.js';
import type { Tracer } from '../trace/tracer.js';
import { resolveAgentModule } from './resolve-agent-module.js';

/**
 * What `sextant run` hands an agent module's factory. The module builds its agent from it: the
 * tracer (writes the run to the default store, so `sextant explain` shows it), the store itself
 * (for knowledge bases, caches, sessions, budgets), and the `--model` override.
 * `sextant eval` and `sextant replay` call the factory without a setup.
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
 *   export default async function (setup?: AgentSetup) { return defineAgent({ ..., tracer: setup?.tracer }); }
 */
export type AgentFactory<Output = unknown> = (setup?: AgentSetup) => Agent<Output> | AgentOptions<Output> | Promise<Agent<Output> | AgentOptions<Output>>;

/**
 * What an agent module exports:
 * - `default` (or `agent`, or the export named by `exportName`): a factory of the setup returning
 *   an Agent or its options, an Agent, or its options (needed to replay recorded runs, which
 *   rebuild the agent around the recording);
 * - `checks` (optional): named checks that eval suites can refer to;
 * - `judge` (optional): the model graders use (`{ model, modelName }`).
 */
export interface AgentModule {
  /** The module's file (a folder resolves to its index.ts or agent.ts). */
  file: string;
  agent: Agent<unknown>;
  /** The agent's options, when the module gives them rather than a built agent. */
  options?: AgentOptions<unknown>;
  checks: Record<string, Check>;
  judge?: { model: Model; modelName: string };
}

export interface LoadAgentModuleOptions {
  /** `sextant run`'s setup: passed to a factory; options get its tracer and `--model`. */
  setup?: AgentSetup;
  /** The export holding the agent. Default: `agent`, else the default export. */
  exportName?: string;
}

function isAgent(value: unknown): value is Agent<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Agent<unknown>).run === 'function';
}

function isAgentOptions(value: unknown): value is AgentOptions<unknown> {
  return typeof value === 'object' && value !== null && 'model' in value && !isAgent(value);
}

/** Options from the module, with the setup's `--model` and tracer (a factory chose its model and tracer already). */
function withSetup(options: AgentOptions<unknown>, setup: AgentSetup | undefined, fromFactory: boolean): AgentOptions<unknown> {
  if (!setup) return options;
  if (fromFactory) return { ...options, tracer: options.tracer ?? setup.tracer };
  return {
    ...options,
    ...(setup.model !== undefined ? { model: setup.model } : {}),
    tracer: options.tracer ? fanOutTracer([setup.tracer, options.tracer]) : setup.tracer,
  };
}

/**
 * Loads an agent module (TypeScript or JavaScript, through tsx so `.ts` modules work without a
 * build) and makes its agent. The one loader of `sextant run`, `sextant eval` and `sextant replay`.
 */
export async function loadAgentModule(path: string, options: LoadAgentModuleOptions = {}): Promise<AgentModule> {
  const { setup, exportName } = options;
  const file = resolveAgentModule(path);
  let mod: Record<string, unknown>;
  try {
    mod = (await tsImport(pathToFileURL(file).href, import.meta.url)) as Record<string, unknown>;
  } catch (error) {
    throw new SextantError('CONFIG_INVALID', `cannot load agent module ${file}: ${(error as Error).message}`, { context: { path: file }, cause: error });
  }
  let exported = exportName ? mod[exportName] : (mod.agent ?? mod.default);
  // A CommonJS-transpiled module nests the default export one level down.
  if (exported && typeof exported === 'object' && !isAgent(exported) && !isAgentOptions(exported) && 'default' in exported)
    exported = (exported as Record<string, unknown>).default;
  const fromFactory = typeof exported === 'function';
  if (fromFactory) exported = await (exported as AgentFactory)(setup);
  const checks = (mod.checks ?? {}) as Record<string, Check>;
  const judge = mod.judge as AgentModule['judge'];
  if (isAgent(exported)) {
    if (setup?.model !== undefined && !fromFactory) {
      throw new SextantError(
        'CONFIG_INVALID',
        `${file} exports a ready agent, so --model cannot change its model: export a function of the setup, or the agent's options`,
        { context: { module: file } },
      );
    }
    return { file, agent: exported, checks, judge };
  }
  if (isAgentOptions(exported)) {
    const agentOptions = withSetup(exported, setup, fromFactory);
    return { file, agent: defineAgent(agentOptions), options: agentOptions, checks, judge };
  }
  const where = exportName ? `under export "${exportName}"` : '(as default or `agent`)';
  throw new SextantError(
    'CONFIG_INVALID',
    `${file} must export ${where} a function of the run's setup that returns the agent or its options, an agent, or its options (exports: ${Object.keys(mod).join(', ') || 'none'})`,
    { context: { module: file, exports: Object.keys(mod) } },
  );
}
