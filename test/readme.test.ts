/**
 * Every fenced code block of README.md is run or checked here:
 * - a block under `<!-- example: <path> -->` is that file, byte for byte, and the file is run
 *   below (with the scripted model, or against the fake upstream through the provider's
 *   `*_BASE_URL` when the example names a real provider);
 * - a shell block's commands are run as written, in bash, with `npx sextant` running the CLI from
 *   source (the package is not built here). Where a command needs a real API key, a real model
 *   or a fixed port, the run says what stands in for it (the fake upstream, a free port);
 * - a YAML block is a gateway configuration: it must pass the config schema, and `sextant serve`
 *   starts with it;
 * - the layout block names exactly the folders of src/.
 * Any other block fails the test. No network and no API key are needed.
 */
import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { format } from 'node:util';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadGatewayConfig } from '../src/gateway/config.js';
import { createFakeUpstream, type FakeReply, type FakeRequest, type FakeUpstream } from '../src/testing/index.js';

const root = join(import.meta.dirname, '..');
const README = readFileSync(join(root, 'README.md'), 'utf8');
/** Generous: child processes start tsx and open SQLite on a busy 2-core machine. */
const COMMAND_TIMEOUT_MS = 180_000;
const TEST_TIMEOUT_MS = 600_000;

interface Block {
  lang: string;
  body: string;
  /** 1-based line of the opening fence. */
  line: number;
  /** The file an `<!-- example: path -->` marker above the block names. */
  example?: string;
}

function fencedBlocks(markdown: string): Block[] {
  const lines = markdown.split('\n');
  const blocks: Block[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^```(\S*)\s*$/.exec(lines[i]);
    if (!open) continue;
    const close = lines.indexOf('```', i + 1);
    if (close === -1) throw new Error(`README.md line ${i + 1}: a code block is never closed`);
    const marker = /^<!-- example: (\S+) -->$/.exec(lines[i - 1] ?? '');
    blocks.push({ lang: open[1], body: lines.slice(i + 1, close).join('\n') + '\n', line: i + 1, ...(marker ? { example: marker[1] } : {}) });
    i = close;
  }
  return blocks;
}

