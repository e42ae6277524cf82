import { DEFAULTS } from '../../defaults.js';

/** `sextant config --print`: every tunable number and its default, as JSON. */
export async function configCommand(): Promise<number> {
  console.log(JSON.stringify(DEFAULTS, null, 2));
  return 0;
}
