/**
 * A stand-in for your CRM client, so the README's agent example runs as written: two orders in
 * memory, answered after a short wait that the run's abort signal cuts short.
 */
const ORDERS: Record<number, { status: string; carrier: string | null }> = {
  1042: { status: 'shipped', carrier: 'UPS' },
  1043: { status: 'processing', carrier: null },
};

export const crm = {
  async order(orderId: number, options: { signal: AbortSignal }): Promise<{ status: string; carrier: string | null }> {
    await new Promise((resolve) => setTimeout(resolve, 5));
    options.signal.throwIfAborted();
    const order = ORDERS[orderId];
    if (!order) throw new Error(`No order ${orderId}`);
    return order;
  },
};
