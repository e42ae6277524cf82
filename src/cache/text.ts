/**
 * Text normalization shared by the offline embedder and the verifier, so both see the same
 * words: lower case, accents removed, "what's" spelled out, other apostrophes dropped ("1980's" → "1980s").
 */
export function normalizeText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/\b(what|how|where|who|when|why|it|that|there|here)['’`]s\b/g, '$1 is')
    .replace(/['’`]/g, '');
}

/** Lower-cased word tokens (letters and digits), in order. */
export function words(text: string): string[] {
  return normalizeText(text).match(/[\p{L}\p{N}]+/gu) ?? [];
}

/** A light plural/verb-form folding, so "films"/"film" and "decorating"/"decorate" share a stem. */
export function stem(word: string): string {
  if (word.length <= 3 || /\d/.test(word)) return word;
  if (word.endsWith('ies') && word.length > 4) return word.slice(0, -3) + 'y';
  if (word.endsWith('ing') && word.length > 5) return word.slice(0, -3);
  if (word.endsWith('ed') && word.length > 4) return word.slice(0, -2);
  if (word.endsWith('es') && word.length > 4 && /(s|x|z|ch|sh)es$/.test(word)) return word.slice(0, -2);
  if (word.endsWith('s') && !word.endsWith('ss')) return word.slice(0, -1);
  return word;
}

/**
 * Words that carry little meaning on their own. They still count in the embedding, at a low
 * weight; the verifier looks at the ones that matter (negations, question words) separately.
 */
export const STOP_WORDS = new Set(
  (
    'a an the and or but if of to in on at by for with from as into about over after before than then so ' +
    'is are was were be been being am do does did doing have has had having can could should would will shall may might must ' +
    'i me my mine we us our you your he him his she her it its they them their this that these those there here ' +
    'what which who whom whose when where why how some any all each every much many more most very just also ' +
    'get got one ones way ways thing things someone something people person'
  ).split(' '),
);
