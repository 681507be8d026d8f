import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { migrate, readMigrations } from '../../src/db/migrate.js';
import {
  assertTestDatabaseUrl,
  createTestDatabase,
  type TestDatabase,
} from '../support/test-database.js';

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.destroy();
});

/**
 * The catalogue of one schema as text: its relations, columns, constraints, indexes, triggers,
 * functions and sequences, and every table's rows (schema_migration's tags only, and the time the
 * migrations ran masked). The schema's own name is replaced, so two schemas can be compared.
 */
async function schemaFingerprint(db: TestDatabase['db'], schema: string): Promise<string[]> {
  const lines = async (query: ReturnType<typeof sql>) =>
    (await queryRows<{ line: string }>(db, query)).map((r) => r.line.replaceAll(schema, 'S'));
  const found = [
    ...(await lines(sql`select c.relkind::text || ' ' || c.relname as line from pg_class c
      join pg_namespace n on n.oid = c.relnamespace where n.nspname = ${schema} order by 1`)),
    ...(await lines(sql`select c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
        || ' notnull=' || a.attnotnull || ' identity=' || a.attidentity::text || ' generated=' || a.attgenerated::text
        || ' default=' || coalesce(pg_get_expr(d.adbin, d.adrelid), '') || ' #' || a.attnum as line
      from pg_attribute a join pg_class c on c.oid = a.attrelid
      join pg_namespace n on n.oid = c.relnamespace
      left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
      where n.nspname = ${schema} and c.relkind in ('r', 'p', 'v') and a.attnum > 0 and not a.attisdropped
      order by 1`)),
    ...(await lines(sql`select conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(c.oid) as line
      from pg_constraint c join pg_namespace n on n.oid = c.connamespace
      where n.nspname = ${schema} order by 1`)),
    ...(await lines(
      sql`select indexdef as line from pg_indexes where schemaname = ${schema} order by 1`,
    )),
    ...(await lines(sql`select pg_get_triggerdef(t.oid) as line from pg_trigger t
      join pg_class c on c.oid = t.tgrelid join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = ${schema} and not t.tgisinternal order by 1`)),
    ...(await lines(sql`select pg_get_functiondef(p.oid) as line from pg_proc p
      join pg_namespace n on n.oid = p.pronamespace where n.nspname = ${schema} order by 1`)),
    ...(await lines(sql`select sequencename || ' ' || start_value || ' ' || increment_by || ' '
        || min_value || ' ' || max_value || ' ' || cycle || ' ' || coalesce(last_value::text, 'unused') as line
      from pg_sequences where schemaname = ${schema} order by 1`)),
  ];
  // Rows the migrations insert are stamped now(): the time of the migrating transaction, which is
  // schema_migration's applied_at.
  const [migrated] = await queryRows<{ at: string }>(
    db,
    sql`select applied_at::text as at from schema_migration group by applied_at`,
  );
  const tables = await queryRows<{ name: string }>(
    db,
    sql`select tablename as name from pg_tables where schemaname = ${schema} order by 1`,
  );
  for (const { name } of tables) {
    const rows =
      name === 'schema_migration'
        ? sql.raw(`select tag as line from schema_migration order by 1`)
        : sql.raw(`select r::text as line from "${name}" r order by 1`);
    found.push(
      ...(await lines(rows)).map((line) => `${name}: ${line.replaceAll(migrated!.at, 'MIGRATED')}`),
    );
  }
  return found;
}

describe('migrations', () => {
  it('applies every migration once to an empty schema and is a no-op the second time', async () => {
    const empty = await createTestDatabase({ empty: true, ownPglite: true });
    try {
      const all = await readMigrations();
      const first = await migrate(empty.db);
      expect(first).toEqual({ applied: all.map((m) => m.tag), alreadyApplied: 0 });
      const again = await migrate(empty.db);
      expect(again).toEqual({ applied: [], alreadyApplied: all.length });
    } finally {
      await empty.destroy();
    }
  });

  it('gives a test database (the migrations sent as one script) exactly what migrate() gives', async () => {
    const byMigrate = await createTestDatabase({ empty: true, ownPglite: true });
    try {
      await migrate(byMigrate.db);
      const expected = await schemaFingerprint(byMigrate.db, byMigrate.schema);
      // Not a trivial comparison: the migrations make dozens of tables, a trigger and a function.
      expect(expected.filter((l) => l.startsWith('r ')).length).toBeGreaterThan(30);
      expect(expected.some((l) => l.startsWith('CREATE TRIGGER'))).toBe(true);
      expect(await schemaFingerprint(t.db, t.schema)).toEqual(expected);
    } finally {
      await byMigrate.destroy();
    }
  });

  it('creates the tables inside the test schema, not in public', async () => {
    const rows = await queryRows<{ table_schema: string }>(
      t.db,
      sql`select table_schema from information_schema.tables where table_name = 'participant'`,
    );
    expect(rows.map((r) => r.table_schema)).toContain(t.schema);
  });

  it('keeps the audit trail append-only', async () => {
    await t.db.execute(
      sql`insert into audit_event (what, who, subject_type, subject_id) values ('TEST_EVENT', 'system', 'test', '1')`,
    );
    await expect(t.db.execute(sql`update audit_event set what = 'CHANGED'`)).rejects.toThrow();
    await expect(t.db.execute(sql`delete from audit_event`)).rejects.toThrow();
    const rows = await queryRows<{ what: string }>(t.db, sql`select what from audit_event`);
    expect(rows).toEqual([{ what: 'TEST_EVENT' }]);
  });

  it('enforces vocabularies and shapes with constraints', async () => {
    await expect(
      t.db.execute(
        sql`insert into participant (trn, full_name, email, funding_route) values ('1234567', 'A', 'a@example.test', 'lottery')`,
      ),
    ).rejects.toThrow();
    await expect(
      t.db.execute(
        sql`insert into participant (full_name, email, funding_route) values ('A', 'a@example.test', 'self')`,
      ),
    ).rejects.toThrow();
  });
});

describe('test database guard', () => {
  it('refuses a database whose name does not contain "test"', () => {
    expect(() => assertTestDatabaseUrl('postgres://localhost:5432/production')).toThrow(
      /must contain "test"/,
    );
    expect(assertTestDatabaseUrl('postgres://localhost:5432/npq_test')).toContain('npq_test');
  });
});
