/** Reliability metrics over repeated trials (τ-bench). */

function choose(n: number, k: number): number {
  if (k < 0 || k > n) return 0;
  let result = 1;
  for (let i = 1; i <= k; i++) result = (result * (n - k + i)) / i;
  return result;
}

/**
 * pass^k for one case with `successes` out of `trials`: the chance that k trials drawn from
 * the n all pass, C(c, k) / C(n, k) (τ-bench). With k = n it is 1 when every trial passed.
 */
export function passHatK(successes: number, trials: number, k: number): number {
  if (trials === 0 || k > trials) return 0;
  return choose(successes, k) / choose(trials, k);
}

/** pass@1: the share of trials that passed. */
export function passAt1(successes: number, trials: number): number {
  return trials === 0 ? 0 : successes / trials;
}

export function mean(values: number[]): number {
  return values.length === 0 ? 0 : values.reduce((a, b) => a + b, 0) / values.length;
}

export function percentile(values: number[], p: number): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}
