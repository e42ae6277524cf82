import { SextantError } from '../errors.js';

/**
 * Scopes say what a key may do:
 * - `admin`: everything, including the admin API;
 * - `models:<pattern>[,<pattern>...]`: models the key may call; `*` is a wildcard
 *   (`models:gpt-4o*` allows `gpt-4o` and `openai:gpt-4o-mini`);
 * - `routes:<name>[,<name>...]`: gateway routes (`chat`, `embeddings`, ... or `*`).
 * A key with no `models:` (or no `routes:`) scope may use none: least privilege by default.
 */
export type Scope = string;

export interface AccessRequest {
  model?: string;
  route?: string;
}

const SCOPE_PATTERN = /^(admin|(models|routes):[A-Za-z0-9*._:/@-]+(,[A-Za-z0-9*._:/@-]+)*)$/;

/** Throws CONFIG_INVALID on a malformed scope, so a typo never silently grants or denies. */
export function parseScopes(scopes: readonly string[]): Scope[] {
  for (const scope of scopes) {
    if (!SCOPE_PATTERN.test(scope)) {
      throw new SextantError('CONFIG_INVALID', `Invalid scope "${scope}": expected admin, models:<patterns> or routes:<names>`, {
        context: { scope },
      });
    }
  }
  return [...scopes];
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  return new RegExp(`^${escaped}$`);
}

function allowedBy(scopes: readonly Scope[], kind: 'models' | 'routes', value: string): boolean {
  // A model string may carry a provider prefix: a pattern may match with or without it.
  const candidates = kind === 'models' && value.includes(':') ? [value, value.slice(value.indexOf(':') + 1)] : [value];
  return scopes.some((scope) => {
    if (!scope.startsWith(`${kind}:`)) return false;
    return scope
      .slice(kind.length + 1)
      .split(',')
      .some((pattern) => candidates.some((c) => globToRegExp(pattern).test(c)));
  });
}

/** Whether `scopes` allow the access; `admin` allows everything. */
export function scopesAllow(scopes: readonly Scope[], access: AccessRequest): boolean {
  if (scopes.includes('admin')) return true;
  if (access.model !== undefined && !allowedBy(scopes, 'models', access.model)) return false;
  if (access.route !== undefined && !allowedBy(scopes, 'routes', access.route)) return false;
  return true;
}
