/**
 * The CRM lookup tool: read-only queries over the example's SQLite database of customers,
 * orders, order items and tickets. The database is built by seed.ts on first use.
 */
import { existsSync } from 'node:fs';
import Database from 'better-sqlite3';
import { z } from 'zod';
import { defineTool, type Tool } from '../../src/index.js';
import { seedCrm } from './seed.js';

export interface OrderRecord {
  order_id: number;
  status: string;
  shipping_method: string;
  carrier: string | null;
  tracking_number: string | null;
  total_usd: number;
  placed_on: string;
  shipped_on: string | null;
  estimated_delivery: string | null;
  delivered_on: string | null;
  /** First name only: the model needs no more to greet the customer. */
  customer_first_name: string;
  customer_tier: string;
  items: { name: string; quantity: number; unit_price_usd: number }[];
  open_tickets: { id: number; subject: string; opened_on: string }[];
}

export interface CrmLookupOutput {
  found: boolean;
  orders: OrderRecord[];
}

export interface Crm {
  tool: Tool<{ order_id?: number; email?: string }, CrmLookupOutput>;
  close(): void;
}

/** The text of an order as a citable source: every field the answer may state, in plain words. */
export function describeOrder(o: OrderRecord): string {
  const parts = [
    `Order ${o.order_id} status: ${o.status}.`,
    `Shipping method: ${o.shipping_method}.`,
    o.carrier ? `Carrier: ${o.carrier}, tracking number ${o.tracking_number}.` : 'No carrier yet.',
    `Placed on ${o.placed_on}.`,
    o.shipped_on ? `Shipped on ${o.shipped_on}.` : '',
    o.estimated_delivery ? `Estimated delivery: ${o.estimated_delivery}.` : '',
    o.delivered_on ? `Delivered on ${o.delivered_on}.` : '',
    `Total: $${o.total_usd.toFixed(2)}.`,
    `Items: ${o.items.map((i) => `${i.quantity} × ${i.name}`).join(', ')}.`,
    o.open_tickets.length ? `Open tickets: ${o.open_tickets.map((t) => `#${t.id} ${t.subject}`).join('; ')}.` : '',
  ];
  return parts.filter(Boolean).join(' ');
}

/** Opens (creating it from the seed if absent) the CRM database and gives its lookup tool. */
export function openCrm(path: string): Crm {
  if (!existsSync(path)) seedCrm(path);
  const db = new Database(path, { readonly: true, fileMustExist: true });
  const orderById = db.prepare(
    `SELECT o.id AS order_id, o.status, o.shipping_method, o.carrier, o.tracking_number, o.total_usd, o.placed_on, o.shipped_on,
            o.estimated_delivery, o.delivered_on, c.name AS customer_name, c.tier AS customer_tier
       FROM orders o JOIN customers c ON c.id = o.customer_id WHERE o.id = ?`,
  );
  const ordersByEmail = db.prepare(
    'SELECT o.id FROM orders o JOIN customers c ON c.id = o.customer_id WHERE lower(c.email) = lower(?) ORDER BY o.placed_on DESC LIMIT 5',
  );
  const itemsOf = db.prepare('SELECT name, quantity, unit_price_usd FROM order_items WHERE order_id = ?');
  const ticketsOf = db.prepare("SELECT id, subject, opened_on FROM tickets WHERE order_id = ? AND status = 'open' ORDER BY id");

  const order = (id: number): OrderRecord | undefined => {
    const row = orderById.get(id) as (Omit<OrderRecord, 'items' | 'open_tickets' | 'customer_first_name'> & { customer_name: string }) | undefined;
    if (!row) return undefined;
    const { customer_name, ...rest } = row;
    return {
      ...rest,
      customer_first_name: customer_name.split(' ')[0],
      items: itemsOf.all(id) as OrderRecord['items'],
      open_tickets: ticketsOf.all(id) as OrderRecord['open_tickets'],
    };
  };

  const tool = defineTool({
    name: 'crm_lookup',
    description:
      "Looks up a customer's orders in the CRM: by order number, or the latest five by the customer's email. Returns status, carrier, tracking number, dates, items and open tickets.",
    input: z
      .object({
        order_id: z.number().int().positive().optional().describe('The order number, e.g. 1042'),
        email: z.string().email().optional().describe("The customer's email address"),
      })
      .refine((v) => v.order_id !== undefined || v.email !== undefined, { message: 'give order_id or email' }),
    idempotent: true,
    execute: ({ order_id, email }): CrmLookupOutput => {
      const ids = order_id !== undefined ? [order_id] : (ordersByEmail.all(email) as { id: number }[]).map((r) => r.id);
      const orders = ids.map(order).filter((o): o is OrderRecord => o !== undefined);
      return { found: orders.length > 0, orders };
    },
    documents: (output) => output.orders.map((o) => ({ id: `crm:order:${o.order_id}`, text: describeOrder(o), metadata: { source: 'crm' } })),
  });

  return {
    tool,
    close: () => db.close(),
  };
}
