/**
 * Child process for the kill test: runs a traced "agent" that completes three steps, then
 * hangs in a fourth until the parent kills it with SIGKILL. It never flushes explicitly:
 * the tracer's own step-end flushing must have written the completed steps.
 */
import { openStore, sqlTraceRepository } from '../src/store/index.js';
import { ATTR, createStoreTracer } from '../src/trace/index.js';

const [dbPath, runId] = process.argv.slice(2);
const store = await openStore({ url: dbPath });
const tracer = createStoreTracer({ repository: sqlTraceRepository(store) });
const run = tracer.startSpan({ kind: 'run', name: 'killed-agent', attributes: { [ATTR.RUN_ID]: runId, [ATTR.RUN_INPUT]: 'hello' } });
for (let index = 1; index <= 3; index++) {
  const step = tracer.startSpan({ kind: 'step', name: `step ${index}`, parent: run, attributes: { [ATTR.STEP_INDEX]: index } });
  const model = tracer.startSpan({ kind: 'model', name: 'chat', parent: step });
  model.set({ [ATTR.INPUT_TOKENS]: 10, [ATTR.OUTPUT_TOKENS]: 2, [ATTR.COST_USD]: 0.001 });
  model.end();
  const tool = tracer.startSpan({ kind: 'tool', name: 'lookup', parent: step, attributes: { [ATTR.TOOL_NAME]: 'lookup', [ATTR.TOOL_INPUT]: { q: index } } });
  tool.set({ [ATTR.TOOL_OUTPUT]: `result ${index}` });
  tool.end();
  step.end();
  await new Promise((resolve) => setTimeout(resolve, 5));
}
tracer.startSpan({ kind: 'step', name: 'step 4', parent: run, attributes: { [ATTR.STEP_INDEX]: 4 } });
process.stdout.write('hanging\n');
setInterval(() => {}, 1000);
