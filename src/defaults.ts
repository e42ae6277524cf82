/**
 * Every number a user may tune, in one place, each with the reason for its value.
 * `sextant config --print` prints this object (merged with the user's configuration).
 * Each concept owns one section; add a number here, never as a literal at its use site.
 */
export const DEFAULTS = {
  store: {
    /** Embedded default: one SQLite file next to where the process runs. */
    sqlitePath: './.sextant/sextant.db',
    /** Postgres connections per process: enough for a 2-core replica without starving the server. */
    postgresPoolSize: 10,
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
};

export type Defaults = typeof DEFAULTS;
