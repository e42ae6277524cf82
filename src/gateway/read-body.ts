import type { Context } from 'hono';
import { invalidRequest } from './http-errors.js';
import { readBodyText } from './request-io.js';

/** The request body as JSON, or a 400 that says what is wrong with it; over `limitBytes`, a 413. */
export async function readJsonBody(c: Context, limitBytes: number): Promise<unknown> {
  const text = await readBodyText(c, limitBytes);
  if (text.trim() === '') throw invalidRequest('The request body is empty: send a JSON object');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`The request body is not valid JSON: ${(error as Error).message}`);
  }
}
