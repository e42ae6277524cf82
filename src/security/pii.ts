import { DEFAULTS } from '../defaults.js';
import { createTextMemo } from '../model/text-memo.js';
import { cardValid, ibanValid, ssnValid, ninoValid, phoneValid, jwtValid, ipv6Valid } from './pii-validators.js';

/**
 * PII and secret detection. Every type is a pattern plus a validator, so look-alikes are left
 * alone: card numbers must pass Luhn and carry a known issuer prefix, IBANs the mod-97 check and
 * their country's length, US SSNs avoid the never-issued ranges, UK National Insurance numbers
 * the unused prefixes, IP addresses must parse, phone numbers need a phone's shape (a `+`
 * country code, a trunk `0`, or a (NXX) NXX-XXXX layout) and are not dates or version strings.
 */
export type PiiType = 'email' | 'phone' | 'card' | 'iban' | 'ssn' | 'uk_nino' | 'ipv4' | 'ipv6' | 'secret';

export const PII_TYPES: readonly PiiType[] = ['email', 'phone', 'card', 'iban', 'ssn', 'uk_nino', 'ipv4', 'ipv6', 'secret'];

export interface PiiMatch {
  type: PiiType;
  /** For secrets: which format (`openai`, `aws_access_key`, `jwt`, `private_key`...). */
  kind?: string;
  start: number;
  end: number;
  value: string;
}

/** What one pass over a text tells about it, for the detectors' prefilters. */
interface TextFacts {
  digits: number;
  at: boolean;
  colon: boolean;
  dot: boolean;
}

function factsOf(text: string): TextFacts {
  let digits = 0;
  let at = false;
  let colon = false;
  let dot = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 48 && c <= 57) digits++;
    else if (c === 64) at = true;
    else if (c === 58) colon = true;
    else if (c === 46) dot = true;
  }
  return { digits, at, colon, dot };
}

interface Detector {
  type: PiiType;
  kind?: string;
  /**
   * A cheap necessary condition: false means the pattern cannot yield a valid match in this
   * text, so the regex is not run. Each one follows from its pattern and validator (a card has
   * at least 12 digits, a valid phone at least 8, an email an `@`...), so results are unchanged.
   */
  mayMatch: (facts: TextFacts, text: string) => boolean;
  pattern: RegExp;
  /** Group holding the value when the pattern needs context around it. */
  group?: number;
  valid?: (value: string) => boolean;
}

/** Dotted numbers right after these words are versions or builds, not addresses or phones. */
const VERSION_CONTEXT = /\b(?:version|release|build|ver\.?|v)\s*$/i;

const B = '(?<![\\w@.+-])';
const E = '(?![\\w@-]|\\.\\w)';

