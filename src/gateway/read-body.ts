import type { Context } from 'hono';
import { invalidRequest } from './http-errors.js';

/** The request body as JSON, or a 400 that says what is wrong with it. (Its size is capped by the body-limit middleware.) */
export async function readJsonBody(c: Context): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '') throw invalidRequest('The request body is empty: send a JSON object');
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidRequest(`The request body is not valid JSON: ${(error as Error).message}`);
  }
}
