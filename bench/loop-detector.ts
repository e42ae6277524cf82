/**
 * The loop detector against a labelled set of scripted trajectories (bench/fixtures/trajectories.ts).
 *
 *   npx tsx bench/loop-detector.ts [--max-steps 30]
 *
 * Each trajectory runs through the real agent loop (scripted model, real tools). A detection is
 * the detector's first firing (its corrective message). Precision and recall count trajectories;
 * the delay is the detection step minus the loop's first step. Savings: each looping trajectory
 * is run a second time with the detector off, to the step limit; steps and money saved are the
 * differences (the scripted model is priced like a mid-range model: $2.50 / $10 per million tokens).
 */
import { parseArgs } from 'node:util';
import { defineAgent } from '../src/agent/index.js';
import { scriptedModel, type ScriptedReply } from '../src/model/providers/scripted/provider.js';
import { toolbox, trajectories, type Trajectory } from './fixtures/trajectories.js';

const { values } = parseArgs({ options: { 'max-steps': { type: 'string', default: '30' } } });
const MAX_STEPS = Number(values['max-steps']);
const PRICING = { inputUsdPerMillion: 2.5, outputUsdPerMillion: 10 };

function script(t: Trajectory) {
  return (request: { toolChoice?: unknown }, index: number): ScriptedReply => {
    if (request.toolChoice === 'none') return { text: 'Stopping here with what I have.' };
    const text = t.text?.(index);
    if (index < t.prefix.length) return { toolCalls: t.prefix[index], ...(text ? { text } : {}) };
    if (!t.loop) return { text: `Final answer for "${t.name}".` };
    return { toolCalls: t.loop(index - t.prefix.length), ...(text ? { text } : {}) };
  };
}

async function run(t: Trajectory, detector: boolean) {
  const agent = defineAgent({
    model: scriptedModel({ replies: script(t), pricing: PRICING }),
    tools: toolbox(),
    loopDetector: detector ? undefined : false,
    limits: { maxSteps: MAX_STEPS, maxCallsPerTool: 1_000 },
  });
  return agent.run(`Task: ${t.name}`);
}

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

let tp = 0;
let fp = 0;
let fn = 0;
let tn = 0;
const delays: number[] = [];
const stepsSaved: number[] = [];
const moneySaved: number[] = [];
const moneyToLimit: number[] = [];
const rows: string[] = [];

for (const t of trajectories) {
  const result = await run(t, true);
  const firedAt = result.state.loop.warnedAtStep;
  const fired = firedAt !== undefined;
  if (t.label === 'loop') {
    const loopStart = t.prefix.length + 1;
    if (fired) {
      tp++;
      delays.push(firedAt - loopStart);
    } else fn++;
    const unchecked = await run(t, false);
    stepsSaved.push(unchecked.steps.length - result.steps.length);
    moneySaved.push(unchecked.cost.totalUsd - result.cost.totalUsd);
    moneyToLimit.push(unchecked.cost.totalUsd);
    rows.push(
      `${fired ? 'TP' : 'FN'}  ${t.name.padEnd(46)} start ${String(loopStart).padStart(2)}  fired ${String(firedAt ?? '-').padStart(2)}  ` +
        `${result.loop?.pattern ?? result.stopReason}  stop ${result.stopReason}@${result.steps.length} vs ${unchecked.stopReason}@${unchecked.steps.length}`,
    );
  } else {
    if (fired) fp++;
    else tn++;
    rows.push(
      `${fired ? 'FP' : 'TN'}  ${t.name.padEnd(46)} ${result.stopReason} after ${result.steps.length} steps${fired ? ` (fired at ${firedAt}: ${result.loop?.pattern ?? result.stopReason})` : ''}`,
    );
  }
}

const precision = tp / (tp + fp);
const recall = tp / (tp + fn);
const loops = trajectories.filter((t) => t.label === 'loop').length;
console.log(rows.join('\n'));
console.log();
console.log(`trajectories: ${trajectories.length} (${loops} looping, ${trajectories.length - loops} legitimate); max steps ${MAX_STEPS}`);
console.log(`precision ${precision.toFixed(3)} (target >= 0.95), recall ${recall.toFixed(3)} (target >= 0.95); TP ${tp}, FP ${fp}, FN ${fn}, TN ${tn}`);
console.log(`steps from loop start to detection: median ${median(delays)} (target <= 3), max ${Math.max(...delays)}`);
const totalSaved = moneySaved.reduce((a, b) => a + b, 0);
const totalToLimit = moneyToLimit.reduce((a, b) => a + b, 0);
console.log(
  `saved against running to max steps: median ${median(stepsSaved)} steps per looping run; ` +
    `$${totalSaved.toFixed(4)} of $${totalToLimit.toFixed(4)} over all looping runs (${((totalSaved / totalToLimit) * 100).toFixed(1)}% of their cost)`,
);
console.log(
  JSON.stringify({
    trajectories: trajectories.length,
    precision: Number(precision.toFixed(3)),
    recall: Number(recall.toFixed(3)),
    false_positives: fp,
    false_negatives: fn,
    median_detection_delay_steps: median(delays),
    max_detection_delay_steps: Math.max(...delays),
    median_steps_saved: median(stepsSaved),
    money_saved_usd: Number(totalSaved.toFixed(6)),
    money_saved_ratio: Number((totalSaved / totalToLimit).toFixed(3)),
  }),
);
