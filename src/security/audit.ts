import { createHash, randomUUID } from 'node:crypto';
import { DEFAULTS } from '../defaults.js';
import { SextantError } from '../errors.js';
import type { SqlStore } from '../store/index.js';
import type { AuditLogRow } from '../store/schema.js';
import { canonicalJson } from '../canonical-json.js';

/** The `prev_hash` of the first entry: 64 zeros. */
export const AUDIT_GENESIS_HASH = '0'.repeat(64);

export type AuditAction =
  | 'key.created'
  | 'key.revoked'
  | 'key.used'
  | 'key.rejected'
  | 'budget.changed'
  | 'budget.exceeded'
  | 'rate.limited'
  | 'request.blocked'
  | 'admin.action'
  | (string & {});

export interface AuditEvent {
  /** Who did it: a key id, `admin`, `cli`, `system`. Never a key itself. */
  actor: string;
  action: AuditAction;
  /** What it was done to (a key id, a budget key, a model...). */
  target?: string;
  tenant?: string;
  details?: Record<string, unknown>;
}

export interface AuditEntry extends Required<Omit<AuditEvent, 'target' | 'tenant'>> {
  seq: number;
  id: string;
  at: number;
  target: string | null;
  tenant: string | null;
  prevHash: string;
  hash: string;
}

export interface AuditProblem {
  seq: number;
  id: string;
  /** `hash` (the entry's content was edited), `link` (prev_hash does not match the entry before), `sequence` (a gap or a duplicate), `anchor`. */
  kind: 'hash' | 'link' | 'sequence' | 'anchor';
  message: string;
}

export interface AuditVerification {
  ok: boolean;
  entries: number;
  /** The last entry's seq and hash: keep it elsewhere and pass it back as `anchor` to detect truncation and rewrites. */
  head: { seq: number; hash: string } | null;
  problems: AuditProblem[];
}

export interface AuditLog {
  /** Writes the entry (after any deferred ones, so the chain keeps the order events happened in) and resolves once it is stored. */
  append(event: AuditEvent): Promise<AuditEntry>;
  /**
   * Records the entry now (its id and time are fixed here) and writes it with others in one
   * INSERT within `flushIntervalMs`, still hash-chained and in order: for per-request events
   * (`key.used`) that must not cost a request a SQL write. `flush`, `close`, `append`, `list`
   * and `verify` write what is deferred first.
   */
  appendLater(event: AuditEvent): void;
  /** Writes every deferred entry. */
  flush(): Promise<void>;
  /** Writes every deferred entry and stops the flush timer: call it before closing the store. */
  close(): Promise<void>;
  list(options?: { afterSeq?: number; limit?: number; tenant?: string }): Promise<AuditEntry[]>;
  verify(options?: { anchor?: { seq: number; hash: string } }): Promise<AuditVerification>;
}

function hashEntry(entry: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(entry)).digest('hex');
}

