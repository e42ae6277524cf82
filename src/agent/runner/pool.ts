/** Runs `work` over `items`, at most `cap` at a time; the first failure is rethrown after the others settle. */
export function pool<T>(items: T[], cap: number, work: (item: T) => Promise<void>): Promise<void> {
  // One call (most steps): its own promise, without a wrapper's extra turns.
  if (items.length === 1) return work(items[0]);
  return poolMany(items, cap, work);
}

async function poolMany<T>(items: T[], cap: number, work: (item: T) => Promise<void>): Promise<void> {
  if (items.length === 0) return;
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++];
      try {
        await work(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(cap, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}
