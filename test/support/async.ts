/** Small helpers for tests of async calls and streams. */
import { expect } from 'vitest';
import { SextantError } from '../../src/errors.js';

/** Every item of an async iterable, in order. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

/** The SextantError the promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function failure(promise: Promise<unknown>): Promise<SextantError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SextantError);
    return error as SextantError;
  }
  throw new Error('expected the call to fail');
}
