import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import { WIRE_FORMAT_NAMES } from '../model/providers/index.js';

/**
 * The gateway's configuration: a YAML or JSON file (strings may use `${VAR}` or
 * `${VAR:-default}` to read the environment), then SEXTANT_* environment overrides.
 * Without a file, `configFromEnv` serves whatever the environment's provider keys allow.
 */

const targetSchema = z.object({
  /** A `provider:model` string. */
  model: z.string().regex(/^[a-z0-9_-]+:.+$/i, 'expected "provider:model", e.g. "openai:gpt-4o-mini"'),
  /** Share of traffic among an alias's targets (load balancing); fallbacks ignore it. */
  weight: z.number().positive().default(1),
  /** Per-attempt timeout for this target, in ms; the pipeline's default when absent. */
  timeoutMs: z.number().int().positive().optional(),
});

/** A target is `"provider:model"` or `{ model, weight?, timeoutMs? }`. */
const targetInput = z.preprocess((value) => (typeof value === 'string' ? { model: value } : value), targetSchema);

/** A route is one target string, or `{ targets, fallbacks? }`. */
const routeSchema = z.preprocess(
  (value) => (typeof value === 'string' ? { targets: [value] } : value),
  z.object({ targets: z.array(targetInput).min(1), fallbacks: z.array(targetInput).default([]) }),
);

const providerSchema = z.object({
  /** Which wire format (model/providers' registry); defaults to the provider's name (`openai`, `anthropic`, `scripted`). */
  type: z.enum(WIRE_FORMAT_NAMES).optional(),
  apiKey: z.string().optional(),
  baseURL: z.url().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  /** Bare model names (no `provider:` prefix) starting with one of these go to this provider. */
  modelPrefixes: z.array(z.string()).optional(),
  /** Models listed by GET /v1/models for this provider, beside the aliases. */
  models: z.array(z.string()).optional(),
});

export const gatewayConfigSchema = z.object({
  server: z
    .object({
      port: z.number().int().min(0).max(65535).default(DEFAULTS.gateway.port),
      host: z.string().default(DEFAULTS.gateway.host),
      bodyLimitBytes: z.number().int().positive().default(DEFAULTS.gateway.bodyLimitBytes),
      shutdownDrainMs: z.number().int().nonnegative().default(DEFAULTS.gateway.shutdownDrainMs),
    })
    .prefault({}),
  store: z.object({ url: z.string().optional() }).prefault({}),
  providers: z.record(z.string().regex(/^[a-z0-9_-]+$/i, 'provider names are letters, digits, "-" and "_"'), providerSchema).default({}),
  /** Model aliases clients ask for, each mapped to targets (weighted) and fallbacks (in order). */
  models: z.record(z.string(), routeSchema).default({}),
  cache: z
    .object({
      /** Exact-match response cache (per tenant, model, prompt and parameters); clients opt out per call with `x-sextant-cache: bypass`. */
      enabled: z.boolean().default(true),
      /** Also answer near-duplicate questions (embedding similarity + verification); off by default: it trades exactness for hits. */
      semantic: z.boolean().default(false),
    })
    .prefault({}),
  /** Spending limits applied to every call of each session, key or tenant (keys may carry their own too). */
  budgets: z
    .array(z.object({ scope: z.enum(['session', 'key', 'tenant']), window: z.enum(['total', 'day', 'month']), limitUsd: z.number().nonnegative() }))
    .default([]),
  sessions: z
    .object({
      /** `enforce`: warn the model on a loop, refuse the session's calls if it goes on (422); `warn`: only warn; `off`. */
      loopDetection: z.enum(['off', 'warn', 'enforce']).default('enforce'),
    })
    .prefault({}),
  tracing: z
    .object({
      enabled: z.boolean().default(true),
      /** Prune finished traces older than this (ms), every retentionIntervalMs; 0 keeps them forever. */
      retentionMaxAgeMs: z.number().int().nonnegative().default(DEFAULTS.trace.retentionMaxAgeMs),
      /** Prune the oldest traces beyond this much stored span JSON (bytes); 0 sets no bound. */
      retentionMaxBytes: z.number().int().nonnegative().default(DEFAULTS.trace.retentionMaxBytes),
      retentionIntervalMs: z.number().int().positive().default(DEFAULTS.trace.retentionIntervalMs),
    })
    .prefault({}),
  security: z
    .object({
      /** Replace PII and secrets in spans before they are stored. */
      redactStored: z.boolean().default(DEFAULTS.security.pii.redactStored),
      /** Replace PII and secrets with placeholders before a request goes upstream, and put them back in the answer. */
      redactUpstream: z.boolean().default(DEFAULTS.security.pii.redactUpstream),
    })
    .prefault({}),
  auth: z
    .object({
      /** Require a virtual key (Authorization: Bearer sk-sx-...) on every /v1 call. The admin key is SEXTANT_ADMIN_KEY. */
      required: z.boolean().default(false),
    })
    .prefault({}),
});

export type GatewayConfigInput = z.input<typeof gatewayConfigSchema>;
export type GatewayConfig = z.output<typeof gatewayConfigSchema>;
export type Target = z.output<typeof targetSchema>;
export type Route = GatewayConfig['models'][string];
export type ProviderConfig = z.output<typeof providerSchema>;