const DETECTORS: Detector[] = [
  {
    type: 'secret',
    kind: 'private_key',
    mayMatch: (_, t) => t.includes('PRIVATE KEY-----'),
    pattern: /-----BEGIN (?:[A-Z]+ )*PRIVATE KEY-----[\s\S]*?-----END (?:[A-Z]+ )*PRIVATE KEY-----/g,
  },
  {
    type: 'secret',
    kind: 'jwt',
    mayMatch: (_, t) => t.includes('eyJ'),
    pattern: /\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{16,}/g,
    valid: jwtValid,
  },
  { type: 'secret', kind: 'anthropic', mayMatch: (_, t) => t.includes('sk-ant-'), pattern: /\bsk-ant-(?:api|admin)\d{2}-[A-Za-z0-9_-]{32,}/g },
  { type: 'secret', kind: 'openai', mayMatch: (_, t) => t.includes('sk-'), pattern: /\bsk-(?:proj-|svcacct-|admin-|sx-)?[A-Za-z0-9_-]{32,}/g },
  { type: 'secret', kind: 'aws_access_key', mayMatch: (_, t) => /A(?:KIA|SIA|BIA|CCA)/.test(t), pattern: /\b(?:AKIA|ASIA|ABIA|ACCA)[0-9A-Z]{16}\b/g },
  {
    type: 'secret',
    kind: 'aws_secret_key',
    mayMatch: (_, t) => /aws/i.test(t),
    pattern: /aws.{0,20}?secret.{0,20}?[:=]\s*["']?([A-Za-z0-9/+]{40})(?![A-Za-z0-9/+])/gi,
    group: 1,
  },
  {
    type: 'secret',
    kind: 'github',
    mayMatch: (_, t) => /gh[pousr]_|github_pat_/.test(t),
    pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36}|github_pat_[A-Za-z0-9_]{60,})\b/g,
  },
  {
    type: 'secret',
    kind: 'slack',
    mayMatch: (_, t) => t.includes('xox') || t.includes('hooks.slack.com'),
    pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}|https:\/\/hooks\.slack\.com\/services\/T[A-Z0-9]+\/B[A-Z0-9]+\/[A-Za-z0-9]+/g,
  },
  { type: 'secret', kind: 'stripe', mayMatch: (_, t) => /[sr]k_(?:live|test)_/.test(t), pattern: /\b(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{16,}\b/g },
  { type: 'secret', kind: 'google', mayMatch: (_, t) => t.includes('AIza'), pattern: /\bAIza[0-9A-Za-z_-]{35}\b/g },
  {
    type: 'email',
    mayMatch: (f) => f.at,
    pattern:
      /(?<![\w.%+-])[A-Za-z0-9][A-Za-z0-9._%+-]*@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*\.[A-Za-z]{2,24}\b/g,
  },
  {
    type: 'iban',
    mayMatch: (f) => f.digits >= 2,
    pattern: new RegExp(`${B}[A-Z]{2}\\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?${E}`, 'g'),
    valid: ibanValid,
  },
  { type: 'card', mayMatch: (f) => f.digits >= 12, pattern: new RegExp(`${B}\\d{4}[ -]?\\d{4,6}[ -]?\\d{4,5}(?:[ -]?\\d{1,4})?${E}`, 'g'), valid: cardValid },
  { type: 'ssn', mayMatch: (f) => f.digits >= 9, pattern: new RegExp(`${B}\\d{3}([- ])\\d{2}\\1\\d{4}${E}`, 'g'), valid: ssnValid },
  { type: 'uk_nino', mayMatch: (f) => f.digits >= 6, pattern: /\b[A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z] ?\d{2} ?\d{2} ?\d{2} ?[A-D]\b/g, valid: ninoValid },
  {
    type: 'ipv6',
    mayMatch: (f) => f.colon,
    pattern: /(?<![\w:.])(?:[0-9A-Fa-f]{1,4}:|:)(?::|[0-9A-Fa-f]{1,4}:){1,7}(?:[0-9A-Fa-f]{1,4}|:|\d{1,3}(?:\.\d{1,3}){3})?(?![\w:]|\.\d)/g,
    valid: ipv6Valid,
  },
  {
    type: 'ipv4',
    mayMatch: (f) => f.digits >= 4 && f.dot,
    valid: (value) => value !== '0.0.0.0',
    pattern: /(?<![\w.]|\bv)(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}(?![\w]|\.\d)/g,
  },
  {
    type: 'phone',
    mayMatch: (f) => f.digits >= 8,
    pattern: new RegExp(`${B}(?:\\+\\d{1,3}[ .-]?)?(?:\\(\\d{1,4}\\)[ .-]?)?\\d{1,5}(?:[ .-]\\d{2,8}){1,4}${E}`, 'g'),
    valid: phoneValid,
  },
];

/** Every match in `text`, memoized by text for the default (all types) scan. */
function detect(text: string, types: readonly PiiType[] | undefined): readonly PiiMatch[] {
  if (types) return scan(text, types);
  let found = scans.get(text);
  if (!found) scans.set(text, (found = scan(text, undefined)));
  return found;
}

const NONE: readonly PiiMatch[] = Object.freeze([]);
/** Scans of recent texts: a system prompt or earlier turns resent on every call are scanned once. */
const scans = createTextMemo<readonly PiiMatch[]>({ maxChars: DEFAULTS.security.pii.scanMemoChars });

