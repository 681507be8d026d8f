import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from './client.js';

/**
 * Applies drizzle-kit's SQL migrations, forward only. We run them ourselves rather than with
 * drizzle's migrator because drizzle-kit writes `"public".` into foreign keys, and tests run each
 * file in a schema of its own; stripping the qualifier lets the same SQL land in any schema.
 */
export const MIGRATIONS_DIR = fileURLToPath(new URL('../../drizzle/', import.meta.url));

interface JournalEntry {
  idx: number;
  tag: string;
}

export interface MigrationResult {
  applied: string[];
  alreadyApplied: number;
}

// Any fixed number works; it only has to be the same for every process migrating one database.
const MIGRATION_LOCK_KEY = 7_262_011;

/**
 * Read synchronously: a few dozen small files, read once at start-up. Read through fs/promises,
 * they waited behind the embedded database's file work in libuv's thread pool and held up every
 * start by 0.2–0.4 s (issue 13, session 13).
 */
export async function readMigrations(
  dir = MIGRATIONS_DIR,
): Promise<{ tag: string; statements: string[] }[]> {
  const journal = JSON.parse(readFileSync(path.join(dir, 'meta', '_journal.json'), 'utf8')) as {
    entries: JournalEntry[];
  };
  const entries = [...journal.entries].sort((a, b) => a.idx - b.idx);
  return entries.map((entry) => {
    const text = readFileSync(path.join(dir, `${entry.tag}.sql`), 'utf8');
    const statements = text
      .replaceAll('"public".', '')
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter((s) => s.length > 0);
    return { tag: entry.tag, statements };
  });
}

export async function migrate(db: Db, dir = MIGRATIONS_DIR): Promise<MigrationResult> {
  const migrations = await readMigrations(dir);
  return db.transaction(async (tx) => {
    // Two app instances starting together must not both apply the same migration.
    await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
    await tx.execute(sql`create table if not exists schema_migration (
      tag text primary key,
      applied_at timestamptz not null default now()
    )`);
    const done = new Set(
      (await queryRows<{ tag: string }>(tx, sql`select tag from schema_migration`)).map(
        (r) => r.tag,
      ),
    );
    const applied: string[] = [];
    for (const migration of migrations) {
      if (done.has(migration.tag)) continue;
      for (const statement of migration.statements) await tx.execute(sql.raw(statement));
      await tx.execute(sql`insert into schema_migration (tag) values (${migration.tag})`);
      applied.push(migration.tag);
    }
    return { applied, alreadyApplied: done.size };
  });
}
