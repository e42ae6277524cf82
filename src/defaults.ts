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
    /** The connection pool providers send through (one per upstream origin, shared by every provider in the process). */
    http: {
      /** Each call holds its connection for the whole answer (seconds for a stream), so the cap must sit above peak concurrency or it becomes a hidden queue: 500 calls/s at ~2 s each is ~1,000 in flight. It still bounds sockets when an upstream stalls. */
      connectionsPerOrigin: 1024,
      /** One request per connection at a time: a model call is a non-idempotent POST, and a pipelined call would wait behind a long stream and fail with it if the connection dropped. */
      pipelining: 1,
      /** Idle connections stay open this long: under any upstream's idle cut (nginx 75 s, cloud load balancers 60 s; servers that cut sooner say so in Keep-Alive, which is honoured), long enough that calls seconds apart skip a new TCP and TLS handshake (tens to hundreds of ms). */
      keepAliveTimeoutMs: 10_000,
      /** A TCP + TLS connect that takes longer is failing: retryable NETWORK_ERROR, so the retry or fallback moves on instead of waiting out the attempt timeout. */
      connectTimeoutMs: 10_000,
    },
  },
  store: {
    /** Embedded default: one SQLite file next to where the process runs. */
    sqlitePath: './.sextant/sextant.db',
    /** Postgres connections per process: enough for a 2-core replica without starving the server. */
    postgresPoolSize: 10,
    /**
     * A run's checkpoint is rewritten as one snapshot once the step records saved since the last
     * snapshot add up to this many times its size. At r the snapshots form a geometric series: over
     * a run they cost about (1 + r) / r times the state, so a save stays proportional to what its
     * step changed, and a load reads at most about 1 + r times the state. At 4: 1.25× written, 5×
     * read (a save happens every step, a load only on resume). A fixed count of records would
     * instead make a long run's snapshots, each O(run), O(n²).
     */
    checkpointSnapshotRatio: 4,
  },
  trace: {
    /** Spans buffered per priority class before sampling: ~10 s of a busy agent at 1,000 spans/s, a few MB at most. */
    queueSize: 10_000,
    /** Above this fill ratio, ordinary spans (model, tool, check) are sampled; run/step ends and errors never are. */
    sampleAboveRatio: 0.5,
    /** Spans written per flush at most: large enough to amortize the commit; writeSliceMs bounds each slice of it. */
    batchSize: 2_000,
    /** Longest one synchronous trace write may hold the event loop: a flush goes in slices of about this, with a turn between them, so a gateway's p99 does not carry a whole batch's commit (3.5 ms at 500 req/s). */
    writeSliceMs: 1,
    /** Longest an ordinary finished span waits before it is written (the periodic flush). */
    flushIntervalMs: 200,
    /** Longest a finished step waits before it is written: a killed process loses at most this much of its run, and a fast agent shares one transaction over many steps instead of paying a commit per step. */
    stepFlushMs: 50,
    /** How often a running trace says its process is alive; a crashed run is found by a dead pid or a stale heartbeat. */
    heartbeatMs: 5_000,
    /** A running trace silent for this long (6 heartbeats) belongs to a dead process, even on another host. */
    staleAfterMs: 30_000,
    /** Finished traces older than this are pruned: a month covers incident reviews and regression picking. */
    retentionMaxAgeMs: 30 * 24 * 60 * 60_000,
    /** Stored span JSON kept at most (oldest traces pruned first): 1 GiB fits any laptop and holds ~1M spans. */
    retentionMaxBytes: 1024 * 1024 * 1024,
    /** How often the retention job prunes: hourly is cheap and keeps the store near its bounds. */
    retentionIntervalMs: 60 * 60_000,
    /** Traces `sextant traces` lists when no --limit is given: one screen. */
    listLimit: 50,
    /** Characters of a tool input/output or message `sextant explain` shows before trimming. */
    explainTrimChars: 300,
  },
  gateway: {
    /** 8787: free on most machines, easy to remember, and not a port other local dev servers claim by default. */
    port: 8787,
    /** Loopback only: a gateway holding provider keys must be exposed on purpose (`--host 0.0.0.0`), never by accident. */
    host: '127.0.0.1',
    /** Request bodies above 8 MiB get a 413: a long context with a few inline images fits; more is a mistake or an attack. */
    bodyLimitBytes: 8 * 1024 * 1024,
    /** On shutdown, in-flight requests (long streams included) get this long to finish before their connections are cut. */
    shutdownDrainMs: 30_000,
    /** A session's in-memory state (loop detector) is dropped after this idle time: agents rarely pause longer mid-task. */
    sessionIdleMs: 30 * 60_000,
    /** Sessions tracked at once; the least recently used is dropped beyond it, bounding memory under many clients. */
    maxSessions: 10_000,
    /** Rows per page in the admin API and dashboard: enough to scan, small enough to render instantly. */
    adminPageSize: 50,
    /** A request's trace start and end are written within this, batched with others' in one transaction (not one per event-loop turn: at 500 req/s that was ~13% of the gateway's CPU); a crash loses at most this much of the latest requests' traces. */
    traceFlushMs: 50,
  },
  pipeline: {
    retry: {
      /** Attempts per target, the first included: the OpenAI and Anthropic SDKs also default to 2 retries; a third retry rarely beats falling back. */
      maxAttempts: 3,
      /** First backoff step: 0.5 s lets a brief upstream blip (a deploy, a reset connection) clear without stalling the caller. */
      baseDelayMs: 500,
      /** Backoff never grows past this: waiting longer than 8 s per step is better spent on a fallback target. */
      maxDelayMs: 8_000,
      /** A Retry-After longer than this is not waited for: the error goes up so fallback (or the caller) can act now. */
      maxRetryAfterMs: 30_000,
    },
    timeout: {
      /** Whole call, retries, waits and fallbacks included: matches the agent's per-run wall clock, beyond which nobody is waiting. */
      totalMs: 300_000,
      /** One non-streamed attempt: a slow reasoning model writing a few thousand tokens takes 1-2 minutes; longer is a stuck upstream. */
      attemptMs: 120_000,
      /** Stream attempt, from the request to the first event after `start`: covers reasoning models that think before the first token. */
      streamFirstEventMs: 60_000,
      /** Stream attempt, longest silence between two events once output flows: tokens come every few ms, 30 s of nothing is a dead connection. */
      streamIdleMs: 30_000,
    },
    breaker: {
      /** Consecutive failures that open a target's circuit: 5 in a row is an outage, not bad luck. */
      failureThreshold: 5,
      /** Failure share in the window that opens the circuit (with at least `minimumCalls`): half the calls failing is a sick upstream. */
      failureRate: 0.5,
      /** Calls in the window before the failure rate counts: fewer is too noisy to judge an upstream. */
      minimumCalls: 10,
      /** Window over which the failure rate is measured: a minute reacts quickly yet smooths over single bursts. */
      windowMs: 60_000,
      /** Time an open circuit stays open before one probe is let through: long enough for most provider incidents' first recovery. */
      coolDownMs: 30_000,
      /** Probes let through at once while half-open: one tells whether the upstream is back without loading it. */
      halfOpenProbes: 1,
    },
    /** Output tokens assumed (for the budget reservation) when a request sets no maxTokens: a long answer; most are far shorter. */
    defaultMaxOutputTokens: 4_096,
    /** Context window assumed for a model not in the table: local servers (Ollama, llama.cpp) often run 8k; too small only trims history early. */
    unknownModelContextWindow: 8_192,
    /** Characters of text whose token counts are memoized per encoding (~2 bytes each): a few hundred conversations' resent history. */
    tokenCountMemoChars: 4_000_000,
    /** Longest one slice of loading the tokenizer holds the event loop (a load is a few hundred ms of CPU in all): requests in flight wait at most about this for it. */
    tokenizerLoadSliceMs: 4,
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
    /** Waits between a tool's retries (exponential backoff with jitter); shorter than the model pipeline's, since the whole step waits for every tool result. */
    toolRetry: {
      /** First backoff step: a reset connection or a busy API usually clears within a few hundred ms. */
      baseDelayMs: 250,
      /** Backoff never grows past this: a tool still failing after 4 s waits is better reported to the model, which can try another way. */
      maxDelayMs: 4_000,
      /** A `retryAfterMs` longer than this is not waited for: the error goes back to the model now, as the pipeline does with a long Retry-After. */
      maxRetryAfterMs: 30_000,
    },
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
      /**
       * `summarize` compacts down to this share of the input budget, not just under it: the room
       * left lets one summary serve many turns (compacting to just under the limit summarized on
       * almost every call: 391 summaries for 400 calls in bench/agent-loop.ts). Tool results of
       * answered turns are masked first, so the recent turns kept are small; a quarter leaves three
       * quarters of the window to grow into (0.098 summaries per call there; a half gave 0.12).
       */
      summarizeToShare: 0.25,
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
    precheck: {
      /** An answer's words must all occur within this many consecutive sentences of one document to count as clearly supported. */
      windowSentences: 2,
      /** Share of the question's terms the answer's sentences must hold to count as clearly supported (tuned on half of HaluEval-QA, checked on the other half). */
      minQuestionFocus: 0.5,
    },
    sandbox: {
      /** Wall-clock limit: the child process is killed past it, whatever the code does. */
      timeoutMs: 5_000,
      /** CPU budget inside QuickJS (interrupt handler); below the wall clock so a busy loop ends with a clear error first. */
      cpuTimeMs: 3_000,
      /** QuickJS heap: generated snippets and their tests need a few MB; 32 MB stops a memory bomb within about a second (WebAssembly growth is slow). */
      memoryBytes: 32 * 1024 * 1024,
      /** QuickJS stack: deep recursion ends in a stack-overflow error inside the sandbox, never in the host. */
      stackBytes: 512 * 1024,
      /** V8 heap of the child process (MB), a second wall behind the QuickJS limit. */
      childHeapMb: 192,
      /** Captured console output per run; past it the run stops (output_limit) and output is marked truncated. */
      maxOutputBytes: 64 * 1024,
      /** Python under bubblewrap: address-space limit (MB) set with ulimit -v. */
      pythonMemoryMb: 256,
      /** The once-per-process probes for Python and bubblewrap: a hung probe must not hang the first run; past it the sandbox counts as unavailable. */
      probeTimeoutMs: 5_000,
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
    /**
     * Cosine similarity a semantic candidate needs before verification. The rule verifier decides:
     * with its strict form, qqp-dev precision is 0.965 at 0.5 (recall 0.041), and a threshold calibrated
     * on either half holds 0.95 on the other (bench/cache.ts). Below 0.5 adds almost nothing; above 0.8
     * precision drops (mislabelled identical pairs sit there). `sextant cache calibrate` prints the curve.
     */
    threshold: 0.5,
    /**
     * The rule verifier's strict form is the default. The paraphrase-aware form serves 2.7x more
     * (qqp-dev recall 0.112 vs 0.041, precision 0.953 vs 0.965 on the whole file), but its precision
     * is 0.92 on one half of the file, so a threshold calibrated on one half misses 0.95 on the other;
     * the strict form holds 0.95 both ways. A wrong answer costs more than a miss: opt in per cache with
     * `createRuleVerifier({ paraphrases: true })` after `sextant cache calibrate --paraphrases` on your own pairs.
     */
    verifierParaphrases: false,
    /** Candidates verified per lookup: the best one may fail verification while the second passes. */
    topK: 3,
    /** Default entry lifetime: a day keeps answers fresh enough for most support/FAQ traffic. */
    ttlMs: 24 * 60 * 60 * 1000,
    /** In-process entries before eviction: 100k entries is ~0.4 GB with the built-in embedder (4.0 KB RSS per entry, 2.4 KB of it V8 heap and buffers, the rest the native HNSW graph; bench/cache.ts, fresh process per size). */
    maxEntries: 100_000,
    /** Bytes of cached answers (text and JSON) before eviction. */
    maxBytes: 256 * 1024 * 1024,
    /** LRU: recent questions are the likeliest to come back; LFU is available for stable FAQ traffic. */
    eviction: 'lru' as 'lru' | 'lfu',
    /** Past a limit, eviction frees down to this share of maxEntries and maxBytes at once, so it does not run again on every insert. */
    evictToShare: 0.95,
    /** No semantic lookup past this many user turns: deep into a conversation (or an agent loop) a similar question rarely wants the same answer. */
    maxTurns: 1,
    /** Answers that call tools are not cached by default: the tools' results may differ next time. */
    cacheToolCalls: false,
    /** Vectors per partition before HNSW replaces the exact scan: HNSW search was already 4x faster at 500 vectors (bench/cache.ts); below 1000 the scan is exact and cheap to build. */
    annThreshold: 1000,
    hnsw: {
      /** Links per node: 16 is hnswlib's recommended default for 100-1000 dimensions. */
      m: 16,
      /** Build-time beam: 200 gives >0.99 recall@10 at our sizes; a one-time cost per insert. */
      efConstruction: 200,
      /** Query-time beam: 64 keeps p50 well under a millisecond at 100k entries with near-exact recall. */
      efSearch: 64,
    },
    /** How often counters are written to the store, so `sextant cache stats` elsewhere sees them. */
    metricsFlushMs: 5000,
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
  security: {
    /** Random bytes per virtual key: 256 bits, so a fast hash (SHA-256) is safe to store and no key can be guessed. */
    keyBytes: 32,
    /** Scopes of a key created without any: every model on the chat and embeddings routes, never admin. */
    defaultScopes: ['models:*', 'routes:chat,embeddings'],
    /** Tenant of the admin key: a name no virtual key can take by accident (tenants are [A-Za-z0-9._-]). */
    adminTenant: '*',
    audit: {
      /** Longest a deferred entry (`key.used`) or a key's last-used time waits before it is written: a crash loses at most this much; a clean close loses nothing. */
      flushIntervalMs: 250,
      /** Deferred entries written per INSERT: 10 columns each stays under SQLite's 32,766 bound variables; a full batch is written at once. */
      maxBatch: 1_000,
    },
    pii: {
      /** Redaction before storage is on: traces and logs are where leaked personal data lives longest. */
      redactStored: true,
      /** Redaction before sending upstream is opt-in: placeholders can change answers that need the real value. */
      redactUpstream: false,
      /** Characters of recent texts whose scans are memoized (~2 bytes each): system prompts and resent history are scanned once. */
      scanMemoChars: 2_000_000,
    },
    injection: {
      /** Score at or above which untrusted text counts as an injection: one strong signal (an override or a role hijack) reaches it alone. */
      threshold: 0.6,
      /** Flag by default: blocking on a heuristic would break agents on the first false positive; strip and block are opt-in. */
      action: 'flag' as 'flag' | 'strip' | 'block',
      /** Base64 runs shorter than this are ids, hashes or words; longer ones are decoded and scanned too. */
      base64MinLength: 24,
      /** Evidence kept per finding, in characters: enough to read the match in a trace, short enough not to echo a payload. */
      evidenceChars: 80,
    },
    fetch: {
      /** Redirect hops followed (each re-checked): real sites need 1-3; more is a loop or an evasion. */
      maxRedirects: 5,
      /** Whole-request time limit: a page an agent needs arrives in seconds; a slow-loris target should not hold a tool. */
      timeoutMs: 10_000,
      /** Body size limit: 5 MiB holds any article or API answer; more would flood the model's context anyway. */
      maxBytes: 5 * 1024 * 1024,
    },
    scrape: {
      /** Readable text kept per page: about 5k tokens, enough to answer from, small enough for a context window. */
      maxTextChars: 20_000,
      /** Links kept per page, in document order. */
      maxLinks: 100,
    },
    sql: {
      /** Rows returned by sql_query: a model reads a few dozen rows well; more wastes tokens. The result says when it was cut. */
      rowLimit: 200,
      /** Statement timeout: an agent's lookup query answers in milliseconds; seconds mean a missing index or a runaway join. */
      timeoutMs: 5_000,
    },
  },
  budget: {
    /** A reservation not settled within this is released (a crashed process must not hold budget forever); longer than any sane stream. */
    reservationTtlMs: 15 * 60_000,
  },
  rateLimit: {
    /** rpm and tpm limits are per minute: the unit providers use, so limits can mirror upstream quotas. */
    windowMs: 60_000,
  },
  knowledge: {
    /** Characters per chunk: ~250 tokens, one help-center section or a few paragraphs; small enough that a passage stays on one topic. */
    maxChunkChars: 1000,
    /** Passages a retrieval returns: enough to cover a question that spans two sections, few enough to keep the prompt short. */
    topK: 4,
    /** Upper bound a caller (or a model) may ask for in one retrieval. */
    maxK: 10,
    /** Passages scoring below this are left out. A floor, not a filter: with the built-in embedder, off-topic queries still score 0.10-0.16 on the example help center (measured), so the checks judge the rest. */
    minScore: 0.1,
    /** Texts per embedder call while indexing: within every hosted embeddings API's batch limit. */
    embedBatchSize: 64,
  },
  mcp: {
    /** Starting an MCP server, its handshake and listing its tools: a local server (npx, uvx, node) is up in a few seconds even on a cold cache; one still silent after this is broken, and the agent should not wait on it. */
    connectTimeoutMs: 30_000,
    /** Characters of a stdio server's stderr kept for the error when it fails: the end of a stack trace or a "missing token" line, not a log's worth. */
    stderrTailChars: 2_000,
    /** close() waits this long for a stdio server's process to be gone: the SDK ends it with end of stdin, SIGTERM 2 s later, SIGKILL 2 s after that; the margin covers the kill, and the bound keeps a grandchild that holds the pipes open (a server started through npx) from hanging close(). */
    closeWaitMs: 5_000,
  },
};

export type Defaults = typeof DEFAULTS;
