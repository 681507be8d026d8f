import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeFile, mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import {
  PARTICIPANT_CSV_COLUMNS,
  importParticipantRecords,
  importParticipantsCsv,
  readCsv,
} from '../../src/services/participant-import.js';
import { insertReferenceWorld } from '../support/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let t: TestDatabase;
let dir: string;
const today = '2025-11-03';
const publicUrl = 'https://npq.example';

beforeAll(async () => {
  t = await createTestDatabase();
  await insertReferenceWorld(t.db);
  dir = await mkdtemp(path.join(tmpdir(), 'npq-import-'));
});
afterAll(async () => {
  await t.destroy();
});
beforeEach(async () => {
  await t.db.execute(sql`delete from email_message`);
  await t.db.execute(sql`delete from account_link`);
  await t.db.execute(sql`delete from app_user`);
  await t.db.execute(sql`delete from enrolment`);
  await t.db.execute(sql`delete from participant_employment`);
  await t.db.execute(sql`delete from participant`);
});

const header = PARTICIPANT_CSV_COLUMNS.join(',');
const good = (
  n: number,
  overrides: Partial<Record<(typeof PARTICIPANT_CSV_COLUMNS)[number], string>> = {},
) => {
  const row = {
    trn: String(2000000 + n),
    dfe_registration_id: '',
    full_name: `Teacher ${n}`,
    email: `teacher${n}@school.test`,
    school_urn: '100001',
    funding_route: 'dfe_scholarship',
    working_pattern: 'full_time',
    part_time_fraction: '',
    dfe_registration_confirmed: 'yes',
    employment_confirmed: 'yes',
    course_identifier: 'npq-headship',
    cohort_year: '2025',
    delivery_partner: 'north',
    ...overrides,
  };
  return PARTICIPANT_CSV_COLUMNS.map((c) => row[c]).join(',');
};

async function counts() {
  const [row] = await queryRows<{ participants: number; enrolments: number; employments: number }>(
    t.db,
    sql`select (select count(*)::int from participant) as participants,
               (select count(*)::int from enrolment) as enrolments,
               (select count(*)::int from participant_employment) as employments`,
  );
  return row;
}

