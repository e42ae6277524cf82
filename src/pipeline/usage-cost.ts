/**
 * Usage and cost on every call, streams included. The upstream's usage is used when it sent
 * one; missing counts (a stream without `include_usage`, a server that reports nothing) are
 * filled with a local tokenizer count and marked `usage.estimated`, so a call that produced
 * output is never costed at $0. A model without a price gets a cost marked `unpriced`.
 * A stream that breaks after output carries its partial usage and cost in the error's
 * context (`partialUsage`, `partialCost`) so a budget can still be settled. Prices are the
 * pipeline's (`context.prices`), the same the budget reserves at.
 */
import { toSextantError } from '../errors.js';
import { costOf, priceOf, type PriceTable } from '../model/pricing.js';
import { countRequestTokens, countTokens } from '../model/tokens.js';
import type { AssistantMessage, Cost, ModelRequest, ModelResponse, StreamEvent, Usage } from '../model/types.js';
import { annotate } from './annotate.js';
import type { Middleware } from './middleware.js';

function outputText(message: AssistantMessage): string {
  let text = message.content ?? '';
  if (message.reasoning) text += message.reasoning;
  for (const call of message.toolCalls ?? []) text += call.name + call.arguments;
  return text;
}

/** Fills counts the upstream left out. Input is never 0 for a real prompt, so 0 means "not reported". */
function completeUsage(request: ModelRequest, usage: Usage, output: string): Usage {
  const missingInput = usage.inputTokens === 0;
  const missingOutput = usage.outputTokens === 0 && output.length > 0;
  if (!missingInput && !missingOutput) return usage;
  const inputTokens = missingInput ? countRequestTokens(request) : usage.inputTokens;
  const outputTokens = missingOutput ? countTokens(output, request.model) : usage.outputTokens;
  return Object.assign({}, usage, { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens, estimated: true });
}

/** The upstream's reported model (e.g. a dated version) when it has a price, else the requested one. */
function costFor(requestedModel: string, reportedModel: string, usage: Usage, prices: PriceTable | undefined): Cost {
  const model = reportedModel && priceOf(reportedModel, prices) ? reportedModel : requestedModel;
  return costOf(model, usage, prices);
}

function settle(request: ModelRequest, response: ModelResponse, prices: PriceTable | undefined): void {
  response.usage = completeUsage(request, response.usage, outputText(response.message));
  response.cost = costFor(request.model, response.model, response.usage, prices);
}

export function usageCost(): Middleware {
  return {
    name: 'usage-cost',
    async generate(request, context, next) {
      const response = await next(request, context);
      settle(request, response, context.prices);
      return response;
    },
    async *stream(request, context, next): AsyncGenerator<StreamEvent> {
      // Kept only to cost a stream that breaks after output; the finish event carries the whole response otherwise.
      const sent: string[] = [];
      let model = '';
      try {
        for await (const event of next(request, context)) {
          switch (event.type) {
            case 'start':
              model = event.model;
              break;
            case 'text-delta':
            case 'reasoning-delta':
              sent.push(event.delta);
              break;
            case 'tool-call-start':
              sent.push(event.name);
              break;
            case 'tool-call-delta':
              sent.push(event.argumentsDelta);
              break;
            case 'finish':
              settle(request, event.response, context.prices);
              break;
          }
          yield event;
        }
      } catch (thrown) {
        const error = toSextantError(thrown);
        if (sent.length === 0) throw error;
        const partialUsage = completeUsage(request, { inputTokens: 0, outputTokens: 0, totalTokens: 0 }, sent.join(''));
        throw annotate(error, { partialUsage, partialCost: costFor(request.model, model, partialUsage, context.prices) });
      }
    },
    async embed(request, context, next) {
      const response = await next(request, context);
      if (response.usage.inputTokens === 0) {
        const inputTokens = request.input.reduce((sum, text) => sum + countTokens(text, request.model), 0);
        response.usage = { inputTokens };
      }
      const usage = { inputTokens: response.usage.inputTokens, outputTokens: 0, totalTokens: response.usage.inputTokens };
      response.cost = costFor(request.model, response.model, usage, context.prices);
      return response;
    },
  };
}
