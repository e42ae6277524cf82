import { DEFAULTS } from '../../defaults.js';
import { SextantError } from '../../errors.js';
import type { TraceStatus } from '../../store/core-tables.js';
import { openStore } from '../../store/db.js';
import { sqlTraceRepository, type ListedTrace, type TraceFilter } from '../../store/traces.js';

const STATUSES: TraceStatus[] = ['running', 'completed', 'stopped', 'error', 'interrupted'];

/** `30m`, `2h`, `7d`, `45s` before now, or an ISO date. */
export function parseSince(text: string, now = Date.now()): number {
  const rel = /^(\d+(?:\.\d+)?)\s*(s|m|h|d)$/.exec(text.trim());
  if (rel) return now - Number(rel[1]) * { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[rel[2] as 's' | 'm' | 'h' | 'd'];
  const at = Date.parse(text);
  if (Number.isNaN(at)) throw new SextantError('CONFIG_INVALID', `--since must look like 30m, 2h, 7d or an ISO date, got "${text}"`);
  return at;
}

function age(startedAt: number, now: number): string {
  const s = Math.max(0, Math.round((now - startedAt) / 1000));
  if (s < 60) return `${s}s ago`;
  if (s < 3600) return `${Math.floor(s / 60)}m ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)}h ago`;
  return `${Math.floor(s / 86_400)}d ago`;
}

/**
 * How a trace ended, in words: an agent run's stop reason (completed, check_failed, max_steps...),
 * a gateway request's status and error code, and a session's failed requests among all.
 */
export function traceStatusText(t: ListedTrace): string {
  if (t.status === 'running' || t.status === 'interrupted') return t.status;
  if (t.run_id !== null) return t.stop_reason ?? t.status;
  if (t.requests > 1) return t.failed_requests > 0 ? `${t.failed_requests} of ${t.requests} failed` : `${t.requests} completed`;
  return t.status === 'error' && t.stop_reason ? `error (${t.stop_reason})` : t.status;
}

interface Column {
  title: string;
  /** Lower drops first when the terminal is narrow. */
  priority: number;
  /** Shrinkable columns are cut to fit before any column is dropped. */
  min: number;
  value(t: ListedTrace, now: number): string;
  right?: boolean;
}

const COLUMNS: Column[] = [
  { title: 'RUN', priority: 10, min: 8, value: (t) => t.run_id ?? t.id },
  { title: 'STARTED', priority: 6, min: 7, value: (t, now) => age(t.started_at, now) },
  { title: 'AGENT', priority: 8, min: 6, value: (t) => t.agent ?? t.name },
  { title: 'STATUS', priority: 9, min: 11, value: traceStatusText },
  { title: 'STEPS', priority: 5, min: 5, value: (t) => String(t.steps), right: true },
  { title: 'COST', priority: 7, min: 8, value: (t) => `$${Number(t.cost_usd).toFixed(4)}`, right: true },
  { title: 'TOKENS', priority: 4, min: 6, value: (t) => String(Number(t.input_tokens) + Number(t.output_tokens)), right: true },
  { title: 'SESSION', priority: 3, min: 7, value: (t) => t.session ?? '' },
  { title: 'TENANT', priority: 2, min: 6, value: (t) => t.tenant ?? '' },
];

/** Lays rows out in `width` columns: cuts long cells first, then drops the least useful columns. */
export function formatTraceTable(rows: ListedTrace[], width: number, now = Date.now()): string {
  let columns = COLUMNS.filter((c) => c.title !== 'TENANT' || rows.some((r) => r.tenant));
  const cells = (cols: Column[]) => rows.map((r) => cols.map((c) => c.value(r, now)));
  for (;;) {
    const data = cells(columns);
    const widths = columns.map((c, i) => Math.max(c.title.length, ...data.map((row) => row[i].length)));
    const total = () => widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
    // Cut the widest shrinkable cells down towards their minimum.
    while (total() > width) {
      let widest = -1;
      widths.forEach((w, i) => {
        if (w > Math.max(columns[i].min, columns[i].title.length) && (widest < 0 || w > widths[widest])) widest = i;
      });
      if (widest < 0) break;
      widths[widest]--;
    }
    if (total() > width && columns.length > 2) {
      const lowest = columns.reduce((lo, c) => (c.priority < lo.priority ? c : lo));
      columns = columns.filter((c) => c !== lowest);
      continue;
    }
    const fit = (text: string, w: number, right?: boolean) => {
      const cut = text.length > w ? `${text.slice(0, w - 1)}…` : text;
      return right ? cut.padStart(w) : cut.padEnd(w);
    };
    const line = (values: string[]) =>
      values
        .map((v, i) => fit(v, widths[i], columns[i].right))
        .join('  ')
        .trimEnd();
    return [line(columns.map((c) => c.title)), ...data.map(line)].join('\n');
  }
}

export interface TracesCommandOptions {
  status?: string;
  agent?: string;
  session?: string;
  minCost?: string;
  since?: string;
  limit?: string;
  json?: boolean;
}

/** `sextant traces`: recent runs and traces, newest first, filtered. */
export async function tracesCommand(values: TracesCommandOptions): Promise<number> {
  const filter: TraceFilter = { limit: DEFAULTS.trace.listLimit };
  if (values.status !== undefined) {
    if (!STATUSES.includes(values.status as TraceStatus))
      throw new SextantError('CONFIG_INVALID', `--status must be one of ${STATUSES.join(', ')}, got "${values.status}"`);
    filter.status = values.status as TraceStatus;
  }
  if (values.agent) filter.agent = values.agent;
  if (values.session) filter.session = values.session;
  if (values.minCost !== undefined) {
    const cost = Number(values.minCost);
    if (!Number.isFinite(cost) || cost < 0)
      throw new SextantError('CONFIG_INVALID', `--min-cost must be a non-negative number of USD, got "${values.minCost}"`);
    filter.minCostUsd = cost;
  }
  if (values.since) filter.since = parseSince(values.since);
  if (values.limit !== undefined) {
    const limit = Number(values.limit);
    if (!Number.isInteger(limit) || limit < 1) throw new SextantError('CONFIG_INVALID', `--limit must be a positive integer, got "${values.limit}"`);
    filter.limit = limit;
  }
  const store = await openStore();
  try {
    const repository = sqlTraceRepository(store);
    // Runs whose process died are shown as interrupted, not as running forever.
    await repository.markStaleInterrupted();
    const rows = await repository.list(filter);
    if (values.json) console.log(JSON.stringify(rows, null, 2));
    else if (rows.length === 0) console.log(`No traces match in ${store.location}.`);
    // A pipe has no columns: COLUMNS (as shells export it), then a wide default.
    else console.log(formatTraceTable(rows, process.stdout.columns ?? (Number(process.env.COLUMNS) || 120)));
    return 0;
  } finally {
    await store.close();
  }
}
