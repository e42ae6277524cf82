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
};

export type Defaults = typeof DEFAULTS;
