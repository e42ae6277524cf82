/**
 * The provider router: the innermost handler of the pipeline (its `Terminal`). It reads the
 * provider from `request.model`, calls that provider with the bare model name and the call's
 * AbortSignal, and records which provider and target answered in `meta`.
 */
import { SextantError } from '../errors.js';
import { parseModelString, SCRIPTED_PROVIDER, URL_PROVIDER, type ParsedModelString } from './model-string.js';
import { PROVIDER_PRESETS, type Env } from './presets.js';
import type { Provider } from './provider.js';
import type { Dispatcher } from './providers/http.js';
import { WIRE_FORMATS } from './providers/index.js';
import type { EmbeddingRequest, EmbeddingResponse, ModelRequest, ModelResponse, ResponseMeta, StreamEvent } from './types.js';

export interface ProviderRouterOptions {
  /**
   * Providers by name; they take precedence over the built-in presets of the same name. Without a
   * `scripted` provider, the model string `scripted` gets the demo model (see demo-model.ts).
   */
  providers?: Record<string, Provider>;
  /** Where keys and base URLs are read, at call time. Default `process.env`. */
  env?: Env;
  /** The undici dispatcher the built-in providers send through (e.g. a ProxyAgent). Default: the shared keep-alive pool. */
  dispatcher?: Dispatcher;
}

/** What the router needs from a call's context: structurally the pipeline's CallContext. */
export interface RouterCallContext {
  signal?: AbortSignal;
}

export interface ResolvedTarget {
  provider: Provider;
  /** The bare model name the provider receives. */
  model: string;
  /** The model string as given, recorded as `meta.target`. */
  target: string;
}

export interface ProviderRouter {
  /** The provider and bare model for a model string; throws the configuration errors. */
  resolve(model: string): ResolvedTarget;
  /**
   * Throws what `resolve` would for the model string itself (malformed, unknown provider),
   * without reading keys or base URLs: those may be set between defining a model and calling it.
   */
  validate(model: string): void;
  generate(request: ModelRequest, context: RouterCallContext): Promise<ModelResponse>;
  stream(request: ModelRequest, context: RouterCallContext): AsyncIterable<StreamEvent>;
  embed(request: EmbeddingRequest, context: RouterCallContext): Promise<EmbeddingResponse>;
  /** Every name a model string may start with. */
  readonly providerNames: string[];
}

/** Distinct model strings whose parse is kept; past it the memo starts over. */
const MAX_PARSED_MODEL_STRINGS = 1_000;

export function createProviderRouter(options: ProviderRouterOptions = {}): ProviderRouter {
  const custom = options.providers ?? {};
  const providerNames = [...new Set([...Object.keys(custom), ...Object.keys(PROVIDER_PRESETS), SCRIPTED_PROVIDER])].sort();
  // Built lazily, once per (name, base URL, key): a changed env var gets a new provider.
  const built = new Map<string, Provider>();

  function cached(key: string, make: () => Provider): Provider {
    let provider = built.get(key);
    if (!provider) {
      provider = make();
      built.set(key, provider);
    }
    return provider;
  }

  function unknownProvider(name: string, model: string): SextantError {
    return new SextantError('UNKNOWN_PROVIDER', `Unknown provider "${name}" in model "${model}". Known providers: ${providerNames.join(', ')}`, {
      context: { provider: name, model, known: providerNames },
    });
  }

  function presetProvider(name: string, model: string): Provider {
    if (name === SCRIPTED_PROVIDER) return cached(SCRIPTED_PROVIDER, () => WIRE_FORMATS.scripted({ name: SCRIPTED_PROVIDER }));
    const preset = PROVIDER_PRESETS[name];
    if (!preset) throw unknownProvider(name, model);
    const env = options.env ?? process.env;
    const baseURL = preset.baseURL(env);
    if (!baseURL) {
      throw new SextantError('CONFIG_INVALID', `Provider "${name}" needs a base URL: set ${preset.baseURLHint}`, { context: { provider: name } });
    }
    const apiKey = preset.apiKeyEnv ? env[preset.apiKeyEnv] || undefined : undefined;
    if (preset.keyRequired && !apiKey) {
      throw new SextantError('MISSING_API_KEY', `Provider "${name}" needs an API key: set ${preset.apiKeyEnv} (model "${model}")`, {
        context: { provider: name, envVar: preset.apiKeyEnv, model },
      });
    }
    const query = preset.query?.(env);
    return cached(`${name}\u0000${baseURL}\u0000${apiKey ?? ''}\u0000${query ? JSON.stringify(query) : ''}`, () =>
      WIRE_FORMATS[preset.wire]({ name, baseURL, apiKey, apiKeyHeader: preset.apiKeyHeader, query, dispatcher: options.dispatcher }),
    );
  }

  // Parsed model strings: a pure function of the string, asked on every call for a handful of
  // models. Bounded, since a gateway's callers choose the strings.
  const parsedStrings = new Map<string, ParsedModelString>();
  function parse(model: string): ParsedModelString {
    let parsed = parsedStrings.get(model);
    if (!parsed) {
      parsed = parseModelString(model);
      if (parsedStrings.size >= MAX_PARSED_MODEL_STRINGS) parsedStrings.clear();
      parsedStrings.set(model, parsed);
    }
    return parsed;
  }

  function resolve(model: string): ResolvedTarget {
    const parsed = parse(model);
    if (parsed.provider === URL_PROVIDER && parsed.baseURL) {
      const baseURL = parsed.baseURL;
      const provider = cached(`${URL_PROVIDER}\u0000${baseURL}\u0000`, () =>
        WIRE_FORMATS['openai-compatible']({ name: URL_PROVIDER, baseURL, dispatcher: options.dispatcher }),
      );
      return { provider, model: parsed.model, target: model };
    }
    const provider = custom[parsed.provider] ?? presetProvider(parsed.provider, model);
    return { provider, model: parsed.model, target: model };
  }

  function validate(model: string): void {
    const parsed = parse(model);
    const byBaseURL = parsed.provider === URL_PROVIDER && parsed.baseURL !== undefined;
    if (!byBaseURL && !providerNames.includes(parsed.provider)) throw unknownProvider(parsed.provider, model);
  }

  function mark(meta: ResponseMeta, resolved: ResolvedTarget): void {
    meta.provider = resolved.provider.name;
    meta.target = resolved.target;
  }

  return {
    resolve,
    validate,
    providerNames,
    async generate(request, context) {
      const resolved = resolve(request.model);
      const response = await resolved.provider.generate({ ...request, model: resolved.model }, { signal: context.signal });
      mark(response.meta, resolved);
      return response;
    },
    async *stream(request, context) {
      const resolved = resolve(request.model);
      for await (const event of resolved.provider.stream({ ...request, model: resolved.model }, { signal: context.signal })) {
        if (event.type === 'finish') mark(event.response.meta, resolved);
        yield event;
      }
    },
    async embed(request, context) {
      const resolved = resolve(request.model);
      if (!resolved.provider.embed) {
        throw new SextantError('INVALID_REQUEST', `Provider "${resolved.provider.name}" has no embeddings API (model "${request.model}")`, {
          context: { provider: resolved.provider.name, model: request.model },
        });
      }
      const response = await resolved.provider.embed({ ...request, model: resolved.model }, { signal: context.signal });
      mark(response.meta, resolved);
      return response;
    },
  };
}
