import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isSextantError } from '../errors.js';
import { WIRE_FORMAT_NAMES } from '../model/providers/index.js';
import { configFromEnv, loadGatewayConfig, parseGatewayConfig } from './config.js';
import { createRouteTable } from './route-table.js';

const dir = mkdtempSync(join(tmpdir(), 'sextant-gateway-config-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (error) {
    return error as Error;
  }
  throw new Error('expected an error');
}

describe('gateway config', () => {
  it("accepts as a provider's type exactly the provider registry's wire formats", () => {
    for (const type of WIRE_FORMAT_NAMES) expect(parseGatewayConfig({ providers: { p: { type } } }).providers.p.type).toBe(type);
    expect(() => parseGatewayConfig({ providers: { p: { type: 'gemini' } } })).toThrow(/providers\.p\.type/);
  });

  it('reads YAML with ${VAR} and ${VAR:-default}, then SEXTANT_* overrides', () => {
    const path = file(
      'sextant.yaml',
      `
server: { port: 9000 }
providers:
  openai: { apiKey: "\${OPENAI_KEY_FOR_TEST}", baseURL: "\${UPSTREAM:-http://127.0.0.1:1}/v1" }
models:
  fast:
    targets:
      - { model: openai:gpt-4o-mini, weight: 3, timeoutMs: 5000 }
      - openai:gpt-4.1-mini
    fallbacks: [openai:gpt-4o]
  smart: openai:gpt-4o
`,
    );
    const config = loadGatewayConfig(path, { OPENAI_KEY_FOR_TEST: 'sk-test', SEXTANT_HOST: '0.0.0.0' });
    expect(config.providers.openai).toMatchObject({ apiKey: 'sk-test', baseURL: 'http://127.0.0.1:1/v1' });
    expect(config.server).toMatchObject({ port: 9000, host: '0.0.0.0' });
    expect(config.models.fast.targets).toEqual([
      { model: 'openai:gpt-4o-mini', weight: 3, timeoutMs: 5000 },
      { model: 'openai:gpt-4.1-mini', weight: 1 },
    ]);
    expect(config.models.fast.fallbacks).toEqual([{ model: 'openai:gpt-4o', weight: 1 }]);
    expect(config.models.smart).toEqual({ targets: [{ model: 'openai:gpt-4o', weight: 1 }], fallbacks: [] });
    expect(loadGatewayConfig(file('c.json', '{"models":{}}'), {}).server.port).toBe(8787);
  });

  it('says which environment variable is missing and where', () => {
    const error = thrown(() => loadGatewayConfig(file('missing.yaml', 'providers:\n  openai: { apiKey: "${NOT_SET_ANYWHERE}" }\n'), {}));
    expect(isSextantError(error, 'CONFIG_INVALID')).toBe(true);
    expect(error.message).toContain('NOT_SET_ANYWHERE');
    expect(error.message).toContain('providers.openai.apiKey');
  });

  it('lists every problem with its path', () => {
    const error = thrown(() =>
      parseGatewayConfig({ server: { port: 'eighty' }, models: { fast: { targets: [] } }, providers: { openai: { baseURL: 'not a url' } } }),
    );
    expect(error.message).toMatch(/server\.port/);
    expect(error.message).toMatch(/providers\.openai\.baseURL/);
    expect(error.message).toMatch(/models\.fast/);
  });

  it('refuses a target whose provider is not configured, a bad model string, and unreadable files', () => {
    expect(thrown(() => parseGatewayConfig({ models: { fast: 'mistral:large' } })).message).toMatch(/no provider "mistral"/);
    expect(thrown(() => parseGatewayConfig({ models: { fast: 'gpt-4o' } })).message).toMatch(/provider:model/);
    expect(thrown(() => loadGatewayConfig(join(dir, 'absent.yaml'))).message).toMatch(/Cannot read config file/);
    expect(thrown(() => loadGatewayConfig(file('bad.yaml', 'models: [unclosed'))).message).toMatch(/not valid YAML/);
    expect(thrown(() => loadGatewayConfig(file('bad.json', '{'))).message).toMatch(/not valid JSON/);
  });

  it('without a file, serves the providers whose keys are set, and always the scripted demo model', () => {
    const bare = configFromEnv({});
    expect(Object.keys(bare.providers)).toEqual(['scripted']);
    expect(createRouteTable({ config: bare }).resolve('scripted').targets[0].model).toBe('scripted:scripted');
    const keyed = configFromEnv({ OPENAI_API_KEY: 'sk-1', OPENAI_BASE_URL: 'http://127.0.0.1:9/v1', ANTHROPIC_API_KEY: 'sk-2', SEXTANT_PORT: '9999' });
    expect(Object.keys(keyed.providers).sort()).toEqual(['anthropic', 'openai', 'scripted']);
    expect(keyed.providers.openai.baseURL).toBe('http://127.0.0.1:9/v1');
    expect(keyed.server.port).toBe(9999);
    const table = createRouteTable({ config: keyed });
    expect(table.resolve('gpt-4o').targets[0].model).toBe('openai:gpt-4o');
    expect(table.resolve('claude-sonnet-4-5').targets[0].model).toBe('anthropic:claude-sonnet-4-5');
    expect(() => configFromEnv({ SEXTANT_PORT: 'x' })).toThrow(/SEXTANT_PORT/);
  });
});

describe('route table', () => {
  const config = parseGatewayConfig({
    providers: { a: {}, b: {} },
    models: {
      mix: {
        targets: [
          { model: 'a:m1', weight: 1 },
          { model: 'b:m2', weight: 3 },
        ],
        fallbacks: ['a:m3'],
      },
    },
  });

  it('puts the weighted pick first, the other targets next, then the fallbacks', () => {
    expect(
      createRouteTable({ config, random: () => 0.1 })
        .resolve('mix')
        .targets.map((t) => t.model),
    ).toEqual(['a:m1', 'b:m2', 'a:m3']);
    expect(
      createRouteTable({ config, random: () => 0.5 })
        .resolve('mix')
        .targets.map((t) => t.model),
    ).toEqual(['b:m2', 'a:m1', 'a:m3']);
  });

  it('splits traffic by weight', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) - 1) / 2147483646;
    const table = createRouteTable({ config, random });
    let first = 0;
    for (let i = 0; i < 4000; i++) if (table.resolve('mix').targets[0].model === 'b:m2') first++;
    expect(first / 4000).toBeGreaterThan(0.7);
    expect(first / 4000).toBeLessThan(0.8);
  });

  it('accepts configured provider:model strings, and names the available models otherwise', () => {
    const table = createRouteTable({ config });
    expect(table.resolve('b:anything').targets).toEqual([{ model: 'b:anything', weight: 1 }]);
    const error = thrown(() => table.resolve('c:other'));
    expect(isSextantError(error, 'UNKNOWN_MODEL')).toBe(true);
    expect(error.message).toContain('Available models: mix');
  });
});
