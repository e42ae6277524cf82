import { parseArgs } from 'node:util';
import { SextantError } from '../../errors.js';
import { createAuditLog } from '../../security/audit.js';
import { createKeyStore, parseBudget, type KeyLimits } from '../../security/keys.js';
import { openStore } from '../../store/db.js';
import type { Command } from './command.js';

const USAGE = `Usage:
  sextant keys create --tenant <t> [--name <n>] [--scopes models:gpt-4o*,routes:chat ...]
                      [--budget 10/day ...] [--rpm 60] [--tpm 100000] [--db <url>]
  sextant keys list [--tenant <t>] [--all] [--json] [--db <url>]
  sextant keys revoke <key id> [--db <url>]

The plain key is printed once, at creation; only its SHA-256 is stored.
Scopes: admin | models:<pattern>[,<pattern>] | routes:<name>[,<name>]. Budgets: <usd>[/total|/day|/month].
Reads SEXTANT_DATABASE_URL or ./.sextant/sextant.db unless --db is given.`;

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new SextantError('CONFIG_INVALID', `--${name} must be a positive integer, got "${value}"`);
  return n;
}

export const keysCommand: Command = {
  summary: 'Create, list and revoke virtual API keys (hashed, scoped, per tenant)',
  async run(args) {
    const { values, positionals } = parseArgs({
      args,
      allowPositionals: true,
      options: {
        tenant: { type: 'string' },
        name: { type: 'string' },
        scopes: { type: 'string', multiple: true },
        budget: { type: 'string', multiple: true },
        rpm: { type: 'string' },
        tpm: { type: 'string' },
        all: { type: 'boolean' },
        json: { type: 'boolean' },
        db: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
    const [action, id] = positionals;
    if (values.help || !action || !['create', 'list', 'revoke'].includes(action)) {
      console.log(USAGE);
      return values.help ? 0 : 1;
    }
    const store = await openStore({ url: values.db });
    try {
      const keys = createKeyStore({ store, audit: createAuditLog({ store }) });
      if (action === 'create') {
        if (!values.tenant) throw new SextantError('CONFIG_INVALID', '--tenant is required');
        const limits: KeyLimits = {};
        if (values.budget?.length) limits.budgets = values.budget.map(parseBudget);
        const rpm = positiveInt('rpm', values.rpm);
        const tpm = positiveInt('tpm', values.tpm);
        if (rpm) limits.rpm = rpm;
        if (tpm) limits.tpm = tpm;
        const scopes = values.scopes?.flatMap((s) => s.split(/\s+/)).filter(Boolean);
        const { key, record } = await keys.create({ tenant: values.tenant, name: values.name, scopes, limits, actor: 'cli' });
        if (values.json) console.log(JSON.stringify({ key, ...record }));
        else {
          console.log(`Created key ${record.keyId} for tenant ${record.tenant} (scopes: ${record.scopes.join(' ')})`);
          console.log(`\n  ${key}\n\nStore it now: it is not shown again and cannot be recovered.`);
        }
        return 0;
      }
      if (action === 'list') {
        const list = await keys.list({ tenant: values.tenant, includeRevoked: values.all });
        if (values.json) {
          console.log(JSON.stringify(list));
          return 0;
        }
        if (list.length === 0) console.log('No keys.');
        for (const k of list) {
          const limits = [
            ...(k.limits.budgets ?? []).map((b) => `$${b.limitUsd}/${b.window}`),
            k.limits.rpm && `${k.limits.rpm} rpm`,
            k.limits.tpm && `${k.limits.tpm} tpm`,
          ]
            .filter(Boolean)
            .join(', ');
          const state = k.revokedAt ? 'revoked' : k.lastUsedAt ? `used ${new Date(k.lastUsedAt).toISOString()}` : 'never used';
          console.log(`${k.keyId}  ${k.tenant.padEnd(12)} ${(k.name ?? '').padEnd(12)} ${k.scopes.join(' ')}  ${limits || 'no limits'}  ${state}`);
        }
        return 0;
      }
      if (!id) throw new SextantError('CONFIG_INVALID', 'keys revoke needs a key id (see `sextant keys list`)');
      const record = await keys.revoke({ keyId: id, actor: 'cli' });
      console.log(`Revoked key ${record.keyId} (tenant ${record.tenant}).`);
      return 0;
    } finally {
      await store.close();
    }
  },
};