function configError(message: string, context: Record<string, unknown> = {}): SextantError {
  return new SextantError('CONFIG_INVALID', message, { context });
}

/** Replaces `${VAR}` / `${VAR:-default}` in every string of a parsed document. */
export function interpolateEnv(value: unknown, env: NodeJS.ProcessEnv, path = ''): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/gi, (_, name: string, fallback: string | undefined) => {
      const found = env[name];
      if (found !== undefined && found !== '') return found;
      if (fallback !== undefined) return fallback;
      throw configError(`Environment variable ${name} is not set (used at ${path || 'the top level'})`, { variable: name, path });
    });
  }
  if (Array.isArray(value)) return value.map((v, i) => interpolateEnv(v, env, `${path}[${i}]`));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateEnv(v, env, path ? `${path}.${k}` : k)]));
  }
  return value;
}

/** Validates a configuration object; every problem is listed with its path. */
export function parseGatewayConfig(input: unknown, source = 'configuration'): GatewayConfig {
  const result = gatewayConfigSchema.safeParse(input ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => `  - ${i.path.join('.') || '(top level)'}: ${i.message}`);
    throw configError(`Invalid ${source}:\n${problems.join('\n')}`, {
      source,
      issues: result.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    });
  }
  const config = result.data;
  const timeouts = new Map<string, number>();
  for (const [alias, route] of Object.entries(config.models)) {
    for (const target of [...route.targets, ...route.fallbacks]) {
      const other = timeouts.get(target.model);
      if (target.timeoutMs !== undefined && other !== undefined && other !== target.timeoutMs) {
        throw configError(
          `Invalid ${source}: target "${target.model}" has two timeouts (${other} and ${target.timeoutMs} ms); a target's timeout is per target, give it once`,
          { alias, target: target.model },
        );
      }
      if (target.timeoutMs !== undefined) timeouts.set(target.model, target.timeoutMs);
      const provider = target.model.slice(0, target.model.indexOf(':'));
      if (!config.providers[provider]) {
        throw configError(
          `Invalid ${source}: models.${alias} targets "${target.model}" but no provider "${provider}" is configured (known: ${Object.keys(config.providers).join(', ') || 'none'})`,
          { alias, provider },
        );
      }
    }
  }
  return config;
}

/** Reads a YAML or JSON file (by extension; YAML otherwise), interpolates the environment, validates. */
export function loadGatewayConfig(path: string, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw configError(`Cannot read config file ${path}: ${(error as Error).message}`, { path });
  }
  let document: unknown;
  try {
    document = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (error) {
    throw configError(`Config file ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(error as Error).message}`, { path });
  }
  return applyEnvOverrides(parseGatewayConfig(interpolateEnv(document, env), path), env);
}

function envPort(env: NodeJS.ProcessEnv): number | undefined {
  if (env.SEXTANT_PORT === undefined || env.SEXTANT_PORT === '') return undefined;
  const port = Number(env.SEXTANT_PORT);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw configError(`SEXTANT_PORT must be a port number, got "${env.SEXTANT_PORT}"`);
  return port;
}

/** SEXTANT_PORT, SEXTANT_HOST and SEXTANT_DATABASE_URL win over the file. */
export function applyEnvOverrides(config: GatewayConfig, env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const port = envPort(env);
  return {
    ...config,
    server: { ...config.server, port: port ?? config.server.port, host: env.SEXTANT_HOST || config.server.host },
    store: { url: env.SEXTANT_DATABASE_URL || config.store.url },
  };
}

/** Bare names of each vendor's models, so an unmodified OpenAI or Anthropic client's model names route. */
const VENDOR_PREFIXES = {
  openai: ['gpt-', 'o1', 'o3', 'o4', 'chatgpt-', 'text-embedding-'],
  anthropic: ['claude-'],
};

/**
 * The configuration when no file is given: every provider whose key is in the environment,
 * plus the scripted demo model, which needs no key and always answers.
 */
export function configFromEnv(env: NodeJS.ProcessEnv = process.env): GatewayConfig {
  const providers: Record<string, z.input<typeof providerSchema>> = { scripted: { type: 'scripted', models: ['scripted'] } };
  if (env.OPENAI_API_KEY) {
    providers.openai = {
      type: 'openai',
      apiKey: env.OPENAI_API_KEY,
      modelPrefixes: VENDOR_PREFIXES.openai,
      models: ['gpt-4o-mini', 'gpt-4o', 'text-embedding-3-small'],
    };
    if (env.OPENAI_BASE_URL) providers.openai.baseURL = env.OPENAI_BASE_URL;
  }
  if (env.ANTHROPIC_API_KEY) {
    providers.anthropic = {
      type: 'anthropic',
      apiKey: env.ANTHROPIC_API_KEY,
      modelPrefixes: VENDOR_PREFIXES.anthropic,
      models: ['claude-3-5-haiku-latest', 'claude-sonnet-4-0'],
    };
    if (env.ANTHROPIC_BASE_URL) providers.anthropic.baseURL = env.ANTHROPIC_BASE_URL;
  }
  return applyEnvOverrides(parseGatewayConfig({ providers }, 'environment configuration'), env);
}
