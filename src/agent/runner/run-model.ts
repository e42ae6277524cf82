import type { EmbeddingRequest, ModelRequest } from '../../model/types.js';
import type { Model } from '../../model/model.js';
import type { Span } from '../tracing.js';
import { admitCall } from './cost-reservation.js';
import { account, callError, invokeModel, modelSpanUnder } from './model-call.js';
import { requestMetadata, type RunContext } from './run-context.js';

/**
 * The run's model as checks and context summaries see it: the agent's pipeline, but every call
 * carries the run's metadata (so shared budgets and rate limits apply), is admitted against the
 * run's cost limit, traced under `parent` and accounted in the run's cost.
 */
export function runModel(ctx: RunContext, parent: () => Span): Model {
  const withRun = <R extends ModelRequest | EmbeddingRequest>(request: R): R =>
    Object.assign({}, request, { metadata: { ...requestMetadata(ctx), ...request.metadata } });
  return {
    generate: (request, options) => invokeModel(ctx, withRun(request), { parent: parent(), signal: options?.signal }),
    async *stream(request, options) {
      const call = withRun(request);
      const signal = options?.signal ?? ctx.signal;
      const release = admitCall(ctx, call);
      try {
        for await (const event of ctx.agent.model.stream(call, { signal, trace: modelSpanUnder(ctx, parent(), false) })) {
          if (event.type === 'finish') account(ctx, event.response);
          yield event;
        }
      } catch (error) {
        throw callError(error, signal);
      } finally {
        release();
      }
    },
    async embed(request, options) {
      const response = await ctx.agent.model.embed(withRun(request), { signal: options?.signal ?? ctx.signal, trace: modelSpanUnder(ctx, parent(), false) });
      account(ctx, { usage: { inputTokens: response.usage.inputTokens, outputTokens: 0, totalTokens: response.usage.inputTokens }, cost: response.cost });
      return response;
    },
  };
}
