import { isDeepStrictEqual } from 'node:util';
import type { AgentOptions } from '../agent/define-agent.js';
import type { RunResult } from '../agent/types.js';
import { groundednessCheck } from '../checks/graders/groundedness.js';
import { relevanceCheck } from '../checks/graders/relevance.js';
import { isFailure, runCheck } from '../checks/run-check.js';
import type { Check, CheckDocument } from '../checks/types.js';
import { citationCheck } from '../checks/validators/citations.js';
import { jsonCheck } from '../checks/validators/json.js';
import { lengthCheck, regexCheck } from '../checks/validators/text.js';
import { SextantError } from '../errors.js';
import type { Model } from '../model/model.js';
import type { Tool, ToolDocument } from '../tools/define-tool.js';
import type { AgentModule } from './agent-module.js';
import type { EvalCheckRef, EvalExpectations } from './suite.js';

/** One thing a trial was graded on. */
export interface Assertion {
  name: string;
  pass: boolean;
  reason: string;
}

const normalize = (s: string) => s.toLowerCase().replace(/\s+/g, ' ');

/** Grades a run against a case's expectations. The run must complete unless the case expects another stop. */
export function checkExpectations(result: RunResult<unknown>, expect: EvalExpectations = {}): Assertion[] {
  const text = normalize(result.text);
  const out: Assertion[] = [];
  const wanted = expect.stopReason ?? 'completed';
  out.push({
    name: 'stopReason',
    pass: result.stopReason === wanted,
    reason: `stopped with ${result.stopReason}${result.stopReason === wanted ? '' : ` (${result.stopDetail}), expected ${wanted}`}`,
  });
  for (const fact of expect.contains ?? []) {
    const pass = text.includes(normalize(fact));
    out.push({ name: `contains "${fact}"`, pass, reason: pass ? 'stated' : `the answer does not state "${fact}"` });
  }
  for (const phrase of expect.notContains ?? []) {
    const pass = !text.includes(normalize(phrase));
    out.push({ name: `does not contain "${phrase}"`, pass, reason: pass ? 'absent' : `the answer says "${phrase}"` });
  }
  if (expect.matches !== undefined) {
    const pass = new RegExp(expect.matches, 'i').test(result.text);
    out.push({ name: `matches /${expect.matches}/`, pass, reason: pass ? 'matches' : 'does not match' });
  }
  if (expect.equals !== undefined) {
    const actual = typeof expect.equals === 'string' ? result.text.trim() : result.output;
    const pass = typeof expect.equals === 'string' ? actual === expect.equals.trim() : isDeepStrictEqual(actual, expect.equals);
    out.push({ name: 'equals', pass, reason: pass ? 'equal' : `got ${JSON.stringify(actual)}` });
  }
  if (expect.toolsCalled) {
    const called = new Set(result.steps.flatMap((s) => s.toolResults.map((r) => r.name)));
    for (const tool of expect.toolsCalled)
      out.push({ name: `called ${tool}`, pass: called.has(tool), reason: called.has(tool) ? 'called' : `${tool} was not called` });
  }
  if (expect.maxCostUsd !== undefined) {
    const pass = result.cost.totalUsd <= expect.maxCostUsd;
    out.push({ name: `cost <= $${expect.maxCostUsd}`, pass, reason: `cost $${result.cost.totalUsd}` });
  }
  if (expect.maxSteps !== undefined) {
    const pass = result.steps.length <= expect.maxSteps;
    out.push({ name: `steps <= ${expect.maxSteps}`, pass, reason: `${result.steps.length} steps` });
  }
  return out;
}

const BUILT_IN: Record<string, (options: Record<string, unknown>) => Check> = {
  groundedness: (o) => groundednessCheck(o),
  relevance: (o) => relevanceCheck(o),
  citations: (o) => citationCheck(o),
  json: () => jsonCheck(),
  regex: (o) => regexCheck({ pattern: new RegExp(String(o.pattern), String(o.flags ?? '')), mustMatch: o.mustMatch as boolean | undefined }),
  length: (o) => lengthCheck(o),
};

/** Resolves a suite's check reference: the agent module's own checks first, then the built-in ones. */
export function resolveCheck(ref: EvalCheckRef, module: AgentModule): Check {
  const { name, ...options } = typeof ref === 'string' ? { name: ref } : ref;
  const own = module.checks[name];
  if (own) return own;
  const make = BUILT_IN[name];
  if (!make) {
    throw new SextantError(
      'CONFIG_INVALID',
      `unknown check "${name}": export it from the agent module's \`checks\`, or use one of ${Object.keys(BUILT_IN).join(', ')}`,
      { context: { check: name } },
    );
  }
  return make(options);
}

/** The documents a finished run saw: retrieved passages (via the tool's `documents`) or whole tool results. */
export function documentsOfRun(result: RunResult<unknown>, options?: AgentOptions<unknown>): CheckDocument[] {
  const tools = new Map((options?.tools ?? []).map((t) => [t.name, t]));
  return result.steps.flatMap((step) =>
    step.toolResults
      .filter((r) => !r.isError)
      .flatMap((r): CheckDocument[] => {
        const passages = passagesOf(tools.get(r.name), r.output);
        if (passages) return passages.map((p) => ({ ...p, kind: 'retrieval' }));
        return [{ id: r.toolCallId, text: r.content, kind: 'tool-result', metadata: { tool: r.name } }];
      }),
  );
}

/**
 * A tool's passages for one output. A replayed run holds outputs as recorded text, which a
 * tool's `documents` may not read: then the whole result counts as one document.
 */
function passagesOf(tool: Tool | undefined, output: unknown): ToolDocument[] | undefined {
  if (!tool?.documents) return undefined;
  try {
    const passages = tool.documents(output as never);
    return Array.isArray(passages) ? passages : undefined;
  } catch {
    return undefined;
  }
}

const noJudge: Model = {
  generate: () =>
    Promise.reject(new SextantError('CONFIG_INVALID', 'this check needs a judge model: export `judge` ({ model, modelName }) from the agent module')),
  stream: () => {
    throw new SextantError('CONFIG_INVALID', 'no judge model');
  },
  embed: () => Promise.reject(new SextantError('CONFIG_INVALID', 'no judge model')),
};

/** Runs checks on a finished run's answer. An 'unknown' verdict fails: a suite never counts what it could not decide as a pass. */
export async function gradeWithChecks(options: {
  checks: Check[];
  result: RunResult<unknown>;
  question: string;
  module: AgentModule;
  signal: AbortSignal;
}): Promise<Assertion[]> {
  const { result, module } = options;
  const documents = documentsOfRun(result, module.options);
  const out: Assertion[] = [];
  for (const check of options.checks) {
    const verdict = await runCheck(check, {
      stage: 'final',
      question: options.question,
      answer: { text: result.text, output: result.output },
      documents,
      messages: result.messages,
      signal: options.signal,
      model: module.judge?.model ?? noJudge,
      modelName: module.judge?.modelName ?? 'none',
      attempt: 0,
      runId: result.runId,
    });
    const failed = isFailure({ ...check, onUnknown: 'fail' }, verdict);
    out.push({ name: `check ${check.name}`, pass: !failed, reason: verdict.reason });
  }
  return out;
}
