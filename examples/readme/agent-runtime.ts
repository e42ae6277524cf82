import { z } from 'zod';
import { defineAgent, defineTool } from 'sextant';
import { crm } from './crm.js'; // your CRM client (here a stand-in)

const lookupOrder = defineTool({
  name: 'lookup_order',
  description: 'Look an order up by its number',
  input: z.object({ orderId: z.number().int() }),
  output: z.object({ status: z.string(), carrier: z.string().nullable() }),
  timeoutMs: 5_000,
  idempotent: true,
  async execute({ orderId }, ctx) {
    return crm.order(orderId, { signal: ctx.signal }); // ctx: signal, runId, sessionId, toolCallId, attempt, logger
  },
});

const agent = defineAgent({
  model: 'openai:gpt-4o-mini', // reads OPENAI_API_KEY (and OPENAI_BASE_URL) when a run starts
  instructions: 'Answer from the tools only.',
  tools: [lookupOrder],
  limits: { maxSteps: 8, timeoutMs: 60_000, maxCostUsd: 0.05 },
  outputSchema: z.object({ answer: z.string(), citations: z.array(z.string()) }),
});

// A session keeps the conversation between runs: in memory unless the agent is given a `sessions` store.
const result = await agent.run('Where is order 1042?', { session: 'customer-17' });
// { runId, sessionId?, output, text, stopReason, stopDetail, steps, usage, cost, messages, checks, state, loop?, pendingApprovals?, error? }
console.log(result.stopReason, result.output);

for await (const event of agent.stream('Which carrier has it?', { session: 'customer-17' })) {
  // step-start, text-delta, tool-call, tool-result, step-finish, loop-warning, finish
  if (event.type === 'tool-call') console.log('tool call:', event.toolCall.name, event.toolCall.arguments);
  if (event.type === 'finish') console.log(event.result.stopReason, event.result.output);
}
