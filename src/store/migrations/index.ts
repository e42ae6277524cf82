import type { Migration } from 'kysely';
import { coreMigration } from './001-core.js';
import { cacheMigration } from './002-cache.js';
import { securityMigration } from './003-security.js';
import { knowledgeMigration } from './004-knowledge.js';
import { checkpointRecordsMigration } from './005-checkpoint-records.js';

/**
 * Every schema change, versioned by name (applied in name order, never edited once released).
 * Each feature owns its migration file; both SQL engines run the same migrations.
 */
export const migrations: Record<string, Migration> = {
  '001-core': coreMigration,
  '002-cache': cacheMigration,
  '003-security': securityMigration,
  '004-knowledge': knowledgeMigration,
  '005-checkpoint-records': checkpointRecordsMigration,
};
