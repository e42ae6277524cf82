/**
 * Exponential backoff with equal jitter: the wait before retry `attempt` + 1 doubles per attempt
 * from `baseDelayMs` up to `maxDelayMs`, half of it fixed and half random, so callers that failed
 * together spread out yet still back off. Shared by the model pipeline's retry and tool retries.
 */
export function backoffDelayMs(attempt: number, baseDelayMs: number, maxDelayMs: number): number {
  const step = Math.min(maxDelayMs, baseDelayMs * 2 ** (attempt - 1));
  return step / 2 + Math.random() * (step / 2);
}