function fromRow(row: AuditLogRow): AuditEntry {
  return {
    seq: Number(row.seq),
    id: row.id,
    at: Number(row.at),
    actor: row.actor,
    action: row.action,
    target: row.target,
    tenant: row.tenant,
    details: JSON.parse(row.details) as Record<string, unknown>,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
}

/** How many times an append retries when another process took the same seq first. */
const APPEND_ATTEMPTS = 20;

/** An event with its id and time fixed when it happened; seq and hashes are given when it is written. */
interface PendingEntry {
  event: AuditEvent;
  id: string;
  at: number;
}

export interface AuditLogOptions {
  store: SqlStore;
  now?: () => number;
  /** Longest a deferred entry waits (default DEFAULTS.security.audit.flushIntervalMs). */
  flushIntervalMs?: number;
  /** Deferred entries per INSERT; a full batch is written at once (default DEFAULTS.security.audit.maxBatch). */
  maxBatch?: number;
  /** A background flush failed: the entries stay queued for the next flush. Default: a process warning. */
  onFlushError?: (error: SextantError) => void;
}

/**
 * The audit log in the SQL store. Writes are serialized: in-process by a promise queue, and
 * across processes by the `seq` primary key — a writer that loses the race re-reads the head and
 * retries, so two entries can never share a predecessor (the chain cannot fork). Deferred entries
 * (`appendLater`) are written in batches, one multi-row INSERT each (atomic on its own).
 */
export function createAuditLog(options: AuditLogOptions): AuditLog {
  const { db } = options.store;
  const now = options.now ?? Date.now;
  const flushIntervalMs = options.flushIntervalMs ?? DEFAULTS.security.audit.flushIntervalMs;
  const maxBatch = Math.max(1, options.maxBatch ?? DEFAULTS.security.audit.maxBatch);
  const onFlushError = options.onFlushError ?? ((error: SextantError) => process.emitWarning(error.message, { code: error.code }));
  let queue: Promise<unknown> = Promise.resolve();
  let pending: PendingEntry[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;

  async function insertOnce(batch: PendingEntry[]): Promise<AuditEntry[]> {
    const head = await db.selectFrom('audit_log').select(['seq', 'hash']).orderBy('seq', 'desc').limit(1).executeTakeFirst();
    let seq = head ? Number(head.seq) : 0;
    let prevHash = head?.hash ?? AUDIT_GENESIS_HASH;
    const entries = batch.map(({ event, id, at }): AuditEntry => {
      const body: Omit<AuditEntry, 'hash'> = {
        seq: ++seq,
        id,
        at,
        actor: event.actor,
        action: event.action,
        target: event.target ?? null,
        tenant: event.tenant ?? null,
        details: event.details ?? {},
        prevHash,
      };
      prevHash = hashEntry(body);
      return Object.assign(body, { hash: prevHash });
    });
    await db
      .insertInto('audit_log')
      .values(
        entries.map((entry) => ({
          seq: entry.seq,
          id: entry.id,
          at: entry.at,
          actor: entry.actor,
          action: entry.action,
          target: entry.target,
          tenant: entry.tenant,
          details: canonicalJson(entry.details),
          prev_hash: entry.prevHash,
          hash: entry.hash,
        })),
      )
      .execute();
    return entries;
  }

  async function insert(batch: PendingEntry[]): Promise<AuditEntry[]> {
    let lastError: unknown;
    for (let attempt = 0; attempt < APPEND_ATTEMPTS; attempt++) {
      try {
        return await insertOnce(batch);
      } catch (error) {
        // A unique violation on seq means another process appended first: re-read the head.
        if (!/unique|duplicate/i.test(String((error as Error).message))) {
          throw new SextantError('STORE_ERROR', `Audit append failed: ${(error as Error).message}`, { cause: error });
        }
        lastError = error;
      }
    }
    throw new SextantError('STORE_ERROR', 'Audit append kept losing the race for the next sequence number', { cause: lastError });
  }

  /** Writes the deferred entries, oldest first; on failure the unwritten ones stay queued. */
  async function writePending(): Promise<void> {
    while (pending.length > 0) {
      const batch = pending.slice(0, maxBatch);
      await insert(batch);
      pending = pending.slice(batch.length);
    }
  }

  function serially<T>(task: () => Promise<T>): Promise<T> {
    const result = queue.then(task);
    queue = result.catch(() => undefined);
    return result;
  }

  function flush(): Promise<void> {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    return serially(writePending);
  }

  function flushInBackground(): void {
    // Not rescheduled on failure: the entries wait for the next appendLater, flush or close.
    flush().catch((error: unknown) => onFlushError(error instanceof SextantError ? error : new SextantError('STORE_ERROR', String(error), { cause: error })));
  }

  const pendingEntry = (event: AuditEvent): PendingEntry => ({ event, id: randomUUID(), at: now() });

  return {
    append(event) {
      const entry = pendingEntry(event);
      return serially(async () => {
        await writePending();
        const [written] = await insert([entry]);
        return written;
      });
    },

    appendLater(event) {
      pending.push(pendingEntry(event));
      if (pending.length >= maxBatch) flushInBackground();
      else if (timer === undefined) {
        timer = setTimeout(flushInBackground, flushIntervalMs);
        // A timer alone must not keep a process alive; a clean shutdown calls close().
        timer.unref();
      }
    },

    flush,
    close: flush,

    async list({ afterSeq = 0, limit = 100, tenant } = {}) {
      await flush();
      let query = db.selectFrom('audit_log').selectAll().where('seq', '>', afterSeq);
      if (tenant !== undefined) query = query.where('tenant', '=', tenant);
      const rows = await query.orderBy('seq', 'asc').limit(limit).execute();
      return rows.map(fromRow);
    },

    async verify({ anchor } = {}) {
      await flush();
      const problems: AuditProblem[] = [];
      let previous: AuditEntry | null = null;
      let count = 0;
      let anchorSeen = false;
      const pageSize = 1000;
      let afterSeq = -Infinity;
      for (;;) {
        const rows = await db.selectFrom('audit_log').selectAll().where('seq', '>', afterSeq).orderBy('seq', 'asc').limit(pageSize).execute();
        for (const row of rows) {
          const entry = fromRow(row);
          count++;
          const where = `entry seq ${entry.seq} (id ${entry.id})`;
          const { hash, ...body } = entry;
          if (hashEntry(body) !== hash) {
            problems.push({ seq: entry.seq, id: entry.id, kind: 'hash', message: `${where}: content does not match its hash (edited)` });
          }
          const expectedSeq = previous ? previous.seq + 1 : 1;
          if (entry.seq !== expectedSeq) {
            problems.push({
              seq: entry.seq,
              id: entry.id,
              kind: 'sequence',
              message: `${where}: expected seq ${expectedSeq} (entries deleted or inserted before it)`,
            });
          }
          const expectedPrev = previous ? previous.hash : AUDIT_GENESIS_HASH;
          if (entry.prevHash !== expectedPrev) {
            problems.push({
              seq: entry.seq,
              id: entry.id,
              kind: 'link',
              message: `${where}: prev_hash does not match the hash of ${previous ? `entry seq ${previous.seq}` : 'the genesis'} (entry deleted, inserted or reordered)`,
            });
          }
          if (anchor && entry.seq === anchor.seq) {
            anchorSeen = true;
            if (entry.hash !== anchor.hash) {
              problems.push({ seq: entry.seq, id: entry.id, kind: 'anchor', message: `${where}: hash differs from the anchor (chain rewritten)` });
            }
          }
          previous = entry;
        }
        if (rows.length < pageSize) break;
        afterSeq = Number(rows[rows.length - 1].seq);
      }
      if (anchor && !anchorSeen) {
        problems.push({ seq: anchor.seq, id: '', kind: 'anchor', message: `anchored entry seq ${anchor.seq} is missing (log truncated)` });
      }
      const last = previous as AuditEntry | null;
      return { ok: problems.length === 0, entries: count, head: last ? { seq: last.seq, hash: last.hash } : null, problems };
    },
  };
}

/** Throws AUDIT_CHAIN_BROKEN with every problem found, for callers that must stop on a broken chain. */
export function assertAuditIntact(result: AuditVerification): void {
  if (!result.ok) {
    throw new SextantError('AUDIT_CHAIN_BROKEN', `Audit log is broken: ${result.problems[0].message}`, {
      context: { problems: result.problems },
    });
  }
}
