import ipaddr from 'ipaddr.js';

/**
 * The validators behind PII detection: checksums and structural rules that tell a real card
 * number, IBAN, SSN, NINO, phone number, JWT or IPv6 address from a look-alike.
 */
export function luhnValid(digits: string): boolean {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = digits.charCodeAt(digits.length - 1 - i) - 48;
    if (i % 2 === 1) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return sum % 10 === 0;
}

/** Issuer prefixes and lengths: Visa, Mastercard (51-55, 2221-2720), Amex, Discover, JCB, Diners, UnionPay, Maestro. */
export function cardValid(raw: string): boolean {
  if (!/^\d{4}([ -]?)\d{4,6}\1\d{4,5}(\1\d{1,4})?$/.test(raw)) return false;
  const digits = raw.replace(/\D/g, '');
  const n = digits.length;
  const issuer =
    (/^4/.test(digits) && [13, 16, 19].includes(n)) ||
    (/^(5[1-5]|2(2[2-9][1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720))/.test(digits) && n === 16) ||
    (/^3[47]/.test(digits) && n === 15) ||
    (/^(6011|65|64[4-9])/.test(digits) && n >= 16) ||
    (/^35(2[89]|[3-8]\d)/.test(digits) && n >= 16) ||
    (/^3(0[0-5]|[689])/.test(digits) && n >= 14) ||
    (/^62/.test(digits) && n >= 16) ||
    (/^(5018|5020|5038|6304|6759|676[1-3])/.test(digits) && n >= 12);
  return issuer && luhnValid(digits);
}

const IBAN_LENGTHS: Record<string, number> = {
  AD: 24,
  AE: 23,
  AT: 20,
  BE: 16,
  BG: 22,
  BH: 22,
  BR: 29,
  CH: 21,
  CY: 28,
  CZ: 24,
  DE: 22,
  DK: 18,
  EE: 20,
  ES: 24,
  FI: 18,
  FR: 27,
  GB: 22,
  GI: 23,
  GR: 27,
  HR: 21,
  HU: 28,
  IE: 22,
  IL: 23,
  IS: 26,
  IT: 27,
  LI: 21,
  LT: 20,
  LU: 20,
  LV: 21,
  MC: 27,
  MT: 31,
  NL: 18,
  NO: 15,
  PL: 28,
  PT: 25,
  RO: 24,
  SA: 24,
  SE: 24,
  SI: 19,
  SK: 24,
  SM: 27,
  TR: 26,
};

export function ibanValid(raw: string): boolean {
  const iban = raw.replace(/ /g, '').toUpperCase();
  if (IBAN_LENGTHS[iban.slice(0, 2)] !== iban.length) return false;
  const rearranged = iban.slice(4) + iban.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const value = ch >= 'A' ? String(ch.charCodeAt(0) - 55) : ch;
    for (const d of value) remainder = (remainder * 10 + (d.charCodeAt(0) - 48)) % 97;
  }
  return remainder === 1;
}

/** US SSN: area 000, 666 and 900-999, group 00 and serial 0000 are never issued; 078-05-1120 and 219-09-9999 were published in ads. */
export function ssnValid(raw: string): boolean {
  const [area, group, serial] = raw.split(/[- ]/);
  if (area === '000' || area === '666' || area[0] === '9' || group === '00' || serial === '0000') return false;
  return !['078051120', '219099999'].includes(area + group + serial);
}

/** UK NINO: the first letter is never D, F, I, Q, U, V; the second never D, F, I, O, Q, U, V; BG, GB, NK, KN, TN, NT, ZZ are not allocated. */
export function ninoValid(raw: string): boolean {
  const prefix = raw.slice(0, 2);
  return !['BG', 'GB', 'NK', 'KN', 'TN', 'NT', 'ZZ'].includes(prefix);
}

export function phoneValid(raw: string): boolean {
  const digits = raw.replace(/\D/g, '');
  if (/^\d{4}[-/.]\d{1,2}[-/.]\d{1,2}$|^\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}$/.test(raw)) return false; // dates
  if (raw.startsWith('+')) return digits.length >= 8 && digits.length <= 15;
  if (/^\d+(\.\d+)+$/.test(raw) && !/^\d{3}\.\d{3}\.\d{4}$/.test(raw)) return false; // versions, dotted ids
  // North American layout: (NXX) NXX-XXXX, NXX-NXX-XXXX, NXX.NXX.XXXX, NXX NXX XXXX.
  if (/^(\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4}$/.test(raw)) return /^[2-9]\d{2}[2-9]/.test(digits);
  // A national number with a trunk 0, written in groups (UK, FR, DE...).
  return /^0\d/.test(digits) && /[ ().-]/.test(raw) && digits.length >= 10 && digits.length <= 11;
}

export function jwtValid(token: string): boolean {
  try {
    const header = JSON.parse(Buffer.from(token.split('.')[0], 'base64url').toString('utf8')) as Record<string, unknown>;
    return typeof header.alg === 'string';
  } catch {
    return false;
  }
}

export function ipv6Valid(raw: string): boolean {
  if (!ipaddr.IPv6.isValid(raw)) return false;
  // `::`, `a::b` style fragments in code are rare; require some real content.
  return raw.replace(/[:.]/g, '').length >= 4;
}
