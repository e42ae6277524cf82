import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { SextantError } from '../errors.js';

const Message = z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() });

/** What a case's answer must satisfy. Every field is optional; `stopReason` defaults to `completed`. */
const Expectations = z
  .object({
    /** Facts the answer must state (case-insensitive substrings). */
    contains: z.array(z.string()).optional(),
    /** What the answer must not say. */
    notContains: z.array(z.string()).optional(),
    /** A regular expression the answer must match. */
    matches: z.string().optional(),
    /** The exact answer: text, or the structured output (deep equality). */
    equals: z.unknown().optional(),
    stopReason: z.string().optional(),
    /** Tools the run must have called. */
    toolsCalled: z.array(z.string()).optional(),
    maxCostUsd: z.number().nonnegative().optional(),
    maxSteps: z.number().int().positive().optional(),
  })
  .strict();

/** A check to grade the answer with: a name (built-in or exported by the agent module), or a name with options. */
const CheckRef = z.union([z.string(), z.object({ name: z.string() }).catchall(z.unknown())]);

const Case = z
  .object({
    name: z.string().min(1),
    /** The user's message, or a conversation. */
    input: z.union([z.string().min(1), z.array(Message).min(1)]).optional(),
    /** A recorded run to replay against the current agent: a `.json` file of a trace Recording, or a run id in the trace store. */
    replay: z.string().optional(),
    expect: Expectations.optional(),
    checks: z.array(CheckRef).optional(),
    /** Repeats for this case, overriding the suite's. */
    repeats: z.number().int().positive().optional(),
  })
  .strict()
  .refine((c) => (c.input === undefined) !== (c.replay === undefined), { message: 'a case needs exactly one of `input` or `replay`' });

const SuiteFile = z
  .object({
    name: z.string().min(1).optional(),
    /** The agent module, relative to the suite file. */
    agent: z.string().min(1),
    repeats: z.number().int().positive().optional(),
    concurrency: z.number().int().positive().optional(),
    /** Checks applied to every case, before each case's own. */
    checks: z.array(CheckRef).optional(),
    cases: z.array(Case).min(1),
  })
  .strict();

export type EvalExpectations = z.infer<typeof Expectations>;
export type EvalCheckRef = z.infer<typeof CheckRef>;
export type EvalCase = z.infer<typeof Case>;

export interface EvalSuite extends Omit<z.infer<typeof SuiteFile>, 'name'> {
  name: string;
  /** Absolute path of the suite file; relative paths in it resolve from its folder. */
  path: string;
  /** Absolute path of the agent module. */
  agentPath: string;
}

/** Validates a parsed suite; `path` is where it came from (for relative paths and messages). */
export function parseSuite(data: unknown, path: string): EvalSuite {
  const parsed = SuiteFile.safeParse(data);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw new SextantError('CONFIG_INVALID', `invalid eval suite ${path}: ${issues.join('; ')}`, { context: { path, issues } });
  }
  const names = new Set<string>();
  for (const c of parsed.data.cases) {
    if (names.has(c.name))
      throw new SextantError('CONFIG_INVALID', `invalid eval suite ${path}: two cases are named "${c.name}"`, { context: { path, case: c.name } });
    names.add(c.name);
  }
  const base = dirname(path);
  return {
    ...parsed.data,
    name: parsed.data.name ?? path,
    path,
    agentPath: resolve(base, parsed.data.agent),
    cases: parsed.data.cases.map((c) => (c.replay?.endsWith('.json') ? { ...c, replay: resolve(base, c.replay) } : c)),
  };
}

/** Reads and validates a suite YAML file. */
export async function loadSuite(path: string): Promise<EvalSuite> {
  const absolute = resolve(path);
  let text: string;
  try {
    text = await readFile(absolute, 'utf8');
  } catch (error) {
    throw new SextantError('NOT_FOUND', `cannot read eval suite ${absolute}: ${(error as Error).message}`, { context: { path: absolute }, cause: error });
  }
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (error) {
    throw new SextantError('CONFIG_INVALID', `eval suite ${absolute} is not valid YAML: ${(error as Error).message}`, {
      context: { path: absolute },
      cause: error,
    });
  }
  return parseSuite(data, absolute);
}
