import { PGlite } from '@electric-sql/pglite';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { openDatabase, usePglite, type Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';

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

const cache = globalThis as typeof globalThis & { __npqOpsPglite?: Promise<PGlite> };

function workerPglite(): Promise<PGlite> {
  cache.__npqOpsPglite ??= (async () => {
    const client = new PGlite();
    await client.waitReady;
    return client;
  })();
  return cache.__npqOpsPglite;
}

/**
 * `ownPglite`: on PGlite, a database with a PGlite instance of its own rather than the worker's
 * shared one, for a test that needs two databases at once (the shared instance is one session, so
 * two schemas on it would share one search_path). No effect on PostgreSQL.
 */
export async function createTestDatabase(
  options: {
    ownPglite?: boolean;
    onQuery?: (statement: string) => void;
    /** Migrate from this directory (drizzle's layout) instead of the app's own migrations. */
    migrationsDir?: string;
  } = {},
): Promise<TestDatabase> {
  const schema = `t_${process.pid}_${randomBytes(4).toString('hex')}`;
  const url = process.env.TEST_DATABASE_URL;
  let database: Database;
  if (url) {
    const admin = await openDatabase({
      databaseUrl: assertTestDatabaseUrl(url),
      maxConnections: 1,
    });
    await admin.db.execute(sql.raw(`create schema ${schema}`));
    await admin.close();
    database = await openDatabase({
      databaseUrl: url,
      schema,
      maxConnections: 5,
      ...(options.onQuery ? { onQuery: options.onQuery } : {}),
    });
  } else {
    const client = options.ownPglite ? new PGlite() : await workerPglite();
    await client.exec(`create schema ${schema}`);
    database = await usePglite(client, schema, options.onQuery);
    if (options.ownPglite) database = { ...database, close: () => client.close() };
  }
  await migrate(database.db, options.migrationsDir);
  return {
    ...database,
    schema,
    async destroy() {
      await database.db.execute(sql.raw(`drop schema ${schema} cascade`));
      await database.close();
    },
  };
}
