import type { PGlite } from '@electric-sql/pglite';

/**
 * A copy of every table in the `public` schema and of every sequence's position, kept in a schema
 * of its own in the same database, so the tables can be put back exactly as they were.
 *
 * The browser journeys use it to start each test file from the seeded demo without opening,
 * migrating and seeding a new database: a worker opens one database, and each file first puts its
 * tables and sequences back to the snapshot. Rows are copied with triggers and foreign-key checks
 * off (`session_replication_role = replica`): the copy is of a state the triggers already made, and
 * audit_event's append-only triggers would refuse the TRUNCATE.
 */
export interface Snapshot {
  schema: string;
  tables: { name: string; columns: string[] }[];
  sequences: { name: string; lastValue: string; isCalled: boolean }[];
}

const quote = (name: string) => `"${name.replaceAll('"', '""')}"`;

export async function takeSnapshot(client: PGlite, schema: string): Promise<Snapshot> {
  const tables = await publicTables(client);
  const sequences: Snapshot['sequences'] = [];
  for (const { name } of (
    await client.query<{ name: string }>(
      `select c.relname as name from pg_class c join pg_namespace n on n.oid = c.relnamespace
        where n.nspname = 'public' and c.relkind = 'S' order by 1`,
    )
  ).rows) {
    const [row] = (
      await client.query<{ last_value: string; is_called: boolean }>(
        `select last_value::text, is_called from public.${quote(name)}`,
      )
    ).rows;
    sequences.push({ name, lastValue: row!.last_value, isCalled: row!.is_called });
  }
  await client.exec(
    [
      `drop schema if exists ${quote(schema)} cascade`,
      `create schema ${quote(schema)}`,
      ...tables.map(
        ({ name }) => `create table ${quote(schema)}.${quote(name)} as table public.${quote(name)}`,
      ),
    ].join(';\n'),
  );
  return { schema, tables, sequences };
}

export async function restoreSnapshot(client: PGlite, snapshot: Snapshot): Promise<void> {
  // Nothing else may be under way: a file that failed half-way could have left a transaction open.
  if (client.isInTransaction()) await client.exec('rollback');
  // Session state a file could have left behind: settings, prepared statements, advisory locks,
  // temporary tables, LISTENs.
  await client.exec('discard all');
  const current = await publicTables(client);
  const same =
    JSON.stringify(current.map((t) => [t.name, t.columns])) ===
    JSON.stringify(snapshot.tables.map((t) => [t.name, t.columns]));
  if (!same) throw new Error(`The tables are no longer those of snapshot ${snapshot.schema}`);
  const s = quote(snapshot.schema);
  await client.exec(
    [
      'begin',
      'set local session_replication_role = replica',
      `truncate ${snapshot.tables.map(({ name }) => `public.${quote(name)}`).join(', ')}`,
      ...snapshot.tables.map(({ name, columns }) => {
        const list = columns.map(quote).join(', ');
        return `insert into public.${quote(name)} (${list}) overriding system value select ${list} from ${s}.${quote(name)}`;
      }),
      ...snapshot.sequences.map(
        ({ name, lastValue, isCalled }) =>
          `select setval('public.${quote(name)}', ${BigInt(lastValue)}, ${isCalled})`,
      ),
      'commit',
    ].join(';\n'),
  );
}

/** Every ordinary table in `public` with its columns, leaving out generated ones. */
async function publicTables(client: PGlite): Promise<Snapshot['tables']> {
  const rows = (
    await client.query<{ name: string; columns: string[] }>(
      `select c.relname as name, array_agg(a.attname::text order by a.attnum) as columns
         from pg_class c
         join pg_namespace n on n.oid = c.relnamespace
         join pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
        where n.nspname = 'public' and c.relkind in ('r', 'p') and not c.relispartition
          and a.attgenerated = ''
        group by c.relname
        order by c.relname`,
    )
  ).rows;
  return rows.map((r) => ({ name: r.name, columns: r.columns }));
}
