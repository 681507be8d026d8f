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

describe('migrations', () => {
  it('applies every migration once and is a no-op the second time', async () => {
    const all = await readMigrations();
    const rows = await queryRows<{ tag: string }>(
      t.db,
      sql`select tag from schema_migration order by tag`,
    );
    expect(rows.map((r) => r.tag)).toEqual(all.map((m) => m.tag));
    const again = await migrate(t.db);
    expect(again.applied).toEqual([]);
    expect(again.alreadyApplied).toBe(all.length);
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
