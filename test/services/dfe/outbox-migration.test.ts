import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import {
  openDatabase,
  openPgliteMemory,
  queryRows,
  usePglite,
  type Database,
} from '../../../src/db/client.js';
import { migrate, MIGRATIONS_DIR } from '../../../src/db/migrate.js';
import { assertTestDatabaseUrl } from '../../support/test-database.js';

// The migration that makes one DfE outbox moves every application decision from
// dfe_application_action into dfe_outbox with its state, in order, and opens a staff task for each
// refused or failed one; the old table is gone.
const schema = `m_${process.pid}_${randomBytes(4).toString('hex')}`;
let database: Database;
let before: string;

beforeAll(async () => {
  const url = process.env.TEST_DATABASE_URL;
  if (url) {
    const admin = await openDatabase({
      databaseUrl: assertTestDatabaseUrl(url),
      maxConnections: 1,
    });
    await admin.db.execute(sql.raw(`create schema ${schema}`));
    await admin.close();
    database = await openDatabase({ databaseUrl: url, schema, maxConnections: 2 });
  } else {
    // From the build's template, as the app's in-memory database starts (not initdb, several times
    // slower); the migrations under test run in a schema of their own.
    const client = await openPgliteMemory();
    await client.exec(`create schema ${schema}`);
    // Its own instance, so closing the database closes it.
    database = { ...(await usePglite(client, schema)), close: () => client.close() };
  }
  // The migrations as they were before this one.
  before = await mkdtemp(path.join(tmpdir(), 'npq-migrations-'));
  await cp(MIGRATIONS_DIR, before, { recursive: true });
  const journalPath = path.join(before, 'meta', '_journal.json');
  const journal = JSON.parse(await readFile(journalPath, 'utf8')) as { entries: { tag: string }[] };
  // Everything before 0015 only: later migrations may change what 0015 made.
  const at = journal.entries.findIndex((e) => e.tag === '0015_dfe_one_outbox');
  expect(at).toBeGreaterThan(0);
  journal.entries = journal.entries.slice(0, at);
  await writeFile(journalPath, JSON.stringify(journal));
});
afterAll(async () => {
  await database?.db.execute(sql.raw(`drop schema ${schema} cascade`));
  await database?.close();
  if (before) await rm(before, { recursive: true, force: true });
});

describe('migration 0015: one DfE outbox', () => {
  it('moves the application decisions with their state and opens staff tasks for refusals', async () => {
    const { db } = database;
    await migrate(db, before);
    await db.execute(
      sql`insert into dfe_application (dfe_id, dfe_participant_id, dfe_status, course_identifier, cohort_year,
            full_name, eligible_for_funding, trn_validated, dfe_updated_at, attributes, first_pulled_at, last_pulled_at, decision)
          values ('3fa85f64-5717-4562-b3fc-2c963f66afa6', '7a8fef46-3c43-42c0-b3d5-1ba5904ba562', 'pending',
                  'npq-headship', 2026, 'Test Person', true, true, now(), '{}'::jsonb, now(), now(), 'accepted')`,
    );
    await db.execute(
      sql`insert into dfe_application_action (application_id, action, body, status, attempts, next_attempt_at, claimed_at, last_error, created_by, sent_at)
          values (1, 'accept', '{"data":{"type":"npq-application-accept","attributes":{"funded_place":true}}}'::jsonb,
                  'sent', 1, '2026-03-01T09:00:00Z', null, null, 'user:1', '2026-03-01T09:00:01Z'),
                 (1, 'change_funded_place', '{"data":{"type":"npq-application-change-funded-place","attributes":{"funded_place":false}}}'::jsonb,
                  'failed', 1, '2026-03-02T09:00:00Z', null, '422: funded_place: not allowed', 'user:1', null),
                 (1, 'change_funded_place', '{"data":{"type":"npq-application-change-funded-place","attributes":{"funded_place":true}}}'::jsonb,
                  'sending', 2, '2026-03-03T09:00:00Z', '2026-03-03T09:00:00Z', 'The DfE answered 503', 'user:1', null)`,
    );
    await migrate(db);
    const rows = await queryRows<Record<string, unknown>>(
      db,
      sql`select request_key, action, application_id, enrolment_id, attributes, status, attempts, last_error,
                 created_by, to_char(next_attempt_at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS') as next from dfe_outbox order by id`,
    );
    expect(rows.map((r) => [r.action, r.status, r.attributes, r.attempts])).toEqual([
      ['accept', 'sent', { funded_place: true }, 1],
      ['change_funded_place', 'refused', { funded_place: false }, 1],
      ['change_funded_place', 'sending', { funded_place: true }, 2],
    ]);
    expect(rows.every((r) => r.application_id === 1 && r.enrolment_id === null)).toBe(true);
    // A claim in flight keeps a lease from its claim: reconciled with the DfE before any resend.
    expect(String(rows[2]!.next)).toMatch(/^2026-03-03 09:10:00/);
    const tasks = await queryRows<{ kind: string; enrolment_id: number | null }>(
      db,
      sql`select kind, enrolment_id from staff_task`,
    );
    expect(tasks).toEqual([{ kind: 'dfe_refused', enrolment_id: null }]);
    const old = await queryRows(
      db,
      sql`select 1 from information_schema.tables where table_name = 'dfe_application_action' and table_schema = ${schema}`,
    );
    expect(old).toEqual([]);
  });
});
