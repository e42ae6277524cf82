/**
 * The `sextant` command line as declarations: every subcommand, its arguments and options, and
 * its help. Commander parses and validates against them and generates the help. An action imports
 * its command's module only when it runs, so a command loads what it uses and nothing else:
 * `sextant config` does not load the gateway, and `sextant run` can print its first line at once.
 */
import { readFileSync } from 'node:fs';
import { Command, Option } from 'commander';
import { DEFAULTS } from '../defaults.js';

const STORE_NOTE = 'Reads SEXTANT_DATABASE_URL or ./.sextant/sextant.db.';

/** package.json is two folders up from both src/cli/ and dist/cli/. */
function packageVersion(): string {
  return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
}

const collect = (value: string, previous: string[] = []) => [...previous, value];

/** `--db <url>`: the store, for the commands that administer one. */
const dbOption = () => new Option('--db <url>', 'the store (default: SEXTANT_DATABASE_URL or ./.sextant/sextant.db)');

/**
 * Builds the program. `setExitCode` receives the exit code an action returns; errors that
 * Commander finds (unknown options, missing values) are thrown by `parseAsync` (see index.ts).
 */
export function createProgram(setExitCode: (code: number) => void): Command {
  const program = new Command('sextant');
  // Through console so that in-process callers (tests) capture it like the commands' own output.
  program
    .configureOutput({
      writeOut: (text) => console.log(text.replace(/\n$/, '')),
      writeErr: (text) => console.error(text.replace(/\n$/, '')),
      // One line per error: Commander puts its "(Did you mean --model?)" on a line of its own.
      outputError: (text, write) => write(`${text.trim().replace(/\n+/g, ' ')}\n`),
    })
    .exitOverride()
    // Command names alone in lists of commands: their arguments are in each command's own help.
    .configureHelp({ subcommandTerm: (command) => command.name() })
    .description('Sextant: an agent runtime and an OpenAI-compatible gateway on one model pipeline.')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpOption('-h, --help', 'print help')
    .addHelpText('after', "\nRun `sextant <command> --help` for a command's options.\nExit codes: 0 ok, 1 failed, 2 bad usage, 3 regression or divergence.");

  const run = <A extends unknown[]>(action: (...args: A) => Promise<number>) => {
    return async (...args: A) => setExitCode(await action(...args));
  };

  program
    .command('run')
    .summary('Run an agent module on an input, showing its steps, answer, stop reason, cost and run id')
    .description(
      `Runs an agent module on one input (the argument, or standard input when it is left out) and shows its steps as they happen on stderr: model calls with tokens and cost, tool calls, checks, limits. Ends with the answer, the stop reason, the cost and the run id; the run's trace is written to SEXTANT_DATABASE_URL or ./.sextant/sextant.db, so \`sextant explain <run-id>\` shows it.

<agent-module> is a .ts or .js file that exports, as default or as \`agent\`, a function of the run's setup ({ model, tracer, store, onClose }) returning the agent or its options, an agent, or its options (the shapes \`sextant eval\` takes). A directory means its index.ts (or agent.ts). Exits 0 when the run completed, 1 when it stopped for another reason.`,
    )
    .argument('<agent-module>', 'the agent module (file or folder)')
    .argument('[input]', 'the input (default: standard input)')
    .option(
      '--model <model>',
      "override the module's model: openai:gpt-4o-mini, anthropic:claude-sonnet-4-5, ollama:llama3.1, http://host/v1|model, or scripted",
    )
    .option('--session <id>', 'run in a session: its history is loaded before and saved after')
    .option('--json', 'print the result as JSON on stdout (steps still go to stderr)')
    .action(run(async (module: string, input: string | undefined, options) => (await import('./commands/run.js')).runCommand(module, input, options)));

  program
    .command('explain')
    .summary('Explain a run: a readable timeline of its decisions, tools, checks, cost and stop')
    .description(
      `Prints a run as a timeline: each step, what the model was shown and chose and why, tool inputs and outputs, checks, limit and loop events, cost, and why the run stopped. ${STORE_NOTE}`,
    )
    .argument('<run-id>', 'a run id, a trace id, or a unique prefix of either')
    .option('--trim <chars>', 'cut long texts to this many characters')
    .option('--json', 'print the stored trace as JSON')
    .action(run(async (id: string, options) => (await import('./commands/explain.js')).explainCommand(id, options)));

  program
    .command('traces')
    .summary('List recent runs (filter by status, agent, session, cost, time)')
    .description(`Lists recent runs and traces, newest first. ${STORE_NOTE}`)
    .option('--status <status>', 'completed | check_failed | max_steps | ... (a stop reason), error, running or interrupted')
    .option('--agent <name>', 'runs of this agent')
    .option('--session <id>', 'runs of this session')
    .option('--min-cost <usd>', 'runs that cost at least this much')
    .option('--since <when>', '30m, 2h, 7d or an ISO date')
    .option('--limit <n>', `at most this many (default ${DEFAULTS.trace.listLimit})`)
    .option('--json', 'print the rows as JSON')
    .action(run(async (options) => (await import('./commands/traces.js')).tracesCommand(options)));

  program
    .command('replay')
    .summary('Replay a recorded run against an agent and report where its behaviour diverges')
    .description(
      `Re-executes a recorded run against the agent in <module> with the model's and the tools' responses served from the recording, and reports the first step where the behaviour diverges, and why. The module is what \`sextant run\` takes, and must give the agent's options (what you pass to defineAgent), not a built agent, so that replay can swap in the recorded responses. Exits 0 when the replay matches the recording, 3 when it diverges.`,
    )
    .argument('<run-id>', 'the recorded run')
    .requiredOption('--agent <module>', 'the agent module (file or folder)')
    .option('--export <name>', 'the export holding the agent (default: `agent`, else the default export)')
    .option('--live', "ask the agent's own model instead of the recording and compare its choices")
    .option('--live-tools', 'run the tools instead of serving their recorded results: a changed tool shows as a divergence')
    .option('--json', 'print the result as JSON')
    .action(run(async (id: string, options) => (await import('./commands/replay.js')).replayCommand(id, options)));

  program
    .command('eval')
    .summary('Run a regression suite (pass@1, pass^k, cost, latency); compare with a baseline for CI')
    .description(
      `Runs every case of the suite against its agent, k times each, and reports pass@1, pass^k (all k trials pass), cost and latency. With --baseline, compares with a saved report and exits 3 on a regression (for CI). Exits 1 on a bad suite or option values.`,
    )
    .argument('<suite.yaml>', 'the suite')
    .option('--agent <module>', "use this agent module instead of the suite's")
    .option('--repeats <k>', "trials per case (default: the suite's, else DEFAULTS.eval.repeats)")
    .option('--concurrency <n>', "trials at once (default: the suite's, else DEFAULTS.eval.concurrency)")
    .option('--baseline <report.json>', 'compare with this saved report; exit 3 on a regression')
    .option('--pass-tolerance <x>', 'tolerated drop of pass@1 / pass^k (default DEFAULTS.eval.passRateTolerance)')
    .option('--cost-tolerance <x>', 'tolerated relative rise of cost per trial (default DEFAULTS.eval.costTolerance)')
    .option('--json <file>', 'write the report as JSON (usable as a later --baseline)')
    .option('--junit <file>', 'write JUnit XML (one testcase per trial)')
    .option('--no-progress', 'no progress bar on stderr')
    .action(run(async (suite: string, options) => (await import('./commands/eval.js')).evalCommand(suite, options)));

  const cache = program
    .command('cache')
    .summary('Calibrate the semantic cache threshold, show cache stats, clear the cache')
    .description(`The response cache. The store is SEXTANT_DATABASE_URL, or ${DEFAULTS.store.sqlitePath}.`);
  cache
    .command('calibrate')
    .description(
      `Measures the built-in embedder (and the strict rule verifier, or its paraphrase-aware form) on labelled {a, b, same} pairs, prints the precision/recall curve and the threshold that meets the target.`,
    )
    .argument('<pairs.jsonl>', 'labelled pairs, one JSON object a line')
    .option('--target-precision <p>', 'the precision the threshold must reach, in (0, 1]', '0.95')
    .addOption(new Option('--no-verifier', 'measure the embedder alone').conflicts('paraphrases'))
    .option('--paraphrases', 'use the paraphrase-aware verifier')
    .action(run(async (pairs: string, options) => (await import('./commands/cache.js')).calibrateCommand(pairs, options)));
  cache
    .command('stats')
    .description('Counters per scope (tenant, model): hits, misses, rejections, savings')
    .action(run(async () => (await import('./commands/cache.js')).cacheStatsCommand()));
  cache
    .command('clear')
    .description('Deletes every cached entry')
    .option('--metrics', 'reset the counters too')
    .action(run(async (options) => (await import('./commands/cache.js')).cacheClearCommand(options)));

  const keys = program
    .command('keys')
    .summary('Create, list and revoke virtual API keys (hashed, scoped, per tenant)')
    .description(
      `Virtual API keys. The plain key is printed once, at creation; only its SHA-256 is stored. Scopes: admin | models:<pattern>[,<pattern>] | routes:<name>[,<name>]. Budgets: <usd>[/total|/day|/month].`,
    );
  keys
    .command('create')
    .description('Creates a key and prints it once')
    .requiredOption('--tenant <t>', 'the tenant the key belongs to')
    .option('--name <n>', 'a name to recognise it by')
    .option('--scopes <scopes>', 'what it may use, e.g. models:gpt-4o*,routes:chat (repeatable)', collect)
    .option('--budget <budget>', 'e.g. 10/day (repeatable)', collect)
    .option('--rpm <n>', 'requests per minute')
    .option('--tpm <n>', 'tokens per minute')
    .option('--json', 'print the key and its record as JSON')
    .addOption(dbOption())
    .action(run(async (options) => (await import('./commands/keys.js')).createKeyCommand(options)));
  keys
    .command('list')
    .description('Lists keys (never the keys themselves)')
    .option('--tenant <t>', "only this tenant's keys")
    .option('--all', 'revoked keys too')
    .option('--json', 'print the keys as JSON')
    .addOption(dbOption())
    .action(run(async (options) => (await import('./commands/keys.js')).listKeysCommand(options)));
  keys
    .command('revoke')
    .description('Revokes a key')
    .argument('<key-id>', 'the key id (see `sextant keys list`)')
    .addOption(dbOption())
    .action(run(async (id: string, options) => (await import('./commands/keys.js')).revokeKeyCommand(id, options)));

  const audit = program.command('audit').summary('Verify or list the hash-chained audit log').description('The hash-chained audit log.');
  audit
    .command('verify')
    .description(
      `Recomputes every entry's hash and link and says where the chain breaks (exit 1). Keep the head it prints elsewhere and pass it as --anchor later to also catch a cut tail.`,
    )
    .option('--anchor <seq:hash>', 'a head printed by an earlier verify')
    .option('--json', 'print the result as JSON')
    .addOption(dbOption())
    .action(run(async (options) => (await import('./commands/audit.js')).verifyAuditCommand(options)));
  audit
    .command('list')
    .description('Lists entries, oldest first')
    .option('--after <seq>', 'entries after this sequence number', '0')
    .option('--limit <n>', 'at most this many', '100')
    .option('--tenant <t>', "only this tenant's entries")
    .addOption(dbOption())
    .action(run(async (options) => (await import('./commands/audit.js')).listAuditCommand(options)));

  program
    .command('config')
    .summary('Print the configuration in effect (every tunable number and its default)')
    .requiredOption('--print', 'print it, as JSON')
    .action(run(async () => (await import('./commands/config.js')).configCommand()));

  program
    .command('serve')
    .summary('Start the OpenAI-compatible gateway and the dashboard')
    .description(
      `Starts the OpenAI-compatible gateway and the dashboard. Point any OpenAI client at the printed base URL. Without --config (or SEXTANT_CONFIG) it serves the providers whose keys are in the environment (OPENAI_API_KEY, OPENAI_BASE_URL, ANTHROPIC_API_KEY, ANTHROPIC_BASE_URL) plus the \`scripted\` demo model. Data (traces, keys, budgets, cache) goes to SEXTANT_DATABASE_URL, or the config's store.url, or ./.sextant/sextant.db.`,
    )
    .option('-c, --config <file>', 'the gateway configuration (sextant.yaml)')
    .option('-p, --port <port>', 'the port (default: the config, else 8787)')
    .option('--host <host>', 'the interface (default: the config, else 127.0.0.1)')
    .action(run(async (options) => (await import('./commands/serve.js')).serveCommand(options)));

  return program;
}
