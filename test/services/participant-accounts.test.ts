import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { renderEmail } from '../../src/domain/email-templates.js';
import { inspectAccountLink } from '../../src/services/account-links.js';
import { authenticatePassword } from '../../src/services/auth.js';
import {
  PARTICIPANT_CSV_COLUMNS,
  importParticipantRecords,
} from '../../src/services/participant-import.js';
import { insertReferenceWorld } from '../support/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let t: TestDatabase;
const today = '2025-11-03';
const now = new Date('2025-11-03T10:00:00Z');
const publicUrl = 'https://npq.example';

beforeAll(async () => {
  t = await createTestDatabase();
  await insertReferenceWorld(t.db);
});
afterAll(async () => {
  await t.destroy();
});
beforeEach(async () => {
  for (const table of [
    'email_message',
    'account_link',
    'app_user',
    'enrolment',
    'participant_employment',
    'participant',
  ])
    await t.db.execute(sql.raw(`delete from ${table}`));
  await t.db.execute(
    sql`update delivery_partner set contact_email = null, contact_phone = null where slug = 'north'`,
  );
});

type Column = (typeof PARTICIPANT_CSV_COLUMNS)[number];
const row = (n: number, overrides: Partial<Record<Column, string>> = {}) => ({
  trn: String(3000000 + n),
  full_name: `Teacher ${n}`,
  email: `teacher${n}@school.test`,
  school_urn: '100001',
  funding_route: 'dfe_scholarship',
  dfe_registration_confirmed: 'no',
  employment_confirmed: 'no',
  course_identifier: 'npq-headship',
  cohort_year: '2025',
  delivery_partner: 'north',
  ...overrides,
});
const run = (rows: Record<string, string>[], chunkSize = 1000) =>
  importParticipantRecords(
    t.db,
    rows.map((record, i) => ({ line: i + 2, record })),
    { today, now, publicUrl, chunkSize, who: 'system:test' },
  );

async function accounts() {
  return queryRows<{
    email: string;
    role: string;
    participant_id: number | null;
    password_hash: string | null;
    links: number;
    emails: number;
  }>(
    t.db,
    sql`select u.email, u.role, u.participant_id, u.password_hash,
               (select count(*)::int from account_link l where l.user_id = u.id and l.purpose = 'invitation') as links,
               (select count(*)::int from email_message m where m.subject_type = 'app_user' and m.subject_id = u.id::text) as emails
        from app_user u order by u.email`,
  );
}

async function emails() {
  return queryRows<{ template: string; to_email: string; personalisation: Record<string, string> }>(
    t.db,
    sql`select template, to_email, personalisation from email_message order by to_email`,
  );
}

describe('participant accounts from the import', () => {
  it('gives each new participant an account without a password, one invitation link and one email, across chunks', async () => {
    const summary = await run(
      Array.from({ length: 7 }, (_, i) => row(i + 1)),
      3,
    );
    expect(summary).toMatchObject({ created: 7, enrolled: 7, invited: 7, errors: [] });
    const users = await accounts();
    expect(users).toHaveLength(7);
    for (const u of users) {
      expect(u).toMatchObject({ role: 'participant', password_hash: null, links: 1, emails: 1 });
      expect(u.participant_id).not.toBeNull();
    }
    const [first] = await emails();
    expect(first!.template).toBe('participant_invitation');
    expect(first!.to_email).toBe('teacher1@school.test');
    expect(first!.personalisation).toMatchObject({
      name: 'Teacher 1',
      programme: 'NPQH 2025',
      delivery_partner: 'North Hub',
      expires: '10 November 2025',
      contact: 'your delivery partner',
    });
    const link = first!.personalisation.link!;
    expect(link).toMatch(/^https:\/\/npq\.example\/account\/set-password\/[A-Za-z0-9_-]{43}$/);
    const token = link.split('/').at(-1)!;
    expect(await inspectAccountLink(t.db, token, now)).toMatchObject({
      state: 'valid',
      purpose: 'invitation',
    });
    expect(
      await inspectAccountLink(t.db, token, new Date(now.getTime() + 7 * 86_400_000 + 1)),
    ).toMatchObject({ state: 'expired' });
    // Every placeholder is filled: the message can be rendered as sent.
    expect(renderEmail('participant_invitation', first!.personalisation).body).toContain(link);
  });

  it('tells the participant how to reach their delivery partner when its contact details are set', async () => {
    await t.db.execute(
      sql`update delivery_partner set contact_email = 'hello@north.test', contact_phone = '0191 000 0000' where slug = 'north'`,
    );
    await run([row(1)]);
    const [email] = await emails();
    expect(email!.personalisation.contact).toBe('hello@north.test or 0191 000 0000');
  });

  it('opens no second account and sends no second email when the same file is imported again', async () => {
    const rows = [row(1), row(2), row(3)];
    await run(rows);
    const before = await accounts();
    const again = await run(rows);
    expect(again).toMatchObject({ created: 0, enrolled: 0, unchanged: 3, invited: 0 });
    expect(await accounts()).toEqual(before);
    expect(await emails()).toHaveLength(3);
  });

  it('does not invite again a participant who already has an account and gets a new enrolment', async () => {
    await run([row(1)]);
    const next = await run([row(1, { course_identifier: 'npq-senco' })]);
    expect(next).toMatchObject({ created: 0, enrolled: 1, invited: 0 });
    expect(await emails()).toHaveLength(1);
    expect((await accounts())[0]).toMatchObject({ links: 1, emails: 1 });
  });

  it('opens an account for an existing participant without one when they get a new enrolment', async () => {
    await run([row(1)]);
    await t.db.execute(sql`delete from email_message`);
    await t.db.execute(sql`delete from account_link`);
    await t.db.execute(sql`delete from app_user`);
    const next = await run([row(1, { course_identifier: 'npq-senco' })]);
    expect(next).toMatchObject({ enrolled: 1, invited: 1 });
    const [email] = await emails();
    expect(email!.personalisation.programme).toBe('NPQSENCO 2025');
  });

  it('refuses a row whose email already signs in to a staff account, and writes nothing for it', async () => {
    await t.db.execute(sql`insert into app_user (email, display_name, password_hash, role)
      values ('Staff@School.test', 'Staff', 'x', 'admin')`);
    const summary = await run([row(1, { email: 'staff@school.test' }), row(2)]);
    expect(summary.errors).toEqual([
      {
        line: 2,
        field: 'email',
        message: 'This email address is already used to sign in to another account',
      },
    ]);
    expect(summary).toMatchObject({ created: 1, invited: 1 });
  });

  it('does not let an invited participant sign in before they set a password', async () => {
    await run([row(1)]);
    for (const password of ['', 'password', 'npq-ops-unknown-user'])
      expect(await authenticatePassword(t.db, 'teacher1@school.test', password)).toBeNull();
  });
});
