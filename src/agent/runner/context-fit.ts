import { textOf, type Message } from '../../model/types.js';
import { countTokens, contextWindowOf } from '../../model/tokens.js';
import { DEFAULTS } from '../../defaults.js';
import { ATTR } from '../../trace/attributes.js';
import { dropOldest, fits, maskSettledToolResults, summaryPrompt, SUMMARY_PREFIX } from '../context-window.js';
import { invokeModel } from './model-call.js';
import { requestMetadata, type RunContext } from './run-context.js';

/**
 * Keeps the conversation inside the context window before a call. `drop-oldest` removes the
 * oldest turns until it fits. `summarize` first masks the tool results of answered turns (no
 * model call), and when that is not enough replaces the oldest turns with a summary, compacting
 * down to a share of the budget (DEFAULTS.agent.context.summarizeToShare) so one summary serves
 * many turns.
 */
export async function fitContext(ctx: RunContext): Promise<void> {
  const { agent, state } = ctx;
  const budget = contextBudget(ctx);
  if (fits(state.messages, budget, agent.modelName)) return;
  const summarize = agent.context.strategy === 'summarize';
  if (summarize) {
    const masked = maskSettledToolResults(state.messages);
    if (masked !== state.messages) {
      state.messages = masked;
      ctx.runSpan.event('context_compacted', { [ATTR.EVENT_DETAIL]: 'masked the tool results of answered turns' });
      if (fits(masked, budget, agent.modelName)) return;
    }
  }
  const target = summarize ? Math.floor(budget * (agent.context.summarizeToShare ?? DEFAULTS.agent.context.summarizeToShare)) : budget;
  const { messages, removed } = dropOldest(state.messages, target, agent.modelName);
  if (removed.length === 0) return;
  if (summarize) {
    const response = await invokeModel(
      ctx,
      { model: agent.modelName, messages: summaryPrompt(removed), metadata: requestMetadata(ctx) },
      { parent: ctx.stepSpan },
    );
    const summary: Message = { role: 'system', content: SUMMARY_PREFIX + textOf(response.message.content) };
    state.messages = dropOldest([summary, ...messages], budget, agent.modelName).messages;
  } else {
    state.messages = messages;
  }
  ctx.runSpan.event('context_compacted', { [ATTR.EVENT_DETAIL]: `${agent.context.strategy ?? 'drop-oldest'}: ${removed.length} messages taken out` });
}

/** The input tokens the conversation may use: the window less the answer's reserve and what every call sends (instructions, tools). */
function contextBudget(ctx: RunContext): number {
  if (ctx.contextBudget !== undefined) return ctx.contextBudget;
  const { agent, systemMessages, toolSpecs } = ctx;
  const window =
    agent.context.maxInputTokens ?? contextWindowOf(agent.modelName) - (agent.context.reserveOutputTokens ?? DEFAULTS.agent.context.reserveOutputTokens);
  const fixed = systemMessages.reduce((n, m) => n + (m.content as string).length, 0) + (toolSpecs.length ? JSON.stringify(toolSpecs).length : 0);
  // The fixed part is counted in characters when short (an upper bound); tokenized only when it matters.
  ctx.contextBudget = window - (fixed < window / 4 ? fixed : countTokens(JSON.stringify([systemMessages, toolSpecs]), agent.modelName));
  return ctx.contextBudget;
}
