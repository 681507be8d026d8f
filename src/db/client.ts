import { createHash } from 'node:crypto';
import { PGlite } from '@electric-sql/pglite';
import { sql, type SQL } from 'drizzle-orm';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { PgDialect, type PgDatabase, type PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { LRUCache } from 'lru-cache';
import pg from 'pg';
import * as schema from './schema.js';
import { copyTemplateInto, isEmptyDataDir, usableTemplate } from './pglite-template.js';

/** One query layer for both engines: code above src/db never knows which one it talks to. */
export type Db = PgDatabase<PgQueryResultHKT, typeof schema>;

export interface Database {
  readonly db: Db;
  readonly kind: 'pglite' | 'postgres';
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** A PostgreSQL server; when set, PGlite is not used. */
  databaseUrl?: string | undefined;
  /** PGlite's directory; omitted means in memory. */
  dataDir?: string | undefined;
  /** Work inside this schema (tests isolate themselves this way). */
  schema?: string | undefined;
  /** Pool size for PostgreSQL. */
  maxConnections?: number;
  /** Shown in pg_stat_activity, so operators (and the fault tests) can find this pool's sessions. */
  applicationName?: string;
  /**
   * Told about a connection lost outside any query (an idle client, or one held by a transaction
   * between its statements). The error is otherwise dropped: the query in flight fails on its own.
   */
  onConnectionError?: (error: Error) => void;
  /** Told the text of every statement sent (tests count the statements a request costs). */
  onQuery?: (statement: string) => void;
  /**
   * false: on PostgreSQL, a commit returns before its WAL reaches the disk
   * (`synchronous_commit=off`). Only for a throwaway test schema: what a commit does and who sees
   * it are unchanged, but a server crash could lose the last commits. Default true.
   */
  durableCommits?: boolean;
}

/** How long a request waits for a connection before it is told the service is unavailable. */
const CONNECT_TIMEOUT_MS = 5_000;

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export function assertSchemaName(name: string): string {
  if (!SCHEMA_NAME.test(name)) throw new Error(`Invalid schema name: ${name}`);
  return name;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<Database> {
  const schemaName = options.schema ? assertSchemaName(options.schema) : undefined;
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.maxConnections ?? 10,
      application_name: options.applicationName ?? 'npq-ops',
      connectionTimeoutMillis: CONNECT_TIMEOUT_MS,
      // Notices a dead peer (a failover that leaves no RST behind) instead of waiting for ever.
      keepAlive: true,
      // JIT compilation off: npq-ops's set-based queries run in milliseconds to a few seconds,
      // where compiling costs more than it saves (measured on the declarations-due query at
      // 100,000 participants: 4.6 s of JIT on top of a 4.9 s query).
      options: [
        '-c jit=off',
        ...(schemaName ? [`-c search_path=${schemaName}`] : []),
        ...(options.durableCommits === false ? ['-c synchronous_commit=off'] : []),
      ].join(' '),
    });
    const onError = (error: Error) => options.onConnectionError?.(error);
    // A pooled client losing its server emits 'error'. Idle, pg-pool handles it and tells the
    // pool; checked out (drizzle holds one for a whole transaction), nothing listens, and an
    // 'error' event nobody listens to kills the process. So every client gets a listener for its
    // whole life: the statement in flight fails with the error (the request answers 503), the pool
    // drops the broken client, and the next request gets a fresh connection.
    pool.on('connect', (client) => client.on('error', onError));
    // pg-pool also reports an idle client's error here; the client's own listener has logged it.
    pool.on('error', () => undefined);
    const db = drizzlePg({
      client: pool,
      schema,
      ...queryLogger(options.onQuery),
    }) as unknown as Db;
    return { db, kind: 'postgres', close: () => pool.end() };
  }
  const client = options.dataDir ? await openPgliteDir(options.dataDir) : await openPgliteMemory();
  const database = await usePglite(client, schemaName, options.onQuery);
  return { ...database, close: () => client.close() };
}

/**
 * A PGlite data directory; a new one starts from the build's pre-migrated template when there is a
 * current one (pglite-template.ts), which saves initdb and the migrations on a first start.
 */
