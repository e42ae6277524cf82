import { DEFAULTS } from '../defaults.js';
import type { EvalProgress } from './run-suite.js';

/**
 * A progress bar on a stream (stderr): redrawn in place on a terminal; on a pipe or CI log,
 * one line per tenth of the work so logs stay short.
 */
export function progressBar(stream: NodeJS.WriteStream = process.stderr, width = DEFAULTS.eval.progressBarWidth): (p: EvalProgress) => void {
  let lastTenth = -1;
  return (p) => {
    const share = p.total === 0 ? 1 : p.done / p.total;
    const filled = Math.round(share * width);
    const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${p.done}/${p.total} trials  ${p.passed} passed  ${p.failed} failed`;
    if (stream.isTTY) {
      stream.write(`\r${line}${p.done === p.total ? '\n' : ''}`);
      return;
    }
    const tenth = Math.floor(share * 10);
    if (tenth !== lastTenth || p.done === p.total) {
      lastTenth = tenth;
      stream.write(`${line}\n`);
    }
  };
}
