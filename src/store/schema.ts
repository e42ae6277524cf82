/**
 * The typed schema shared by SQLite and Postgres. Each feature adds its tables here as
 * it adds its migration. Conventions: timestamps are integer milliseconds since the epoch,
 * JSON documents are stored as text, ids are text.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface DatabaseSchema {}