async function openPgliteDir(dataDir: string): Promise<PGlite> {
  // Copied from the template's directory when there is one; else unpacked from its tarball.
  const empty = isEmptyDataDir(dataDir) && !(await copyTemplateInto(dataDir));
  const template = empty ? await usableTemplate() : undefined;
  return new PGlite(dataDir, {
    ...(template ? { loadDataDir: template } : {}),
    startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS],
  });
}

/**
 * An in-memory PGlite (the browser journeys, the benches, each integration test worker): also from
 * the template when there is a current one. initdb took 25.5 s and loading the template 8.0 s on a
 * busy 2-core machine, for each browser test file.
 */
export async function openPgliteMemory(): Promise<PGlite> {
  const template = await usableTemplate();
  return new PGlite({
    ...(template ? { loadDataDir: template } : {}),
    startParams: [...PGlite.defaultStartParams, ...EMBEDDED_SETTINGS],
  });
}

/**
 * PostgreSQL's default 128 MB of shared buffers is zeroed at every start, a third of the time
 * PGlite takes to open; the embedded database is small and its files sit in the OS page cache.
 */
const EMBEDDED_SETTINGS = ['-c', 'shared_buffers=32MB'];

/** Wrap a PGlite instance the caller owns (tests share one per worker); close() leaves it open. */
export async function usePglite(
  client: PGlite,
  schemaName?: string,
  onQuery?: (statement: string) => void,
): Promise<Database> {
  await client.waitReady;
  if (schemaName) await client.exec(`SET search_path TO ${assertSchemaName(schemaName)}`);
  const db = drizzlePglite({ client, schema, ...queryLogger(onQuery) }) as unknown as Db;
  return { db, kind: 'pglite', close: async () => undefined };
}

function queryLogger(onQuery: ((statement: string) => void) | undefined) {
  return onQuery ? { logger: { logQuery: (statement: string) => onQuery(statement) } } : {};
}

/**
 * A JS array as ONE query parameter (for `= any(...)` and `unnest(...)`). Interpolated directly,
 * drizzle would expand an array into a list of parameters instead.
 */
export function arrayParam<T>(values: readonly T[]): SQL {
  return sql`${sql.param(values)}`;
}

/** Run raw SQL and get its rows, whichever engine is underneath. */
export async function queryRows<T>(db: Pick<Db, 'execute'>, query: SQL): Promise<T[]> {
  const result = (await db.execute(query)) as unknown as { rows: T[] };
  return result.rows;
}

const dialect = new PgDialect();

/**
 * queryRows for a statement run on every request of a hot path: sent as a named statement (its
 * name a digest of its text), which on a PostgreSQL server each connection parses and plans once
 * and then only binds and runs (issue 13: on the engagement API, planning cost more than running).
 * The same text always has the same name, so a statement whose text varies (by role, say) is one
 * prepared statement per variant. On PGlite it is queryRows.
 */
export async function queryRowsPrepared<T>(db: Pick<Db, '_'>, query: SQL): Promise<T[]> {
  const result = (await prepareNamed(db, query).execute()) as { rows: T[] };
  return result.rows;
}

function prepareNamed(db: Pick<Db, '_'>, query: SQL) {
  const built = dialect.sqlToQuery(query);
  const name = `npq_${createHash('sha1').update(built.sql).digest('hex').slice(0, 24)}`;
  return db._.session.prepareQuery(built, undefined, name, false);
}

/**
 * Named statements built once per key and kept (at most `limit` per database, the least recently
 * used dropped),
 * run with the values of their placeholders (`sql.placeholder(name)`): for the hottest reads, where
 * building the SQL text and naming it cost as much as the database's work. The key must say
 * everything the built text and its fixed parameters depend on (the actor, say); what varies per
 * request goes in placeholders.
 */
export function keptStatements<V extends Record<string, unknown>>(limit = 1_000) {
  const byDb = new WeakMap<object, LRUCache<string, ReturnType<typeof prepareNamed>>>();
  return async function run<T>(
    db: Pick<Db, '_'>,
    key: string,
    build: () => SQL,
    values: V,
  ): Promise<T[]> {
    let kept = byDb.get(db);
    if (!kept) byDb.set(db, (kept = new LRUCache({ max: limit })));
    let statement = kept.get(key);
    if (!statement) kept.set(key, (statement = prepareNamed(db, build())));
    const result = (await statement.execute(values)) as { rows: T[] };
    return result.rows;
  };
}

export async function ping(db: Db): Promise<void> {
  await db.execute(sql`select 1`);
}
