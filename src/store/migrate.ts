import { Migrator, type Kysely, type Migration, type MigrationProvider } from 'kysely';
import { SextantError } from '../errors.js';
import { migrations } from './migrations/index.js';

const provider: MigrationProvider = { getMigrations: async () => migrations as Record<string, Migration> };

/** Applies every pending migration, in name order, inside Kysely's migration lock. */
export async function migrateToLatest(db: Kysely<any>): Promise<void> {
  const migrator = new Migrator({ db, provider, migrationTableName: 'sextant_migrations', migrationLockTableName: 'sextant_migrations_lock' });
  const { error, results } = await migrator.migrateToLatest();
  if (error) {
    const failed = results?.find((r) => r.status === 'Error')?.migrationName;
    throw new SextantError('STORE_ERROR', `Migration ${failed ?? ''} failed: ${(error as Error).message ?? error}`, { cause: error });
  }
}
