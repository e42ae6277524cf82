import { SextantError } from '../errors.js';
import type { Provider } from '../model/provider.js';
import type { CallOptions, Model } from '../model/model.js';
import type { Pipeline } from '../pipeline/create-pipeline.js';
import { compose, type CallContext, type Middleware } from '../pipeline/middleware.js';

export interface ResolvedModel {
  model: Model;
  /** What goes in `request.model`. */
  modelName: string;
}

function isProvider(value: Model | Provider): value is Provider {
  return typeof (value as Provider).name === 'string';
}

/** A provider called directly, without middleware: for tests, benchmarks and embedded use. */
function providerAsModel(provider: Provider): Model {
  return {
    generate: (request, options) => provider.generate(request, { signal: options?.signal }),
    stream: (request, options) => provider.stream(request, { signal: options?.signal }),
    ...(provider.priceOf ? { priceOf: (model: string) => provider.priceOf!(model) } : {}),
    embed: (request, options) => {
      if (!provider.embed) {
        throw new SextantError('INVALID_REQUEST', `Provider "${provider.name}" does not embed`, { context: { provider: provider.name } });
      }
      return provider.embed(request, { signal: options?.signal });
    },
  };
}

/**
 * The agent's `model` option: a pipeline Model (with `modelName`, the model string it routes),
 * a Provider (called directly; `modelName` is its own model name), or a model string (the
 * standard pipeline is built for it by `buildPipeline`).
 */
export function resolveModel(
  model: Model | Provider | string,
  modelName: string | undefined,
  buildPipeline: (modelString: string) => Model,
  tracing: Middleware | undefined,
): ResolvedModel {
  if (typeof model === 'string') return { model: buildPipeline(model), modelName: model };
  if (isProvider(model)) return { model: withTracing(providerAsModel(model), tracing), modelName: modelName ?? 'default' };
  if (!modelName) {
    throw new SextantError('CONFIG_INVALID', 'An agent given a pipeline Model needs `modelName`: the model string the pipeline routes', {
      context: { option: 'modelName' },
    });
  }
  return { model: withTracing(model, tracing), modelName };
}

/**
 * The model with the tracing stage in front when it has none of its own (a provider, a pipeline
 * built without one), so the agent's model spans come from the one tracing middleware both
 * fronts use. A pipeline that traces is left as it is: its tracing stage sits after redaction.
 */
function withTracing(model: Model, tracing: Middleware | undefined): Model {
  if (!tracing || (model as Partial<Pipeline>).order?.includes('tracing')) return model;
  const options = (context: CallContext): CallOptions => ({ signal: context.signal, controls: context.controls, trace: context.trace });
  const traced = compose([tracing], {
    generate: (request, context) => model.generate(request, options(context)),
    stream: (request, context) => model.stream(request, options(context)),
    embed: (request, context) => model.embed(request, options(context)),
  });
  return model.priceOf ? Object.assign(traced, { priceOf: (name: string) => model.priceOf!(name) }) : traced;
}