/** A shell block's commands: one a line, without trailing comments. */
function commandsOf(block: Block): string[] {
  return block.body
    .split('\n')
    .map((line) => line.replace(/\s+#.*$/, '').trim())
    .filter(Boolean);
}

const blocks = fencedBlocks(README);
const shellCommands = blocks.filter((b) => b.lang === 'sh').flatMap(commandsOf);
/** Every README command a test below ran (or ran an equivalent of). */
const covered = new Set<string>();

function readmeCommand(command: string): string {
  expect(shellCommands, 'the command is in a shell block of README.md').toContain(command);
  covered.add(command);
  return command;
}

const work = mkdtempSync(join(tmpdir(), 'sextant-readme-'));
const database = join(work, 'sextant.db');
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** `npx sextant ...` in the README's commands runs the CLI's `main` from source with tsx; any other npx is refused. */
const SHELL_PRELUDE = `npx() {
  if [ "$1" = sextant ]; then shift; node --import "$README_TSX" --input-type=module -e "$README_CLI" "$@";
  else echo "npx $1: the README test runs only npx sextant" >&2; return 127; fi
}
set -e
`;
const SHELL_ENV = {
  README_TSX: pathToFileURL(join(root, 'node_modules/tsx/dist/loader.mjs')).href,
  README_CLI: `import { main } from '${pathToFileURL(join(root, 'src/cli/index.ts')).href}'; process.exitCode = await main(process.argv.slice(1));`,
};

interface ShellRun {
  code: number;
  stdout: string;
  stderr: string;
}

interface ShellOptions {
  /** Set, or with undefined removed. */
  env?: Record<string, string | undefined>;
  /** Placeholders of the README (`<the run id it printed>`) and what stands in for them. */
  fill?: Record<string, string>;
}

function baseEnv(extra: Record<string, string | undefined> = {}): NodeJS.ProcessEnv {
  // No real key leaks in from the machine running the tests, and the data goes to a scratch database.
  const env: NodeJS.ProcessEnv = { ...process.env, ...SHELL_ENV, SEXTANT_DATABASE_URL: database };
  for (const name of ['OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'OPENAI_BASE_URL', 'ANTHROPIC_BASE_URL', 'SUPPORT_DESK_MODEL', 'SEXTANT_CONFIG']) delete env[name];
  for (const [name, value] of Object.entries(extra)) {
    if (value === undefined) delete env[name];
    else env[name] = value;
  }
  return env;
}

function script(commands: string[], fill: Record<string, string> = {}): string {
  const lines = commands.map((command) => Object.entries(fill).reduce((line, [from, to]) => line.replaceAll(from, to), readmeCommand(command)));
  return SHELL_PRELUDE + lines.join('\n');
}

/** Runs README commands, in order, in one bash. */
function shell(commands: string[], options: ShellOptions = {}): Promise<ShellRun> {
  return new Promise((resolve) => {
    execFile(
      'bash',
      ['-c', script(commands, options.fill)],
      { cwd: root, env: baseEnv(options.env), timeout: COMMAND_TIMEOUT_MS, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => resolve({ code: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A long-running README command (`sextant serve`): started, read until `ready` matches, then stopped with SIGTERM. */
async function serve(
  command: string,
  options: ShellOptions & { cwd?: string },
): Promise<{ banner: string; baseURL: string; stop(): Promise<{ stderr: string }> }> {
  const child = spawn('bash', ['-c', script([command], options.fill)], { cwd: options.cwd ?? root, env: baseEnv(options.env), detached: true });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  // 'close': once every process holding the output pipes, node included, has exited.
  const closed = new Promise<void>((resolve) => child.on('close', () => resolve()));
  const started = Date.now();
  while (!/\n {2}models\n[\s\S]*\n$/.test(stdout)) {
    if (child.exitCode !== null || Date.now() - started > COMMAND_TIMEOUT_MS) throw new Error(`sextant serve did not start:\n${stdout}\n${stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  await new Promise((resolve) => setTimeout(resolve, 200)); // the rest of the banner
  return {
    banner: stdout,
    baseURL: /OpenAI base URL\s+(\S+)/.exec(stdout)![1],
    async stop() {
      // The process group of the bash this test started: bash and the node it runs.
      process.kill(-child.pid!, 'SIGTERM');
      await closed;
      return { stderr };
    },
  };
}

/** Imports an example file as `npx tsx <file>` would run it, with `env` set, and returns what it printed. */
async function runExample(path: string, env: Record<string, string>): Promise<string[]> {
  const saved = { ...process.env };
  Object.assign(process.env, env);
  const printed: string[] = [];
  const log = vi.spyOn(console, 'log').mockImplementation((...args: unknown[]) => void printed.push(format(...args)));
  try {
    await import(pathToFileURL(join(root, path)).href);
    return printed;
  } finally {
    log.mockRestore();
    process.env = saved;
  }
}

/**
 * The fake upstream as the support desk's model, on both wire formats: it searches the help center,
 * answers with the top passage verbatim and cites it, and, as a judge, says yes.
 */
function supportDeskUpstream(request: FakeRequest): FakeReply {
  const body = request.body as {
    messages: { role: string; content: unknown }[];
    tools?: { name?: string; function?: { name: string } }[];
    response_format?: any;
  };
  const anthropic = request.api === 'anthropic-messages';
  const toolNames = (body.tools ?? []).map((t) => t.name ?? t.function?.name);
  // Structured output: OpenAI's response_format, or Anthropic's output tool (see anthropic-wire.ts).
  const formatName: string | undefined = anthropic
    ? toolNames.find((name) => name === 'verdict' || name === 'answer')
    : body.response_format?.json_schema?.name;
  const reply = (value: object): FakeReply =>
    anthropic ? { toolCalls: [{ name: formatName!, arguments: value as Record<string, unknown> }] } : { text: JSON.stringify(value) };
  if (formatName === 'verdict') return reply({ reason: 'fake upstream judge: supported', verdict: 'yes' });

  const toolResults = body.messages.flatMap((m) => {
    if (m.role === 'tool') return [String(m.content)];
    if (anthropic && Array.isArray(m.content)) {
      return m.content.filter((b: any) => b.type === 'tool_result').map((b: any) => (typeof b.content === 'string' ? b.content : JSON.stringify(b.content)));
    }
    return [];
  });
  if (toolResults.length === 0) {
    const lastUser = [...body.messages].reverse().find((m) => m.role === 'user');
    const question = typeof lastUser?.content === 'string' ? lastUser.content : JSON.stringify(lastUser?.content);
    return { toolCalls: [{ name: 'search_knowledge_base', arguments: { query: question } }] };
  }
  const passage = passagesIn(toolResults.at(-1)!)[0];
  return reply(passage ? { answer: passage.text, citations: [passage.id], handoff: false } : { answer: 'I do not know.', citations: [], handoff: true });
}

/** The retrieval tool's JSON inside a tool result (which also holds the untrusted-content markers). */
function passagesIn(content: string): { id: string; text: string }[] {
  const unescaped = content.includes('\\"passages\\"') ? (JSON.parse(content) as { text?: string }[]).map((b) => b.text ?? '').join('') : content;
  const start = unescaped.indexOf('{"passages"');
  for (let end = unescaped.lastIndexOf('}'); start !== -1 && end > start; end = unescaped.lastIndexOf('}', end - 1)) {
    try {
      return (JSON.parse(unescaped.slice(start, end + 1)) as { passages: { id: string; text: string }[] }).passages;
    } catch {
      // not the end of the object yet
    }
  }
  return [];
}

describe('README.md code blocks', () => {
  it('every block is an example file it quotes byte for byte, a shell block, a gateway config or the layout', () => {
    expect(blocks.length).toBeGreaterThan(5);
    for (const block of blocks) {
      const where = `README.md line ${block.line}`;
      if (block.example) {
        expect(block.body, `${where} quotes ${block.example}`).toBe(readFileSync(join(root, block.example), 'utf8'));
      } else if (block.lang === 'sh') {
        expect(commandsOf(block).length, where).toBeGreaterThan(0); // each command is run below; the last test checks that all were
      } else if (block.lang === 'yaml') {
        expect(block.body, where).toContain('providers:'); // validated and served below
      } else if (block.lang === '' && block.body.startsWith('src/\n')) {
        // the layout, checked below
      } else {
        expect.fail(
          `${where}: a \`${block.lang || 'plain'}\` block that no test runs: quote an example file under <!-- example: path -->, or make it a shell block`,
        );
      }
    }
  });

  it('the layout names exactly the folders of src/', () => {
    const layout = blocks.find((b) => b.lang === '' && b.body.startsWith('src/\n'))!;
    const named = [...layout.body.matchAll(/^ {2}(\w+)\//gm)].map((m) => m[1]).sort();
    const folders = readdirSync(join(root, 'src'), { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
    expect(named).toEqual(folders);
    for (const top of [...layout.body.matchAll(/^(\w+)\/ /gm)].map((m) => m[1])) expect(readdirSync(join(root, top)).length).toBeGreaterThan(0);
  });
});

describe('README lists', () => {
  const section = (from: string, to: string) => README.slice(README.indexOf(from), README.indexOf(to));
  const quoted = (text: string) => [...text.matchAll(/`([\w-]+)`/g)].map((m) => m[1]);

  it("the stop reasons are the runtime's, and the built-in checks are exported by the package", async () => {
    const sextant = (await import('../src/index.js')) as Record<string, unknown>;
    const stops = quoted(section('- **Stop reasons**', '- **Approvals**')).filter((name) => name !== 'stopDetail');
    expect(stops).toEqual([...(sextant.STOP_REASONS as string[])]);
    const checks = section('- **Checks**', '- **Knowledge bases**');
    const builtIns = quoted(checks.slice(checks.indexOf('the built-ins')));
    expect(builtIns.length).toBeGreaterThan(5);
    for (const name of builtIns) expect(typeof sextant[name], name).toBe('function');
    const stages = [.../stage: ((?:'[\w-]+'(?: \| )?)+)/.exec(checks)![1].matchAll(/'([\w-]+)'/g)].map((m) => m[1]);
    for (const stage of stages)
      expect(() =>
        (sextant.defineCheck as (o: object) => unknown)({ name: 'c', stage, onFail: 'warn', run: () => ({ pass: true, reason: '' }) }),
      ).not.toThrow();
  });

  it('every benchmark command names a file in bench/', () => {
    const commands = [...section('## Benchmarks', '## Layout').matchAll(/`npx tsx (?:--expose-gc )?(bench\/[\w-]+\.ts)/g)].map((m) => m[1]);
    expect(commands.length).toBeGreaterThanOrEqual(8);
    for (const file of commands) expect(readdirSync(join(root, 'bench')), file).toContain(file.slice('bench/'.length));
  });
});

describe('README examples', () => {
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await createFakeUpstream();
  });
  afterAll(() => upstream.close());

  // The example names openai:gpt-4o-mini: it runs against the fake upstream through OPENAI_BASE_URL.
  it(
    'the agent runtime: a tool call, a structured answer, the session carried into a streamed second run',
    async () => {
      upstream.reset();
      upstream.enqueue(
        { toolCalls: [{ name: 'lookup_order', arguments: { orderId: 1042 } }] },
        { text: JSON.stringify({ answer: 'Order 1042 has shipped.', citations: ['lookup_order'] }) },
        { text: JSON.stringify({ answer: 'UPS has it.', citations: ['lookup_order'] }) },
      );
      const printed = await runExample('examples/readme/agent-runtime.ts', { OPENAI_API_KEY: 'sk-test', OPENAI_BASE_URL: `${upstream.url}/v1` });
      expect(printed).toEqual([
        `completed { answer: 'Order 1042 has shipped.', citations: [ 'lookup_order' ] }`,
        `completed { answer: 'UPS has it.', citations: [ 'lookup_order' ] }`,
      ]);
      const [first, second, third] = upstream.requests.map((r) => r.body as { model: string; messages: { role: string; content: string }[] });
      expect(first.model).toBe('gpt-4o-mini');
      expect(upstream.requests[0].headers.authorization).toBe('Bearer sk-test');
      // The tool ran against the CRM and its output went back to the model.
      expect(second.messages.at(-1)).toMatchObject({ role: 'tool', content: expect.stringContaining('{"status":"shipped","carrier":"UPS"}') });
      // The streamed run was sent the session's history (kept in memory: the agent has no `sessions` store).
      expect(third.messages.map((m) => m.content)).toEqual(expect.arrayContaining(['Where is order 1042?', 'Which carrier has it?']));
      expect(upstream.requests[2].stream).toBe(true);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'MCP: a stdio server (with the env it is given) and a Streamable HTTP server (with its headers) become tools',
    async () => {
      const { startDocsMcpServer } = await import('../examples/readme/docs-mcp-server.js');
      const docs = await startDocsMcpServer({ token: 'docs-secret' });
      upstream.reset();
      upstream.enqueue(
        {
          toolCalls: [
            { name: 'crm_lookup_order', arguments: { orderId: 'A-100' } },
            { name: 'search_docs', arguments: { query: 'return refund' } },
          ],
        },
        { text: 'Order A-100 shipped with UPS on 2026-11-20; unworn items can be returned within 30 days.' },
      );
      try {
        const printed = await runExample('examples/readme/mcp-tools.ts', {
          OPENAI_API_KEY: 'sk-test',
          OPENAI_BASE_URL: `${upstream.url}/v1`,
          CRM_TOKEN: 'crm-secret',
          DOCS_TOKEN: 'docs-secret',
          DOCS_MCP_URL: docs.url,
        });
        // `prefix` names the stdio server's tools, `exclude` leaves delete_customer out.
        expect(printed[0]).toBe('tools: crm_lookup_order, search_docs');
        expect(printed[1]).toBe('crm_lookup_order → Order A-100: shipped with UPS on 2026-11-20');
        expect(printed[2]).toBe('search_docs → returns.md: Unworn items can be returned within 30 days for a full refund.');
        expect(printed[3]).toMatch(/^completed Order A-100 shipped/);
        // The model is sent each tool's description and input JSON Schema as the server declared them.
        const tools = (upstream.requests[0].body as { tools: { function: { name: string; description: string; parameters: any } }[] }).tools;
        expect(tools.find((t) => t.function.name === 'crm_lookup_order')?.function).toMatchObject({
          description: 'Finds an order by its id',
          parameters: { properties: { orderId: { type: 'string' } } },
        });
      } finally {
        await docs.close();
      }
    },
    TEST_TIMEOUT_MS,
  );
});

describe('README shell commands', () => {
  it(
    'quick start: `npm install && npm start` and `npm test` (checked, and `npm start` run as its command: see below)',
    async () => {
      // `npm install` needs the network and `npm test` is this suite: the test checks what the README
      // says they do. `npm start` itself runs below, as the command it is (`sextant serve`), on a free port.
      const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string>; bin: Record<string, string> };
      expect(pkg.scripts.prepare).toBe('npm run build'); // npm install builds
      expect(pkg.scripts.start).toBe('node bin/sextant.js serve');
      expect(readFileSync(join(root, pkg.bin.sextant), 'utf8')).toContain("new URL('../dist/cli/index.js', import.meta.url)");
      expect(pkg.scripts.test.split(' && ')).toEqual(['npm run typecheck', 'npm run lint', 'prettier --check .', 'vitest run']);
      readmeCommand('npm install && npm start');
      readmeCommand('npm test');

      // `npm start` from an empty folder, as on a fresh machine: no key, no config, data in ./.sextant/.
      const fresh = mkdtempSync(join(tmpdir(), 'sextant-readme-fresh-'));
      try {
        const server = await serve('npx sextant serve', { cwd: fresh, env: { SEXTANT_PORT: '0', SEXTANT_DATABASE_URL: undefined } });
        expect(server.baseURL).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
        expect(server.banner).toMatch(/dashboard\s+http:\/\/127\.0\.0\.1:\d+\/dashboard\//);
        expect(server.banner).toMatch(/data\s+\S*\.sextant\/sextant\.db \(sqlite\)/);
        expect(server.banner).toContain('scripted → the scripted demo model');
        const printed = await runExample('examples/readme/openai-client.ts', { OPENAI_BASE_URL: server.baseURL, OPENAI_API_KEY: 'no-key-needed' });
        expect(printed[0]).toContain("This is Sextant's scripted demo model, not a real LLM.");
        expect(printed[0]).toContain('Hello from the README');
        // The demo model has no price: its cost header says so rather than $0.
        expect(printed[1]).toBe('cache: miss, cost: $unknown');
        const stopped = await server.stop();
        expect(stopped.stderr).toContain('SIGTERM, draining');
      } finally {
        rmSync(fresh, { recursive: true, force: true });
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'the support desk on the scripted model, then `sextant explain` of the run it printed',
    async () => {
      const run = await shell(['npx sextant run examples/support-desk "Where is my order 1042?"']);
      expect(run.code, run.stderr).toBe(0);
      // Each step as it happens: the CRM lookup, the help-center search, the checks, the cost so far.
      expect(run.stderr).toMatch(/tool crm_lookup\(\{"order_id":1042\}\) →/);
      expect(run.stderr).toMatch(/tool search_knowledge_base\(/);
      for (const check of ['groundedness', 'relevance', 'citations']) expect(run.stderr).toContain(`check ${check}: pass`);
      expect(run.stderr).toMatch(/cost so far \$\d+\.\d+/);
      // Then the answer with its citations, the stop reason, the cost and the run id.
      const answer = JSON.parse(run.stdout) as { answer: string; citations: string[] };
      expect(answer.answer).toContain('UPS');
      expect(answer.citations).toContain('crm:order:1042');
      expect(run.stderr).toMatch(/stop: completed \(answered after \d+ steps\) · cost \$\d+\.\d+/);
      const runId = /run id: ([0-9a-f-]{36})/.exec(run.stderr)![1];

      const explained = await shell(['npx sextant explain <the run id it printed>'], { fill: { '<the run id it printed>': runId } });
      expect(explained.code, explained.stderr).toBe(0);
      expect(explained.stdout).toContain(`Run ${runId}`);
      expect(explained.stdout).toContain('tool crm_lookup');
      expect(explained.stdout).toContain('check citations: pass');
      expect(explained.stdout).toContain('Stopped: completed');

      // The same run replayed against the agent as it is: from the recording, then with the tools run again.
      for (const command of [
        'npx sextant replay <run id> --agent examples/support-desk',
        'npx sextant replay <run id> --agent examples/support-desk --live-tools',
      ]) {
        const replayed = await shell([command], { fill: { '<run id>': runId } });
        expect(replayed.code, replayed.stderr + replayed.stdout).toBe(0);
        expect(replayed.stdout).toContain('matches the recording');
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'an FAQ question asked twice is served from the cache the second time, at $0',
    async () => {
      // Not a code block: the sentence after the quick start's commands.
      const question = 'How do I reset my password?';
      const script = `npx sextant run examples/support-desk "${question}"`;
      const first = await new Promise<ShellRun>((resolve) =>
        execFile('bash', ['-c', `${SHELL_PRELUDE}${script}\n${script}`], { cwd: root, env: baseEnv(), timeout: COMMAND_TIMEOUT_MS }, (error, stdout, stderr) =>
          resolve({ code: error ? 1 : 0, stdout, stderr }),
        ),
      );
      expect(first.code, first.stderr).toBe(0);
      const stops = [...first.stderr.matchAll(/stop: completed .* · cost \$(\d+\.\d+)/g)].map((m) => Number(m[1]));
      expect(stops).toHaveLength(2);
      expect(stops[0]).toBeGreaterThan(0);
      expect(stops[1]).toBe(0);
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'with a real model: the same agent, tools and checks over the OpenAI, Anthropic and Ollama wire formats (the fake upstream stands in)',
    async () => {
      const upstream = await createFakeUpstream({ respond: supportDeskUpstream });
      try {
        // Each provider's base URL points at the fake upstream; the README's placeholder keys are sent as they are.
        const env = { OPENAI_BASE_URL: `${upstream.url}/v1`, ANTHROPIC_BASE_URL: upstream.url, OLLAMA_BASE_URL: `${upstream.url}/v1` };
        const commands = [
          'OPENAI_API_KEY=sk-... npx sextant run examples/support-desk "Can I return a gift card?" --model openai:gpt-4o-mini',
          'ANTHROPIC_API_KEY=... npx sextant run examples/support-desk "How long do refunds take?" --model anthropic:claude-sonnet-4-5',
          'npx sextant run examples/support-desk "Do you ship to Canada?" --model ollama:llama3.1',
        ];
        const expected = [
          { api: 'openai-chat', model: 'gpt-4o-mini', auth: ['authorization', 'Bearer sk-...'] },
          { api: 'anthropic-messages', model: 'claude-sonnet-4-5', auth: ['x-api-key', '...'] },
          { api: 'openai-chat', model: 'llama3.1', auth: undefined },
        ];
        for (const [i, command] of commands.entries()) {
          upstream.reset();
          const run = await shell([command], { env });
          expect(run.code, run.stderr).toBe(0);
          const answer = JSON.parse(run.stdout) as { answer: string; citations: string[]; handoff: boolean };
          expect(answer.citations.length).toBeGreaterThan(0);
          expect(run.stderr).toMatch(/tool search_knowledge_base\(/);
          for (const check of ['groundedness', 'relevance', 'citations']) expect(run.stderr).toMatch(new RegExp(`check ${check}: pass`));
          expect(run.stderr).toMatch(/stop: completed/);
          const { api, model, auth } = expected[i];
          expect(upstream.requests.length).toBeGreaterThan(1);
          for (const request of upstream.requests) {
            expect(request.api).toBe(api);
            expect((request.body as { model: string }).model).toBe(model);
            if (auth) expect(request.headers[auth[0]]).toBe(auth[1]);
          }
        }
      } finally {
        await upstream.close();
      }
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'the gateway with the README configuration: it passes the schema, and `sextant serve --config` starts with its routes',
    async () => {
      const yaml = blocks.find((b) => b.lang === 'yaml')!;
      const file = join(work, 'sextant.yaml');
      writeFileSync(file, yaml.body);
      const env = { OPENAI_API_KEY: 'sk-openai', ANTHROPIC_API_KEY: 'sk-anthropic' };
      const config = loadGatewayConfig(file, env);
      expect(config.models.fast.targets.map((t) => [t.model, t.weight])).toEqual([
        ['openai:gpt-4o-mini', 3],
        ['anthropic:claude-3-5-haiku-latest', 1],
      ]);
      expect(config.models.fast.fallbacks.map((t) => t.model)).toEqual(['openai:gpt-4o']);
      expect(config.providers.openai.apiKey).toBe('sk-openai'); // `${VAR}` reads the environment
      expect(config.auth.required).toBe(true);

      // In a scratch folder holding the README's sextant.yaml; port 8787 may be taken on this machine, so a free one.
      const server = await serve('npx sextant serve --config sextant.yaml --port 8787 --host 127.0.0.1', {
        cwd: work,
        env,
        fill: { '--port 8787': '--port 0' },
      });
      expect(server.banner).toContain('fast → openai:gpt-4o-mini (weight 3), anthropic:claude-3-5-haiku-latest (weight 1); fallbacks: openai:gpt-4o');
      expect(server.banner).toMatch(/keys\s+required/);
      const models = (await (await fetch(`${server.baseURL}/models`)).json()) as { data: { id: string }[] };
      expect(models.data.map((m) => m.id)).toContain('fast');
      // auth: { required: true }: no key, no answer.
      const unauthenticated = await fetch(`${server.baseURL}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] }),
      });
      expect(unauthenticated.status).toBe(401);
      expect((await server.stop()).stderr).toContain('SIGTERM, draining');
    },
    TEST_TIMEOUT_MS,
  );

  it(
    'keys and audit: create a scoped key with a budget and limits, list it, verify the audit chain',
    async () => {
      const run = await shell([
        'export SEXTANT_ADMIN_KEY=...',
        "npx sextant keys create --tenant acme --scopes 'models:gpt-4o*,routes:chat' --budget 10/day --rpm 60 --tpm 100000",
        'npx sextant keys list',
        'npx sextant audit verify',
      ]);
      expect(run.code, run.stderr).toBe(0);
      const key = /sk-sx-[A-Za-z0-9_-]+/.exec(run.stdout)?.[0];
      expect(key).toBeDefined();
      expect(run.stdout).toContain('acme');
      expect(run.stdout).toMatch(/models:gpt-4o\*/);
      expect(run.stdout).toMatch(/^Audit log intact: \d+ entries/m);
    },
    TEST_TIMEOUT_MS,
  );

  it('every command of every shell block was run above', () => {
    expect(shellCommands.filter((command) => !covered.has(command))).toEqual([]);
  });
});
