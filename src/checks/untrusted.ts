import { createHash } from 'node:crypto';
import { wrapUntrusted } from '../security/injection.js';

const MARKER_ID = /^<untrusted-content id="([0-9a-f]+)"/;

/**
 * Marks text from outside (a tool's output, a retrieved document) as untrusted for a model, with
 * src/security's markers. The marker id is derived from the source and the text instead of being
 * random: equal content gives an equal prompt, so the exact cache and providers' prompt caches
 * still hit on a repeated run. The content still cannot close its own block: wrapUntrusted
 * escapes marker-like text inside it, and the id is a hash of that very content.
 */
export function markUntrusted(text: string, source: string): string {
  const wrapped = wrapUntrusted(text, { source });
  const random = MARKER_ID.exec(wrapped)![1];
  const stable = createHash('sha256').update(source).update('\0').update(text).digest('hex').slice(0, random.length);
  // The first occurrence of the random id is in the opening marker, the last in the closing one.
  const open = wrapped.indexOf(random);
  const close = wrapped.lastIndexOf(random);
  return wrapped.slice(0, open) + stable + wrapped.slice(open + random.length, close) + stable + wrapped.slice(close + random.length);
}

const MARKED = /^<untrusted-content id="([0-9a-f]+)" source="[^"]*">\n\(Data from [^\n]*\)\n([\s\S]*)\n<\/untrusted-content id="\1">$/;

/** The text inside markUntrusted's markers (text that is not marked comes back as is): for scripted models and tests that read tool results. */
export function unmarkUntrusted(text: string): string {
  return MARKED.exec(text)?.[2] ?? text;
}
