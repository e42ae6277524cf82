/**
 * The support-desk agent: answers a customer's question from the CRM (orders, tickets) and the
 * help center (kb/), with checks that re-ask on ungrounded, irrelevant or uncited answers, a
 * structured answer (answer, citations, handoff), limits, a per-session budget, the semantic
 * cache on FAQ-style questions, and traces in the store.
 *
 *   npx sextant run examples/support-desk "Where is my order 1042?"
 *   npx sextant run examples/support-desk "How do I return an item?" --model openai:gpt-4o-mini
 *
 * The default export is what `sextant run` and `sextant eval` call: a function from the run's
 * setup to the agent's options.
 * Without `--model` (or with `--model scripted`) the model is a scripted conversation (scripted.ts).
 */
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { cacheMiddleware, createCache, createHashedEmbedder, type Embedder } from '../../src/cache/index.js';
import type { AgentSetup } from '../../src/eval/agent-module.js';
import { knowledgeBase, retrievalTool } from '../../src/knowledge/index.js';
import { budgetMiddleware, type BudgetRule } from '../../src/security/budget-middleware.js';
import { createSqlBudgetLedger } from '../../src/security/budget-ledger-sql.js';
import {
  createPipeline,
  createProviderRouter,
  defineAgent,
  openStore,
  sqlSessionStore,
  textOf,
  type Agent,
  type AgentOptions,
  type Limits,
  type Middleware,
  type Provider,
  type SqlStore,
  type Tracer,
} from '../../src/index.js';
import { supportDeskChecks } from './checks.js';
import { openCrm } from './crm.js';
import { SCRIPTED_MODEL, SCRIPTED_PRICES, supportDeskScriptedModel } from './scripted.js';

export const SupportAnswer = z.object({
  answer: z.string().min(1).describe('The reply to the customer, in plain words'),
  citations: z.array(z.string()).describe('Source ids the answer rests on: passage ids (file#section) and CRM records (crm:order:<id>)'),
  handoff: z.boolean().describe('True when a person must take over: the answer is not in the sources, or the customer needs an action you cannot take'),
});
export type SupportAnswer = z.infer<typeof SupportAnswer>;

const INSTRUCTIONS = `You are the customer support assistant of Northwind Outdoor, an online outdoor-gear shop.
Answer only from what your tools return: look orders up with crm_lookup when the customer names an order or gives an email,
and search the help center with search_knowledge_base for policies and how-tos. Never guess dates, prices or statuses.
Reply with JSON {"answer", "citations", "handoff"}: cite the id of every passage or order record you used
(e.g. "tracking-an-order.md#order-statuses", "crm:order:1042"). If the sources do not answer the question, or the
customer needs something you cannot do, say so briefly and set handoff to true.`;

/** Hard limits per run: a support answer needs two or three steps; the rest is headroom for re-asks. */
export const LIMITS: Partial<Limits> = { maxSteps: 8, timeoutMs: 60_000, maxCostUsd: 0.05, maxCallsPerTool: { crm_lookup: 3, search_knowledge_base: 4 } };

/** What one customer conversation (session) may spend in total, and one run. */
export const BUDGETS: BudgetRule[] = [
  { scope: 'session', window: 'total', limitUsd: 0.25 },
  { scope: 'run', window: 'total', limitUsd: 0.05 },
];

const HERE = fileURLToPath(new URL('.', import.meta.url));

/** Questions about one customer's account (an order number, an email) are never served from the cache. */
const ACCOUNT_SPECIFIC = /\b\d{4,}\b|@/;

/**
 * The cache, for FAQ-style questions only. Tool-calling answers are cached too: a repeated
 * question replays the same retrieval and, since the retrieved passages are then identical,
 * the final answer is an exact hit. Account questions bypass it (their answers are live data).
 */
function faqCache(cache: Middleware): Middleware {
  return {
    name: 'cache',
    generate(request, context, next) {
      return cache.generate!(request, faqControls(request, context), next);
    },
    stream(request, context, next) {
      return cache.stream!(request, faqControls(request, context), next);
    },
  };
}

