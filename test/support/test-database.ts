import type { PGlite } from '@electric-sql/pglite';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { openDatabase, openPgliteMemory, usePglite, type Database } from '../../src/db/client.js';
import { migrate, readMigrations } from '../../src/db/migrate.js';

/**
 * A migrated, empty database in a schema of its own. PGlite (one instance per test worker) by
 * default; the PostgreSQL server at TEST_DATABASE_URL when that is set.
 */
export interface TestDatabase extends Database {
  readonly schema: string;
  /** Drops the schema and closes connections. */
  destroy(): Promise<void>;
}

export function assertTestDatabaseUrl(url: string): string {
  const name = decodeURIComponent(new URL(url).pathname.replace(/^\//, ''));
  if (!name.includes('test')) {
    throw new Error(
      `Refusing to run tests against database "${name}": its name must contain "test" (TEST_DATABASE_URL).`,
    );
  }
  return url;
}

const cache = globalThis as typeof globalThis & {
  __npqOpsPglite?: Promise<PGlite>;
  __npqOpsMigrationScript?: Promise<string>;
};

/**
 * The worker's PGlite, started as the app starts an in-memory one: from the build's pre-migrated
 * template when it is current (a few seconds instead of initdb's many), with the app's settings.
 * Tests never see the template's own tables: each works in a schema of its own, and that schema
 * alone is its search_path.
 */
function workerPglite(): Promise<PGlite> {
  cache.__npqOpsPglite ??= (async () => {
    const client = await openPgliteMemory();
    await client.waitReady;
    return client;
  })();
  return cache.__npqOpsPglite;
}

/**
 * Every migration as ONE script, read once per test worker: the statements `migrate()` runs, in
 * its order, then the `schema_migration` rows it writes. Sent in one round trip instead of one per
 * statement (there are over 300), which made migrating each file's schema the largest fixed cost
 * of a test file. The simple query protocol runs a multi-statement script as one transaction, as
 * `migrate()` does. test/db/migrations.test.ts checks that a schema made this way and one made by
 * `migrate()` have the same tables, columns, constraints, indexes, triggers, functions and rows.
 */
export function migrationScript(): Promise<string> {
  cache.__npqOpsMigrationScript ??= (async () => {
    const migrations = await readMigrations();
    // Each statement on lines of its own, so a trailing comment cannot swallow the separator.
    const statements = migrations.flatMap((m) => m.statements).map((s) => `${s}\n;`);
    const tags = migrations.map((m) => `('${m.tag.replaceAll("'", "''")}')`).join(', ');
    return [
      'create table if not exists schema_migration (tag text primary key, applied_at timestamptz not null default now());',
      ...statements,
      `insert into schema_migration (tag) values ${tags};`,
    ].join('\n');
  })();
  return cache.__npqOpsMigrationScript;
}

/**
 * `ownPglite`: on PGlite, a database with a PGlite instance of its own rather than the worker's
 * shared one, for a test that needs two databases at once (the shared instance is one session, so
 * two schemas on it would share one search_path). No effect on PostgreSQL.
 * `empty`: the schema with no migrations at all (for the tests of `migrate()` itself).
 * `migrationsDir`: migrated by `migrate()` from that directory instead (a test of one migration).
 */
export async function createTestDatabase(
  options: {
    ownPglite?: boolean;
    empty?: boolean;
    onQuery?: (statement: string) => void;
    /** Migrate from this directory (drizzle's layout) instead of the app's own migrations. */
    migrationsDir?: string;
  } = {},
): Promise<TestDatabase> {
  const schema = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = process.env.TEST_DATABASE_URL;
  const migrations = options.empty || options.migrationsDir ? '' : await migrationScript();
  let database: Database;
  if (url) {
    const admin = await openDatabase({
      databaseUrl: assertTestDatabaseUrl(url),
      maxConnections: 1,
    });
    // No parameters: node-postgres sends it with the simple query protocol, as one script.
    await admin.db.execute(
      sql.raw(`create schema ${schema}; set search_path to ${schema};\n${migrations}`),
    );
    await admin.close();
    database = await openDatabase({
      databaseUrl: url,
      schema,
      maxConnections: 5,
      // A throwaway schema: commits need not wait for the disk (see openDatabase).
      durableCommits: false,
      ...(options.onQuery ? { onQuery: options.onQuery } : {}),
    });
  } else {
    const client = options.ownPglite ? await openPgliteMemory() : await workerPglite();
    await client.exec(`create schema ${schema}; set search_path to ${schema};\n${migrations}`);
    database = await usePglite(client, schema, options.onQuery);
    if (options.ownPglite) database = { ...database, close: () => client.close() };
  }
  if (options.migrationsDir) await migrate(database.db, options.migrationsDir);
  return {
    ...database,
    schema,
    async destroy() {
      await database.db.execute(sql.raw(`drop schema ${schema} cascade`));
      await database.close();
    },
  };
}
