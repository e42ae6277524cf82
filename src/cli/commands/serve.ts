import { SextantError } from '../../errors.js';
import { configFromEnv, createGateway, type GatewayConfig, loadGatewayConfig } from '../../gateway/index.js';
import { openStore } from '../../store/index.js';

function portOf(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new SextantError('CONFIG_INVALID', `--port must be a port number (0-65535), got "${value}"`);
  return port;
}

/** One line per model a client may ask for, saying where it goes. */
export function describeModels(config: GatewayConfig): string[] {
  const lines = Object.entries(config.models).map(([alias, route]) => {
    const targets = route.targets.map((t) => (route.targets.length > 1 ? `${t.model} (weight ${t.weight})` : t.model)).join(', ');
    const fallbacks = route.fallbacks.length ? `; fallbacks: ${route.fallbacks.map((t) => t.model).join(' → ')}` : '';
    return `${alias} → ${targets}${fallbacks}`;
  });
  for (const [name, provider] of Object.entries(config.providers)) {
    if (provider.type === 'scripted' || name === 'scripted') {
      lines.push(`${(provider.models ?? [`${name}:demo`]).join(', ')} → the scripted demo model (canned answers, not an LLM)`);
      continue;
    }
    const bare = provider.modelPrefixes?.length ? `, and ${provider.modelPrefixes.map((p) => `${p}*`).join(' ')}` : '';
    lines.push(`${name}:<model>${bare} → ${name}${provider.baseURL ? ` at ${provider.baseURL}` : ''}`);
  }
  return lines;
}

/** Tracing, retention and redaction, as one line of the start banner. */
export function describeTraces(config: GatewayConfig): string {
  if (!config.tracing.enabled) return 'off';
  const { retentionMaxAgeMs: age, retentionMaxBytes: bytes } = config.tracing;
  const kept =
    [age ? `${Math.round(age / 86_400_000)} days` : '', bytes ? `${Math.round(bytes / 1024 / 1024)} MiB` : ''].filter(Boolean).join(' / ') || 'forever';
  const pii = [config.security.redactStored && 'before storage', config.security.redactUpstream && 'before upstream'].filter(Boolean).join(' and ') || 'off';
  return `on (kept ${kept}); PII redaction ${pii}`;
}

export interface ServeCommandOptions {
  config?: string;
  port?: string;
  host?: string;
}

/** `sextant serve`: starts the gateway and the dashboard, prints where they listen, and drains on SIGINT/SIGTERM. */
export async function serveCommand(values: ServeCommandOptions): Promise<number> {
  const configPath = values.config ?? process.env.SEXTANT_CONFIG;
  const config = configPath ? loadGatewayConfig(configPath) : configFromEnv();
  const realProviders = Object.entries(config.providers).filter(([name, p]) => p.type !== 'scripted' && name !== 'scripted');
  const store = await openStore({ url: config.store.url });
  const gateway = await createGateway({ config, store });
  let server;
  try {
    server = await gateway.listen({ port: portOf(values.port), host: values.host });
  } catch (error) {
    await gateway.close();
    await store.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') throw new SextantError('CONFIG_INVALID', `Port ${values.port ?? config.server.port} is in use: pick another with --port`);
    throw error;
  }

  const lines = [
    `sextant gateway listening on ${server.url}`,
    `  OpenAI base URL   ${server.url}/v1`,
    `  dashboard         ${server.url}/dashboard/`,
    `  health            ${server.url}/health`,
    `  data              ${store.location} (${store.engine})`,
    `  config            ${configPath ?? 'none: providers from the environment'}`,
    `  keys              ${config.auth.required ? 'required (Authorization: Bearer sk-sx-...; create one with `sextant keys create`)' : 'optional (a virtual key attributes calls to its tenant and budgets)'}`,
    `  traces            ${describeTraces(config)}`,
    `  cache             ${config.cache.enabled ? `on (${config.cache.semantic ? 'exact + semantic' : 'exact'}; x-sextant-cache: bypass skips it)` : 'off'}`,
    '  models',
    ...describeModels(config).map((line) => `    ${line}`),
  ];
  if (realProviders.length === 0) {
    lines.push(
      '',
      '  No provider key found (OPENAI_API_KEY, ANTHROPIC_API_KEY) and no --config: only the scripted demo model is served.',
      '  Its answers are canned, not from an LLM. Set a key or pass --config sextant.yaml to serve real models.',
    );
  }
  console.log(lines.join('\n'));

  await new Promise<void>((resolve) => {
    let stopping = false;
    const stop = (signal: string) => {
      if (stopping) {
        console.error(`sextant gateway: ${signal} again, exiting without waiting`);
        process.exit(1);
      }
      stopping = true;
      console.error(`sextant gateway: ${signal}, draining ${server.inFlight()} in-flight request(s) (up to ${config.server.shutdownDrainMs} ms)...`);
      void gateway
        .close()
        .then(() => store.close())
        .then(resolve);
    };
    process.once('SIGINT', () => stop('SIGINT'));
    process.once('SIGTERM', () => stop('SIGTERM'));
  });
  console.error('sextant gateway: stopped');
  return 0;
}
