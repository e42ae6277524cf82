import { SextantError } from '../../errors.js';
import { createAuditLog, type AuditLog } from '../../security/audit.js';
import { openStore } from '../../store/db.js';

/** Opens the store (`--db`, else the default), runs `use` on its audit log, and closes the store. */
async function withAudit(db: string | undefined, use: (audit: AuditLog) => Promise<number>): Promise<number> {
  const store = await openStore({ url: db });
  try {
    return await use(createAuditLog({ store }));
  } finally {
    await store.close();
  }
}

/** `sextant audit verify`: recomputes the chain; exit 1 where it breaks. */
export async function verifyAuditCommand(options: { anchor?: string; json?: boolean; db?: string }): Promise<number> {
  let anchor: { seq: number; hash: string } | undefined;
  if (options.anchor) {
    const m = /^(\d+):([0-9a-f]{64})$/.exec(options.anchor);
    if (!m) throw new SextantError('CONFIG_INVALID', '--anchor must be <seq>:<64 hex hash>, as printed by a previous verify');
    anchor = { seq: Number(m[1]), hash: m[2] };
  }
  return withAudit(options.db, async (audit) => {
    const result = await audit.verify({ anchor });
    if (options.json) console.log(JSON.stringify(result));
    else if (result.ok) console.log(`Audit log intact: ${result.entries} entries${result.head ? `, head ${result.head.seq}:${result.head.hash}` : ''}.`);
    else {
      console.log(`Audit log BROKEN: ${result.problems.length} problem(s) in ${result.entries} entries.`);
      for (const p of result.problems) console.log(`  - ${p.message}`);
    }
    return result.ok ? 0 : 1;
  });
}

/** `sextant audit list`: entries after a sequence number. */
export async function listAuditCommand(options: { after: string; limit: string; tenant?: string; db?: string }): Promise<number> {
  return withAudit(options.db, async (audit) => {
    const entries = await audit.list({ afterSeq: Number(options.after), limit: Number(options.limit), tenant: options.tenant });
    for (const e of entries) {
      console.log(
        `${String(e.seq).padStart(6)}  ${new Date(e.at).toISOString()}  ${e.actor.padEnd(16)} ${e.action.padEnd(16)} ${e.target ?? ''} ${e.tenant ? `[${e.tenant}]` : ''}`,
      );
    }
    return 0;
  });
}
