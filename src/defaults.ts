/**
 * Every number a user may tune, in one place, each with the reason for its value.
 * `sextant config --print` prints this object (merged with the user's configuration).
 * Each concept owns one section; add a number here, never as a literal at its use site.
 */
export const DEFAULTS = {
  providers: {
    /** Anthropic requires max_tokens on every call; 4096 fits every current Claude model and most answers, and bounds a runaway reply's cost. */
    anthropicMaxTokens: 4096,
    /** The Anthropic API version header: the stable version every current model and feature (tools, streaming, cache usage) works with. */
    anthropicVersion: '2023-06-01',
  },
  store: {
    /** Embedded default: one SQLite file next to where the process runs. */
    sqlitePath: './.sextant/sextant.db',
    /** Postgres connections per process: enough for a 2-core replica without starving the server. */
    postgresPoolSize: 10,
  },
  agent: {
    /** A tool-using agent rarely needs more than a dozen steps; 25 leaves room for paging and retries yet stops a runaway early. */
    maxSteps: 25,
    /** Wall-clock per run: a few minutes covers multi-step tool use; beyond it a user has usually given up. */
    timeoutMs: 300_000,
    /** Tokens per run (input + output, all calls): 200k is a few long-context steps; stops a loop from burning millions. */
    maxTokens: 200_000,
    /** USD per run: a generous ceiling for a single task on mid-priced models, small enough that a runaway costs little. */
    maxCostUsd: 1,
    /** Calls per tool per run: no single tool should dominate a run; legitimate paging rarely needs more. */
    maxCallsPerTool: 20,
    /** Per-attempt tool timeout: most HTTP and SQL tools answer in seconds; a slower tool should say so itself. */
    toolTimeoutMs: 30_000,
    /** Tool calls of one step run at once up to this: overlaps I/O without flooding a downstream API. */
    maxParallelTools: 4,
    /** Re-asks after an answer fails the output schema: one usually fixes it, a third rarely does. */
    maxOutputRepairs: 2,
    /** Re-asks after malformed tool-call JSON, per run. */
    maxToolCallRepairs: 2,
    /** After a limit stops the run, one last call (no tools) asks for the best answer so far, if the budget allows. */
    answerOnLimit: true,
    loopDetector: {
      /** The same call (tool + canonical arguments) this many times is a repeat: twice can be a re-check, three times is a loop. */
      repeatThreshold: 3,
      /** Cycles of 2..this many steps (A,B,A,B) are looked for; longer cycles are rare and would fire late. */
      maxCyclePeriod: 4,
      /** Consecutive steps that bring nothing new (no unseen tool result or text) before it counts as no progress. */
      noProgressSteps: 3,
      /** The same error this many times in a row (ignoring tool-requested retries) is an error loop. */
      errorRepeatThreshold: 3,
      /** Tool-requested retries of the same call tolerated before they count as repeats again. */
      maxRequestedRetries: 5,
      /** Steps looked back at; older steps are forgotten so long runs stay cheap. */
      window: 12,
    },
    context: {
      /** Tokens kept free in the context window for the model's answer. */
      reserveOutputTokens: 4_096,
      /** Used when a model's context window is unknown: the smallest window among current mainstream models. */
      fallbackContextWindow: 128_000,
    },
  },
  checks: {
    /** Re-asks per check per run: Reflexion-style gains come mostly from the first one or two reflections; more only adds cost. */
    maxReasks: 2,
    /** A malformed judge verdict is asked again this many times before it counts as 'unknown'. */
    judgeRetries: 2,
    /** Judge votes per verdict (majority wins). 1 keeps the cost of one call; raise to 3 or 5 where judge noise matters. */
    judgeVotes: 1,
    /** A binary verdict and a one- or two-sentence reason fit well within this. */
    judgeMaxTokens: 400,
    /** Documents given to a judge are cut to this many characters in total, to bound its cost. */
    judgeMaxDocumentChars: 24_000,
    sandbox: {
      /** Wall-clock limit: the child process is killed past it, whatever the code does. */
      timeoutMs: 5_000,
      /** CPU budget inside QuickJS (interrupt handler); below the wall clock so a busy loop ends with a clear error first. */
      cpuTimeMs: 3_000,
      /** QuickJS heap: generated snippets and their tests need a few MB; 64 MB stops memory bombs early. */
      memoryBytes: 64 * 1024 * 1024,
      /** QuickJS stack: deep recursion fails with a RangeError rather than overflowing the host. */
      stackBytes: 512 * 1024,
      /** V8 heap of the child process (MB), a second wall behind the QuickJS limit. */
      childHeapMb: 192,
      /** Captured console output per run; beyond it output is cut and marked truncated. */
      maxOutputBytes: 64 * 1024,
      /** Python under bubblewrap: address-space limit (MB) set with ulimit -v. */
      pythonMemoryMb: 256,
    },
  },
  eval: {
    /** Cases run at once: enough to overlap model latency without tripping provider rate limits. */
    concurrency: 4,
    /** Repeats per case: pass^k (τ-bench) needs k > 1 to say anything about reliability; 3 is a cheap start. */
    repeats: 3,
    /** Drop in pass@1 or pass^k (absolute) tolerated against the baseline before it is a regression; absorbs judge and sampling noise. */
    passRateTolerance: 0.05,
    /** Cost may grow by this share over the baseline before it is a regression. */
    costTolerance: 0.2,
    /** Width of the stderr progress bar, in characters. */
    progressBarWidth: 30,
  },
  cache: {
    /** Built-in embedder vector length: 256 floats (1 KiB) per entry; more dims cut hash collisions only marginally on qqp. */
    embedderDimensions: 256,
    hashedEmbedder: {
      /** Stop words still count a little: they carry the question's shape ("how do I" vs "what is"). */
      stopWordWeight: 0.25,
      /** Share of the similarity from whole words, word pairs (word order) and character n-grams (typos, inflections). */
      wordShare: 0.6,
      bigramShare: 0.25,
      charShare: 0.35,
      charNgramMin: 3,
      charNgramMax: 5,
    },
  },
};

export type Defaults = typeof DEFAULTS;
