/** Runs `work` over `items`, at most `cap` at a time; the first failure is rethrown after the others settle. */
export async function pool<T>(items: T[], cap: number, work: (item: T) => Promise<void>): Promise<void> {
  if (items.length === 0) return;
  if (items.length === 1) return work(items[0]);
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
