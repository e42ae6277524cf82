import { parseArgs } from 'node:util';
import { SextantError } from '../../errors.js';
import { createAuditLog } from '../../security/audit.js';
import { openStore } from '../../store/db.js';
import type { Command } from './command.js';

const USAGE = `Usage:
  sextant audit verify [--anchor <seq>:<hash>] [--json] [--db <url>]
  sextant audit list [--after <seq>] [--limit <n>] [--tenant <t>] [--db <url>]

verify recomputes every entry's hash and link and says where the chain breaks (exit 1).
Keep the head it prints elsewhere and pass it as --anchor later to also catch a cut tail.`;

export const auditCommand: Command = {
  summary: 'Verify or list the hash-chained audit log',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        anchor: { type: 'string' },
        after: { type: 'string' },
        limit: { type: 'string' },
        tenant: { type: 'string' },
        json: { type: 'boolean' },
        db: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const action = positionals[0];
    if (values.help || (action !== 'verify' && action !== 'list')) {
      console.log(USAGE);
      return values.help ? 0 : 1;
    }
    let anchor: { seq: number; hash: string } | undefined;
    if (values.anchor) {
      const m = /^(\d+):([0-9a-f]{64})$/.exec(values.anchor);
      if (!m) throw new SextantError('CONFIG_INVALID', '--anchor must be <seq>:<64 hex hash>, as printed by a previous verify');
      anchor = { seq: Number(m[1]), hash: m[2] };
    }
    const store = await openStore({ url: values.db });
    try {
      const audit = createAuditLog({ store });
      if (action === 'list') {
        const entries = await audit.list({ afterSeq: Number(values.after ?? 0), limit: Number(values.limit ?? 100), tenant: values.tenant });
        for (const e of entries) {
          console.log(
            `${String(e.seq).padStart(6)}  ${new Date(e.at).toISOString()}  ${e.actor.padEnd(16)} ${e.action.padEnd(16)} ${e.target ?? ''} ${e.tenant ? `[${e.tenant}]` : ''}`,
          );
        }
        return 0;
      }
      const result = await audit.verify({ anchor });
      if (values.json) console.log(JSON.stringify(result));
      else if (result.ok) console.log(`Audit log intact: ${result.entries} entries${result.head ? `, head ${result.head.seq}:${result.head.hash}` : ''}.`);
      else {
        console.log(`Audit log BROKEN: ${result.problems.length} problem(s) in ${result.entries} entries.`);
        for (const p of result.problems) console.log(`  - ${p.message}`);
      }
      return result.ok ? 0 : 1;
    } finally {
      await store.close();
    }
  },
};
