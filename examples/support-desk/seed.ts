/**
 * Builds the example's CRM: a real SQLite database of customers, orders, order items and
 * support tickets. Deterministic (a seeded generator), so tests and eval cases can rely on
 * its rows — order 1042 among them. Run it directly (`npx tsx examples/support-desk/seed.ts`)
 * or let the agent module create the database on first use.
 */
import { existsSync, renameSync, rmSync } from 'node:fs';
import Database from 'better-sqlite3';

const FIRST = [
  'Ada',
  'Ben',
  'Chloe',
  'Dev',
  'Elena',
  'Farid',
  'Grace',
  'Hugo',
  'Ines',
  'Jonas',
  'Kemi',
  'Liam',
  'Maya',
  'Noah',
  'Olga',
  'Priya',
  'Quinn',
  'Rosa',
  'Sam',
  'Tariq',
];
const LAST = ['Okafor', 'Schmidt', 'Nguyen', 'Garcia', 'Rossi', 'Kowalski', 'Haddad', 'Larsen', 'Moreau', 'Tanaka', 'Silva', 'Walsh'];
const PRODUCTS: Array<[string, string, number]> = [
  ['NW-JKT-01', 'Ridgeline rain jacket', 129.0],
  ['NW-BLT-02', 'Merino base layer', 59.0],
  ['NW-BOT-03', 'Trailhead hiking boots', 149.0],
  ['NW-TNT-04', 'Two-person tent', 249.0],
  ['NW-LMP-05', 'Rechargeable headlamp', 39.0],
  ['NW-BPK-06', '30 L daypack', 89.0],
  ['NW-BTL-07', 'Insulated bottle', 24.0],
  ['NW-GPS-08', 'Handheld GPS unit', 199.0],
];
const CARRIERS = ['UPS', 'FedEx', 'USPS'];
const STATUSES = ['processing', 'shipped', 'delivered', 'delivered', 'delivered', 'delayed', 'cancelled', 'returned'] as const;
const SUBJECTS = ['Where is my order?', 'Refund not received', 'Item arrived damaged', 'Change shipping address', 'Charged twice', 'Cannot reset password'];

/** Mulberry32: small, fast, and the same sequence on every machine. */
function generator(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const DAY = 86_400_000;
/** Dates are anchored to a fixed day so answers do not drift with the calendar. */
const ANCHOR = Date.UTC(2026, 10, 20);
const isoDay = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** Builds the CRM at `path`, replacing it. Written to a temporary file and renamed, so a concurrent reader never sees half a database. */
export function seedCrm(path: string): void {
  const building = `${path}.${process.pid}.tmp`;
  if (existsSync(building)) rmSync(building);
  const db = new Database(building);
  db.exec(`
    CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT NOT NULL, email TEXT NOT NULL UNIQUE, tier TEXT NOT NULL, joined_on TEXT NOT NULL);
    CREATE TABLE orders (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), status TEXT NOT NULL,
      shipping_method TEXT NOT NULL, carrier TEXT, tracking_number TEXT, total_usd REAL NOT NULL,
      placed_on TEXT NOT NULL, shipped_on TEXT, estimated_delivery TEXT, delivered_on TEXT);
    CREATE TABLE order_items (order_id INTEGER NOT NULL REFERENCES orders(id), sku TEXT NOT NULL, name TEXT NOT NULL, quantity INTEGER NOT NULL, unit_price_usd REAL NOT NULL);
    CREATE TABLE tickets (id INTEGER PRIMARY KEY, customer_id INTEGER NOT NULL REFERENCES customers(id), order_id INTEGER REFERENCES orders(id),
      subject TEXT NOT NULL, status TEXT NOT NULL, opened_on TEXT NOT NULL);
    CREATE INDEX orders_customer ON orders(customer_id);
  `);
  const random = generator(1042);
  const pick = <T>(items: readonly T[]) => items[Math.floor(random() * items.length)];

  const insertCustomer = db.prepare('INSERT INTO customers VALUES (?, ?, ?, ?, ?)');
  const insertOrder = db.prepare('INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)');
  const insertItem = db.prepare('INSERT INTO order_items VALUES (?, ?, ?, ?, ?)');
  const insertTicket = db.prepare('INSERT INTO tickets VALUES (?, ?, ?, ?, ?, ?)');

  db.transaction(() => {
    const customers = 120;
    for (let id = 1; id <= customers; id++) {
      const first = FIRST[(id * 7) % FIRST.length];
      const last = LAST[(id * 5) % LAST.length];
      insertCustomer.run(
        id,
        `${first} ${last}`,
        `${first}.${last}${id}@example.com`.toLowerCase(),
        random() < 0.25 ? 'plus' : 'standard',
        isoDay(ANCHOR - Math.floor(random() * 900) * DAY),
      );
    }
    for (let id = 1001; id <= 1240; id++) {
      const customerId = 1 + Math.floor(random() * customers);
      // Order 1042 is the quick start's example: shipped and on its way, so the answer has a carrier and a date.
      const status = id === 1042 ? 'shipped' : pick(STATUSES);
      const express = random() < 0.3;
      const placed = ANCHOR - (id === 1042 ? 2 : Math.floor(random() * 60)) * DAY;
      const shipped = status === 'processing' || status === 'cancelled' ? null : placed + DAY;
      const estimated = shipped === null ? null : shipped + (express ? 2 : 5) * DAY + (status === 'delayed' ? 4 * DAY : 0);
      const delivered = status === 'delivered' || status === 'returned' ? estimated : null;
      const carrier = shipped === null ? null : pick(CARRIERS);
      const tracking = carrier === null ? null : `${carrier.slice(0, 2).toUpperCase()}${String(Math.floor(random() * 1e10)).padStart(10, '0')}`;
      const lines = 1 + Math.floor(random() * 3);
      let total = 0;
      const items: Array<[string, string, number, number]> = [];
      for (let l = 0; l < lines; l++) {
        const [sku, name, price] = pick(PRODUCTS);
        const quantity = 1 + Math.floor(random() * 2);
        total += quantity * price;
        items.push([sku, name, quantity, price]);
      }
      if (!express && total < 50) total += 4.99;
      if (express) total += 14.99;
      insertOrder.run(
        id,
        customerId,
        status,
        express ? 'express' : 'standard',
        carrier,
        tracking,
        Math.round(total * 100) / 100,
        isoDay(placed),
        shipped && isoDay(shipped),
        estimated && isoDay(estimated),
        delivered && isoDay(delivered),
      );
      for (const [sku, name, quantity, price] of items) insertItem.run(id, sku, name, quantity, price);
    }
    for (let id = 1; id <= 90; id++) {
      const orderId = 1001 + Math.floor(random() * 240);
      const { customer_id } = db.prepare('SELECT customer_id FROM orders WHERE id = ?').get(orderId) as { customer_id: number };
      insertTicket.run(id, customer_id, orderId, pick(SUBJECTS), random() < 0.6 ? 'closed' : 'open', isoDay(ANCHOR - Math.floor(random() * 30) * DAY));
    }
  })();
  db.close();
  renameSync(building, path);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const path = process.argv[2] ?? new URL('./crm.db', import.meta.url).pathname;
  seedCrm(path);
  console.log(`Seeded the CRM at ${path}`);
}
