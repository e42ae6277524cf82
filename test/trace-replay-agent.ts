/** Agent modules for the `sextant replay` CLI test: the recorded agent, and a changed one. */
import { z } from 'zod';
import { defineTool, type AgentOptions } from '../src/agent/index.js';
import { scriptedModel, type ScriptedReply } from '../src/model/index.js';

const tools = [
  defineTool({
    name: 'crm_lookup',
    description: 'Look up an order',
    input: z.object({ order: z.number() }),
    execute: ({ order }) => ({ order, status: 'shipped' }),
  }),
  defineTool({
    name: 'kb_search',
    description: 'Search the help center',
    input: z.object({ query: z.string() }),
    execute: ({ query }) => `articles about ${query}`,
  }),
];

const script = (first: ScriptedReply) => scriptedModel({ replies: (_request, index) => (index === 0 ? first : { text: 'Order 42 has shipped.' }) });

/** The agent as recorded: it looks the order up. */
export default function recorded(): AgentOptions<unknown> {
  return {
    name: 'support',
    instructions: 'Look orders up.',
    model: script({ toolCalls: [{ name: 'crm_lookup', arguments: { order: 42 } }] }),
    modelName: 'scripted:x',
    tools,
  };
}

/** A changed agent whose model now searches the help center first. */
export function changed(): AgentOptions<unknown> {
  return {
    ...recorded(),
    instructions: 'Search the help center first.',
    model: script({ toolCalls: [{ name: 'kb_search', arguments: { query: 'order 42' } }] }),
  };
}
