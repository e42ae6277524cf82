/**
 * Child process for the kill test: a real agent run, traced into SQLite with checkpoints in the
 * same store, completes three steps and hangs in its fourth tool call until the parent kills it
 * with SIGKILL. It never flushes explicitly: the tracer's own step flushing must have written
 * the completed steps.
 */
import { z } from 'zod';
import { defineAgent, defineTool } from '../src/agent/index.js';
import { scriptedModel } from '../src/model/index.js';
import { openStore, sqlCheckpointStore, sqlTraceRepository } from '../src/store/index.js';
import { createStoreTracer } from '../src/trace/index.js';

const [dbPath, runId] = process.argv.slice(2);
const store = await openStore({ url: dbPath });
const lookup = defineTool({
  name: 'lookup',
  description: 'Look a record up',
  input: z.object({ id: z.number() }),
  execute: async ({ id }) => {
    if (id < 4) return `record ${id}`;
    process.stdout.write('hanging\n');
    return new Promise<string>(() => {});
  },
});
const agent = defineAgent({
  name: 'killed-agent',
  model: scriptedModel({ replies: (_request, index) => ({ text: `step ${index + 1}`, toolCalls: [{ name: 'lookup', arguments: { id: index + 1 } }] }) }),
  modelName: 'scripted:kill',
  tools: [lookup],
  tracer: createStoreTracer({ repository: sqlTraceRepository(store), redact: false }),
  checkpoints: sqlCheckpointStore(store),
  loopDetector: false,
  limits: { timeoutMs: 600_000 },
});
await agent.run('Look up records 1 to 10.', { runId });