describe('import participants from CSV', () => {
  it('writes good rows, reports each bad row by line and field, and writes nothing for a bad row', async () => {
    const file = path.join(dir, 'mixed.csv');
    await writeFile(
      file,
      [
        header,
        good(1),
        good(2, { trn: '12345', email: 'not-an-email' }),
        good(3, {
          working_pattern: 'part_time',
          part_time_fraction: '0.6',
          funding_route: 'school',
        }),
        good(4, { school_urn: '999999' }),
        good(5, { trn: '', dfe_registration_id: 'REG-5' }),
        good(6, { trn: String(2000001) }),
        good(7, { course_identifier: 'npq-senco', cohort_year: '2024' }),
        good(8, { working_pattern: 'part_time' }),
      ].join('\n') + '\n',
    );
    const summary = await importParticipantsCsv(t.db, file, { today, publicUrl });
    expect(summary).toMatchObject({ rows: 8, created: 3, enrolled: 3, unchanged: 0 });
    expect(summary.errors).toEqual([
      { line: 3, field: 'trn', message: 'TRN must be 7 digits' },
      { line: 3, field: 'email', message: 'Enter an email address in the correct format' },
      { line: 5, field: 'school_urn', message: 'No school with URN 999999' },
      { line: 7, field: 'trn', message: 'Same trn as line 2' },
      { line: 8, field: 'cohort_year', message: 'No npq-senco cohort in 2024' },
      { line: 9, field: 'part_time_fraction', message: 'Enter the part-time fraction' },
    ]);
    expect(await counts()).toEqual({ participants: 3, enrolments: 3, employments: 3 });
    const partTime = await queryRows<{
      working_pattern: string;
      part_time_fraction: string;
      funding_route: string;
    }>(
      t.db,
      sql`select working_pattern, part_time_fraction, funding_route from participant where trn = '2000003'`,
    );
    expect(partTime).toEqual([
      { working_pattern: 'part_time', part_time_fraction: '0.60', funding_route: 'school' },
    ]);
    const audit = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from audit_event where what = 'PARTICIPANT_IMPORTED'`,
    );
    expect(audit[0]!.n).toBeGreaterThanOrEqual(3);
  });

  it('creates (and accepts) each enrolment at the import’s time, not the database’s', async () => {
    const file = path.join(dir, 'dated.csv');
    await writeFile(file, [header, good(1), good(2)].join('\n'));
    const now = new Date(`${today}T09:15:00Z`);
    await importParticipantsCsv(t.db, file, { today, publicUrl, now });
    const rows = await queryRows<{ created_at: Date; status_changed_at: Date }>(
      t.db,
      sql`select created_at, status_changed_at from enrolment order by id`,
    );
    expect(rows.map((r) => [new Date(r.created_at), new Date(r.status_changed_at)])).toEqual([
      [now, now],
      [now, now],
    ]);
  });

  it('changes nothing when the same file is imported again', async () => {
    const file = path.join(dir, 'again.csv');
    await writeFile(file, [header, good(1), good(2), good(3)].join('\n'));
    const first = await importParticipantsCsv(t.db, file, { today, publicUrl });
    expect(first).toMatchObject({ created: 3, enrolled: 3, unchanged: 0, errors: [] });
    const before = await counts();
    const second = await importParticipantsCsv(t.db, file, { today, publicUrl });
    expect(second).toMatchObject({ created: 0, enrolled: 0, unchanged: 3, errors: [] });
    expect(await counts()).toEqual(before);
  });

  it('loses and doubles nothing when a run is killed half-way and re-run', async () => {
    const file = path.join(dir, 'big.csv');
    const lines = Array.from({ length: 25 }, (_, i) => good(i + 1));
    await writeFile(file, [header, ...lines].join('\n'));
    async function* dyingAfter(rows: number) {
      let n = 0;
      for await (const record of readCsv(file)) {
        if (n++ === rows) throw new Error('killed');
        yield record;
      }
    }
    await expect(
      importParticipantRecords(t.db, dyingAfter(17), { today, publicUrl, chunkSize: 5 }),
    ).rejects.toThrow('killed');
    expect(await counts()).toEqual({ participants: 15, enrolments: 15, employments: 15 });
    const progress: number[] = [];
    const rerun = await importParticipantsCsv(t.db, file, {
      today,
      publicUrl,
      chunkSize: 5,
      onProgress: (r) => progress.push(r),
    });
    expect(rerun).toMatchObject({ rows: 25, created: 10, unchanged: 15, errors: [] });
    expect(progress).toEqual([5, 10, 15, 20, 25]);
    expect(await counts()).toEqual({ participants: 25, enrolments: 25, employments: 25 });
  });

  it("keeps a delivery partner's import to its own partner and its own participants", async () => {
    const file = path.join(dir, 'scope.csv');
    await writeFile(file, [header, good(1, { delivery_partner: 'south' })].join('\n'));
    await importParticipantsCsv(t.db, file, { today, publicUrl });
    const [north] = await queryRows<{ id: number }>(
      t.db,
      sql`select id from delivery_partner where slug = 'north'`,
    );
    // The same person again (by TRN) for north, and a row naming south: both refused for a north importer.
    await writeFile(
      file,
      [
        header,
        good(1, { course_identifier: 'npq-senco' }),
        good(2, { delivery_partner: 'south' }),
        good(3),
      ].join('\n'),
    );
    const summary = await importParticipantsCsv(t.db, file, {
      today,
      publicUrl,
      partnerScope: [north!.id],
    });
    expect(summary.errors).toEqual([
      {
        line: 2,
        field: 'trn',
        message:
          'This participant is enrolled with another delivery partner: ask the programme team',
      },
      {
        line: 3,
        field: 'delivery_partner',
        message: 'You cannot enrol participants with the delivery partner "south"',
      },
    ]);
    expect(summary).toMatchObject({ created: 1, enrolled: 1 });
    expect(await counts()).toEqual({ participants: 2, enrolments: 2, employments: 2 });
  });

  it('refuses an email that belongs to another participant', async () => {
    const file = path.join(dir, 'email.csv');
    await writeFile(file, [header, good(1)].join('\n'));
    await importParticipantsCsv(t.db, file, { today, publicUrl });
    await writeFile(file, [header, good(2, { email: 'TEACHER1@school.test' })].join('\n'));
    const summary = await importParticipantsCsv(t.db, file, { today, publicUrl });
    expect(summary.errors).toEqual([
      { line: 2, field: 'email', message: 'This email address belongs to another participant' },
    ]);
    expect((await counts())!.participants).toBe(1);
  });
});