function scan(text: string, types: readonly PiiType[] | undefined): readonly PiiMatch[] {
  const facts = factsOf(text);
  let found: (PiiMatch & { rank: number })[] | undefined;
  for (let rank = 0; rank < DETECTORS.length; rank++) {
    const d = DETECTORS[rank];
    if ((types && !types.includes(d.type)) || !d.mayMatch(facts, text)) continue;
    // exec over the shared regex rather than matchAll, which clones it on every call.
    const pattern = d.pattern;
    pattern.lastIndex = 0;
    for (let m = pattern.exec(text); m !== null; m = pattern.exec(text)) {
      if (m[0] === '') pattern.lastIndex++;
      const value = d.group ? m[d.group] : m[0];
      if (!value || (d.valid && !d.valid(value))) continue;
      const start = m.index + (d.group ? m[0].indexOf(value) : 0);
      if ((d.type === 'ipv4' || d.type === 'phone') && VERSION_CONTEXT.test(text.slice(Math.max(0, start - 12), start))) continue;
      (found ??= []).push({ type: d.type, ...(d.kind ? { kind: d.kind } : {}), start, end: start + value.length, value, rank });
    }
  }
  if (!found) return NONE;
  found.sort((a, b) => a.rank - b.rank || b.end - b.start - (a.end - a.start));
  const kept: PiiMatch[] = [];
  for (const { rank: _rank, ...m } of found) {
    if (kept.every((k) => m.end <= k.start || m.start >= k.end)) kept.push(m);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/** Every PII and secret in `text`, left to right, without overlaps (earlier detectors win, then longer matches). */
export function findPii(text: string, options: { types?: readonly PiiType[] } = {}): PiiMatch[] {
  return detect(text, options.types).map((m) => ({ ...m }));
}

const LABELS: Record<PiiType, string> = {
  email: 'EMAIL',
  phone: 'PHONE',
  card: 'CARD',
  iban: 'IBAN',
  ssn: 'SSN',
  uk_nino: 'NINO',
  ipv4: 'IP',
  ipv6: 'IP',
  secret: 'SECRET',
};

export interface RedactOptions {
  types?: readonly PiiType[];
}

/** Replaces every PII and secret with its type label (`[EMAIL]`): the storage hook, not reversible. */
export function redact(text: string, options: RedactOptions = {}): string {
  const matches = detect(text, options.types);
  if (matches.length === 0) return text;
  let out = '';
  let at = 0;
  for (const m of matches) {
    out += `${text.slice(at, m.start)}[${LABELS[m.type]}]`;
    at = m.end;
  }
  return out + text.slice(at);
}

/**
 * `redact` over every string of a JSON value (object keys included). Copy on write: an array or
 * object is copied only when something in it was redacted, and otherwise returned as is (shared,
 * not copied). Most trace attributes hold no PII, and copying every one of them before it is
 * serialized was a tenth of what the gateway allocated per call (measured).
 */
export function redactValue<T>(value: T, options: RedactOptions = {}): T {
  if (typeof value === 'string') return redact(value, options) as T;
  if (Array.isArray(value)) return redactArray(value, options) as T;
  if (value && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype)
    return redactObject(value as Record<string, unknown>, options) as T;
  return value;
}

function redactArray(value: unknown[], options: RedactOptions): unknown[] {
  let copy: unknown[] | undefined;
  for (let i = 0; i < value.length; i++) {
    const item = redactValue(value[i], options);
    if (copy) copy.push(item);
    else if (!Object.is(item, value[i])) (copy = value.slice(0, i)).push(item);
  }
  return copy ?? value;
}

function redactObject(value: Record<string, unknown>, options: RedactOptions): Record<string, unknown> {
  const keys = Object.keys(value);
  // Collected as entries once something changed: fromEntries defines every key as an own property, `__proto__` included.
  let entries: [string, unknown][] | undefined;
  for (let i = 0; i < keys.length; i++) {
    const key = redact(keys[i], options);
    const item = redactValue(value[keys[i]], options);
    if (entries) entries.push([key, item]);
    else if (key !== keys[i] || !Object.is(item, value[keys[i]])) {
      entries = keys.slice(0, i).map((k): [string, unknown] => [k, value[k]]);
      entries.push([key, item]);
    }
  }
  return entries ? Object.fromEntries(entries) : value;
}

const PLACEHOLDER = /\[(EMAIL|PHONE|CARD|IBAN|SSN|NINO|IP|SECRET)_(\d+)\]/g;
/** A text tail that may be the start of a placeholder split across stream deltas. */
const PARTIAL_PLACEHOLDER = /\[[A-Z]{0,6}(?:_\d{0,6})?$/;

/**
 * Reversible redaction for one call: values become numbered placeholders (`[EMAIL_1]`, the same
 * value always the same one) before the request goes upstream, and are put back in the answer.
 */
export interface PlaceholderVault {
  redact(text: string): string;
  /** `json`: the text is inside a JSON string (tool-call arguments), so restored values are escaped. */
  restore(text: string, options?: { json?: boolean }): string;
  /** A restorer for one stream of deltas: holds back a tail that may be a split placeholder. */
  streamRestorer(options?: { json?: boolean }): { push(delta: string): string; flush(): string };
  readonly size: number;
}

export function createPlaceholderVault(options: RedactOptions = {}): PlaceholderVault {
  const byValue = new Map<string, string>();
  const byPlaceholder = new Map<string, string>();
  const counters = new Map<string, number>();
  const restore = (text: string, { json = false } = {}) =>
    text.replace(PLACEHOLDER, (p) => {
      const value = byPlaceholder.get(p);
      if (value === undefined) return p;
      return json ? JSON.stringify(value).slice(1, -1) : value;
    });
  return {
    get size() {
      return byValue.size;
    },
    redact(text) {
      const matches = detect(text, options.types);
      if (matches.length === 0) return text;
      let out = '';
      let at = 0;
      for (const m of matches) {
        let placeholder = byValue.get(m.value);
        if (!placeholder) {
          const label = LABELS[m.type];
          const n = (counters.get(label) ?? 0) + 1;
          counters.set(label, n);
          placeholder = `[${label}_${n}]`;
          byValue.set(m.value, placeholder);
          byPlaceholder.set(placeholder, m.value);
        }
        out += text.slice(at, m.start) + placeholder;
        at = m.end;
      }
      return out + text.slice(at);
    },
    restore,
    streamRestorer(restoreOptions = {}) {
      let held = '';
      return {
        push(delta) {
          const text = held + delta;
          const tail = PARTIAL_PLACEHOLDER.exec(text);
          const cut = tail ? tail.index : text.length;
          held = text.slice(cut);
          return restore(text.slice(0, cut), restoreOptions);
        },
        flush() {
          const rest = restore(held, restoreOptions);
          held = '';
          return rest;
        },
      };
    },
  };
}
