/**
 * The support desk with a real HTTP path: the agent's model is the gateway's URL (the
 * OpenAI-compatible base-URL model string), the gateway routes to the fake upstream.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSupportDesk, type SupportDesk } from '../examples/support-desk/index.js';
import { unwrapUntrusted } from '../src/security/index.js';
import { createGateway, parseGatewayConfig, type Gateway, type RunningServer } from '../src/gateway/index.js';
import { openStore, sqlTraceRepository, type SqlStore } from '../src/store/index.js';
import { createFakeUpstream, type FakeRequest, type FakeResponse, type FakeUpstream } from '../src/testing/index.js';

const dir = mkdtempSync(join(tmpdir(), 'sextant-support-gateway-'));
let upstream: FakeUpstream;
let gatewayStore: SqlStore;
let agentStore: SqlStore;
let gateway: Gateway;
let server: RunningServer;
let desk: SupportDesk;

/** The upstream model: looks the order up, then answers from the tool results; says yes as a judge. */
function respond(request: FakeRequest): FakeResponse | undefined {
  const body = request.body;
  if (body.response_format?.json_schema?.name === 'verdict') return { text: JSON.stringify({ reason: 'supported by the order record', verdict: 'yes' }) };
  const sawTools = body.messages.some((m: { role: string }) => m.role === 'tool');
  if (!sawTools)
    return {
      toolCalls: [
        { name: 'crm_lookup', arguments: { order_id: 1042 } },
        { name: 'search_knowledge_base', arguments: { query: 'order tracking' } },
      ],
    };
  const tool = body.messages.find((m: { role: string; content: string }) => m.role === 'tool' && m.content.includes('"orders"'));
  const order = JSON.parse(unwrapUntrusted(tool.content)).orders[0];
  return {
    text: JSON.stringify({
      answer: `Your order ${order.order_id} is ${order.status} with ${order.carrier}, estimated delivery ${order.estimated_delivery}.`,
      citations: [`crm:order:${order.order_id}`],
      handoff: false,
    }),
    usage: { inputTokens: 900, outputTokens: 60 },
  };
}

beforeAll(async () => {
  upstream = await createFakeUpstream({ respond });
  gatewayStore = await openStore({ url: ':memory:' });
  agentStore = await openStore({ url: join(dir, 'agent.db') });
  const config = parseGatewayConfig({
    providers: { openai: { baseURL: `${upstream.url}/v1`, apiKey: 'upstream-key', modelPrefixes: ['gpt-'] } },
    models: { 'support-model': { targets: ['openai:gpt-4o-mini'] } },
    cache: { enabled: false },
  });
  gateway = await createGateway({ config, store: gatewayStore });
  server = await gateway.listen({ port: 0, host: '127.0.0.1' });
  desk = await createSupportDesk({ store: agentStore, crmPath: join(dir, 'crm.db'), model: `${server.url}/v1|support-model` });
});

afterAll(async () => {
  await desk.close();
  await gateway.close();
  await upstream.close();
  await gatewayStore.close();
  await agentStore.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('support desk through the gateway to the fake upstream', () => {
  it('answers over HTTP: tool calls, the output schema and the answer cross the wire, and the gateway traces each call', async () => {
    const result = await desk.agent.run('Where is my order 1042?');
    expect(result.stopReason).toBe('completed');
    expect(result.output).toEqual({
      answer: 'Your order 1042 is shipped with UPS, estimated delivery 2026-11-24.',
      citations: ['crm:order:1042'],
      handoff: false,
    });
    expect(result.steps[0].toolResults.map((r) => r.name)).toEqual(['crm_lookup', 'search_knowledge_base']);
    // The upstream saw the gateway's routing: its own model name and key, the tools and the output schema.
    const chats = upstream.requests.filter((r) => r.api === 'openai-chat');
    expect(chats[0].body.model).toBe('gpt-4o-mini');
    expect(chats[0].headers.authorization).toBe('Bearer upstream-key');
    expect(chats[0].body.tools.map((t: { function: { name: string } }) => t.function.name)).toEqual(['crm_lookup', 'search_knowledge_base']);
    expect(chats[1].body.response_format.json_schema.name).toBe('answer');
    expect(result.checks.map((c) => [c.check, c.verdict.pass])).toEqual([
      ['groundedness', true],
      ['relevance', true],
      ['citations', true],
    ]);
    // The gateway writes traces in batches off the request path (DEFAULTS.gateway.traceFlushMs): wait for them.
    await vi.waitFor(async () => expect((await sqlTraceRepository(gatewayStore).list({})).length).toBeGreaterThanOrEqual(2));
  });
});
