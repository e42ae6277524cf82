import { pathToFileURL } from 'node:url';
import { tsImport } from 'tsx/esm/api';
import { defineAgent, type Agent, type AgentOptions } from '../agent/define-agent.js';
import type { Check } from '../checks/types.js';
import { SextantError } from '../errors.js';
import type { Model } from '../model/model.js';

/**
 * What an eval suite's agent module exports:
 * - `default` (or `agent`): an Agent from `defineAgent`, or the options to build one (needed to
 *   replay recorded runs, which rebuild the agent around the recording), or a function returning either;
 * - `checks` (optional): named checks that suites can refer to;
 * - `judge` (optional): the model graders use (`{ model, modelName }`).
 */
export interface AgentModule {
  agent: Agent<unknown>;
  options?: AgentOptions<unknown>;
  checks: Record<string, Check>;
  judge?: { model: Model; modelName: string };
}

function isAgent(value: unknown): value is Agent<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Agent<unknown>).run === 'function';
}

function isAgentOptions(value: unknown): value is AgentOptions<unknown> {
  return typeof value === 'object' && value !== null && 'model' in value && !isAgent(value);
}

/** Loads an agent module (TypeScript or JavaScript) with tsx, so `.ts` modules work without a build. */
export async function loadAgentModule(path: string): Promise<AgentModule> {
  let mod: Record<string, unknown>;
  try {
    mod = (await tsImport(pathToFileURL(path).href, import.meta.url)) as Record<string, unknown>;
  } catch (error) {
    throw new SextantError('CONFIG_INVALID', `cannot load agent module ${path}: ${(error as Error).message}`, { context: { path }, cause: error });
  }
  // tsx may wrap a CommonJS-shaped default once more.
  let exported = mod.agent ?? mod.default;
  if (exported && typeof exported === 'object' && !isAgent(exported) && !isAgentOptions(exported) && 'default' in exported)
    exported = (exported as Record<string, unknown>).default;
  if (typeof exported === 'function') exported = await (exported as () => unknown)();
  let agent: Agent<unknown>;
  let options: AgentOptions<unknown> | undefined;
  if (isAgent(exported)) agent = exported;
  else if (isAgentOptions(exported)) {
    options = exported;
    agent = defineAgent(exported);
  } else {
    throw new SextantError('CONFIG_INVALID', `agent module ${path} must export (as default or \`agent\`) an Agent or the options of one`, {
      context: { path, exports: Object.keys(mod) },
    });
  }
  const checks = (mod.checks ?? {}) as Record<string, Check>;
  const judge = mod.judge as AgentModule['judge'];
  return { agent, options, checks, judge };
}