function faqControls(request: Parameters<NonNullable<Middleware['generate']>>[0], context: Parameters<NonNullable<Middleware['generate']>>[1]) {
  const lastUser = [...request.messages].reverse().find((m) => m.role === 'user');
  if (lastUser && ACCOUNT_SPECIFIC.test(textOf(lastUser.content))) context.controls = { ...context.controls, cacheBypass: true };
  return context;
}

export interface SupportDeskOptions {
  store: SqlStore;
  tracer?: Tracer;
  /** A model string (`openai:gpt-4o-mini`...), `scripted`, or a Provider (tests). Default: the scripted conversation. */
  model?: string | Provider;
  /** Where the CRM database is (created from seed.ts when absent). Default: crm.db next to this file. */
  crmPath?: string;
  /** The help-center folder. Default: kb/ next to this file. */
  kbDir?: string;
  /** Default: the built-in offline embedder. */
  embedder?: Embedder;
  /** Providers for model strings (e.g. an OpenAI-compatible gateway); the scripted model is always there. */
  providers?: Record<string, Provider>;
}

export interface SupportDesk {
  /** What defineAgent is given: `sextant eval` reads the tools from it to grade citations. */
  options: AgentOptions<SupportAnswer>;
  agent: Agent<SupportAnswer>;
  close(): Promise<void>;
}

export async function createSupportDesk(options: SupportDeskOptions): Promise<SupportDesk> {
  const { store } = options;
  const embedder = options.embedder ?? createHashedEmbedder();
  const kb = await knowledgeBase({ dir: options.kbDir ?? `${HERE}kb`, embedder, store, name: 'support-desk' });
  const crm = openCrm(options.crmPath ?? `${HERE}crm.db`);
  const cache = await createCache({ store, embedder, cacheToolCalls: true });
  const scripted = typeof options.model === 'object' ? options.model : supportDeskScriptedModel();
  const modelName = typeof options.model === 'string' && options.model !== 'scripted' ? options.model : SCRIPTED_MODEL;
  const pipeline = createPipeline({
    terminal: createProviderRouter({ providers: { ...options.providers, scripted } }),
    budget: budgetMiddleware({ ledger: createSqlBudgetLedger({ store }), budgets: BUDGETS }),
    cache: faqCache(cacheMiddleware(cache)),
    prices: SCRIPTED_PRICES,
  });
  const agentOptions: AgentOptions<SupportAnswer> = {
    name: 'support-desk',
    model: pipeline,
    modelName,
    instructions: INSTRUCTIONS,
    tools: [crm.tool, retrievalTool(kb)],
    checks: supportDeskChecks(),
    outputSchema: SupportAnswer,
    limits: LIMITS,
    sessions: sqlSessionStore(store),
    tracer: options.tracer,
    // A support answer is a few sentences. The cap also bounds what a call reserves against the $0.05 run
    // budget: at claude-sonnet-4-5's $15 per million output tokens, Anthropic's default 4,096 alone would exceed it.
    request: { temperature: 0, maxTokens: 1_024 },
  };
  return {
    options: agentOptions,
    agent: defineAgent(agentOptions),
    async close() {
      await cache.close();
      crm.close();
    },
  };
}

/**
 * The agent for `sextant run` (which passes its setup) and `sextant eval` (which passes none:
 * the default store, and the model from SUPPORT_DESK_MODEL, e.g. `openai:gpt-4o-mini`).
 */
export default async function supportDesk(setup?: AgentSetup): Promise<AgentOptions<SupportAnswer>> {
  const store = setup?.store ?? (await openStore());
  const desk = await createSupportDesk({ store, tracer: setup?.tracer, model: setup?.model ?? process.env.SUPPORT_DESK_MODEL });
  setup?.onClose(() => desk.close());
  return desk.options;
}

/** Checks an eval suite may name: the agent's own, which read the structured answer. */
export const checks = Object.fromEntries(supportDeskChecks().map((c) => [c.name, c]));

/** The judge `sextant eval` grades with: the scripted stand-in judge (see scripted.ts) unless SUPPORT_DESK_MODEL names a real model. */
export const judge = {
  model: createPipeline({ terminal: createProviderRouter({ providers: { scripted: supportDeskScriptedModel() } }), prices: SCRIPTED_PRICES }),
  modelName: process.env.SUPPORT_DESK_MODEL ?? SCRIPTED_MODEL,
};
