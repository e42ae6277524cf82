import { SextantError } from '../errors.js';
import type { Provider } from '../model/provider.js';
import type { Model } from '../model/model.js';

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
export function resolveModel(model: Model | Provider | string, modelName: string | undefined, buildPipeline: (modelString: string) => Model): ResolvedModel {
  if (typeof model === 'string') return { model: buildPipeline(model), modelName: model };
  if (isProvider(model)) return { model: providerAsModel(model), modelName: modelName ?? 'default' };
  if (!modelName) {
    throw new SextantError('CONFIG_INVALID', 'An agent given a pipeline Model needs `modelName`: the model string the pipeline routes', {
      context: { option: 'modelName' },
    });
  }
  return { model, modelName };
}
