import { parseArgs } from 'node:util';
import { DEFAULTS } from '../../defaults.js';
import type { Command } from './command.js';

export const configCommand: Command = {
  summary: 'Print the configuration in effect (every tunable number and its default)',
  async run(args) {
    const { values } = parseArgs({ args, options: { print: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } } });
    if (values.help || !values.print) {
      console.log('Usage: sextant config --print');
      return values.help ? 0 : 1;
    }
    console.log(JSON.stringify(DEFAULTS, null, 2));
    return 0;
  },
};
