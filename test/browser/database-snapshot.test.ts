import type { PGlite } from '@electric-sql/pglite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openPgliteMemory, usePglite, type Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { DEFAULT_DEMO_NOW, seedDemo } from '../../src/db/seed/demo.js';
import { restoreSnapshot, takeSnapshot, type Snapshot } from './database-snapshot.js';

let client: PGlite;
let database: Database;
let seeded: Snapshot;
beforeAll(async () => {
  client = await openPgliteMemory();
  database = await usePglite(client);
  await migrate(database.db);
  await seedDemo(database.db, { participants: 6, withUsers: true, now: DEFAULT_DEMO_NOW });
  seeded = await takeSnapshot(client, 'snapshot_test');
});
afterAll(async () => {
  await client?.close();
});

/** Every row of every table in public, and every sequence's position, as one text per object. */
async function contents(): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const objects = await client.query<{ name: string; kind: string }>(
    `select c.relname as name, c.relkind as kind from pg_class c
       join pg_namespace n on n.oid = c.relnamespace
      where n.nspname = 'public' and c.relkind in ('r', 'S') order by 1`,
  );
  for (const { name, kind } of objects.rows) {
    const [row] = (
      await client.query<{ text: string | null }>(
        kind === 'S'
          ? `select last_value || ' ' || is_called as text from public."${name}"`
          : `select string_agg(t::text, E'\\n' order by t::text) as text from public."${name}" t`,
      )
    ).rows;
    out[name] = row?.text ?? '';
  }
  return out;
}

describe('a database snapshot for the browser journeys', () => {
  it('puts back rows, sequences and append-only tables after a file changed them', async () => {
    const before = await contents();
    expect(Number(before.participant?.split('\n').length)).toBe(6);
    // What a journey does: new rows (identity ids advance), changes, deletions, audit events
    // (append-only, with triggers), engagement (a trigger keeps a summary table), a setting.
    await client.exec(`
      update participant set full_name = 'Changed' where id = (select min(id) from participant);
      delete from engagement_record where id = (select min(id) from engagement_record);
      insert into audit_event (what, who, subject_type, subject_id) values ('test', 'test', 'participant', '1');
      set statement_timeout = 1234;
    `);
    const changed = await contents();
    expect(changed).not.toEqual(before);

    await restoreSnapshot(client, seeded);

    expect(await contents()).toEqual(before);
    const [setting] = (
      await client.query<{ t: string }>("select current_setting('statement_timeout') as t")
    ).rows;
    expect(setting?.t).toBe('0');
  });

  it('refuses a snapshot whose tables are not the ones in the database now', async () => {
    await client.exec('create table public.extra_table (id int)');
    await expect(restoreSnapshot(client, seeded)).rejects.toThrow(/no longer those/);
    await client.exec('drop table public.extra_table');
    await restoreSnapshot(client, seeded);
  });
});
