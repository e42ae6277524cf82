import { randomFillSync } from 'node:crypto';

// One syscall fills many ids: span ids are made on the hot path.
const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomHex(bytes: number): string {
  if (offset + bytes > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const hex = pool.toString('hex', offset, offset + bytes);
  offset += bytes;
  return hex;
}

/** A 128-bit trace id as 32 hex characters (the W3C / OpenTelemetry format). */
export function newTraceId(): string {
  return randomHex(16);
}

/** A 64-bit span id as 16 hex characters (the W3C / OpenTelemetry format). */
export function newSpanId(): string {
  return randomHex(8);
}

/** Wall-clock time in ms with sub-millisecond precision, so spans of a fast run keep their order. */
export function nowMs(): number {
  return performance.timeOrigin + performance.now();
}
