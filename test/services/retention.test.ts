import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { runDailyProcessing } from '../../src/services/daily.js';
import { audit } from '../../src/services/audit.js';
import { SYSTEM } from '../../src/services/actor.js';
import { redactAuditDetails, retentionCutoff } from '../../src/policy/retention.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';

/**
 * Retention on the real database: a participant whose last enrolment ended 8 years ago is
 * anonymised by the daily job (7 years by default); one who finished 2 years ago and one still
 * active are untouched; audit events are kept with their personal content redacted; a second run
 * changes nothing.
 */
let w: DemoWorld;
const p: Record<'old' | 'recent' | 'active', { id: number; email: string; name: string }> = {
  old: { id: 0, email: '', name: '' },
  recent: { id: 0, email: '', name: '' },
  active: { id: 0, email: '', name: '' },
};
const SECRET_NOTE = 'Recovering from surgery at St Elsewhere';

async function participantRow(id: number) {
  const [row] = await queryRows<Record<string, unknown>>(
    w.t.db,
    sql`select * from participant where id = ${id}`,
  );
  return row!;
}

async function snapshot() {
  const q = async (query: ReturnType<typeof sql>) => JSON.stringify(await queryRows(w.t.db, query));
  return {
    participants: await q(sql`select * from participant order by id`),
    users: await q(sql`select * from app_user order by id`),
    audit: await q(sql`select * from audit_event order by id`),
    emails: await q(sql`select * from email_message order by id`),
    cases: await q(sql`select * from deferral_case order by id`),
    withdrawals: await q(sql`select * from withdrawal order by id`),
  };
}

beforeAll(async () => {
  w = await createDemoWorld({ participants: 12 });
  const db = w.t.db;
  const pick = async (email: string) => {
    const [row] = await queryRows<{ id: number; email: string; full_name: string }>(
      db,
      sql`select id, email, full_name from participant where email = ${email}`,
    );
    return { id: row!.id, email: row!.email, name: row!.full_name };
  };
  p.old = await pick('participant1@demo.npq-ops.test');
  p.recent = await pick('participant2@demo.npq-ops.test');
  const [active] = await queryRows<{ email: string }>(
    db,
    sql`select p.email from participant p join enrolment e on e.participant_id = p.id
        where e.status = 'active' and p.id not in (${p.old.id}, ${p.recent.id}) order by p.id limit 1`,
  );
  p.active = await pick(active!.email);

  const now = w.clock.now();
  const yearsAgo = (n: number) => new Date(now.getTime() - n * 365.25 * 24 * 3600 * 1000);
  const [admin] = await queryRows<{ id: number }>(
    db,
    sql`select id from app_user where role = 'admin' order by id limit 1`,
  );
  for (const [who, years] of [
    [p.old, 8],
    [p.recent, 2],
  ] as const) {
    const enrolments = await queryRows<{ id: number }>(
      db,
      sql`update enrolment set status = 'withdrawn', status_changed_at = ${yearsAgo(years)}
          where participant_id = ${who.id} returning id`,
    );
    const enrolmentId = enrolments[0]!.id;
    await db.execute(
      sql`insert into withdrawal (enrolment_id, reason, withdrawn_on, recorded_by, note)
          values (${enrolmentId}, 'other', '2018-01-10', 'system', ${SECRET_NOTE})
          on conflict (enrolment_id) do update set note = excluded.note`,
    );
    await db.execute(
      sql`insert into deferral_case (enrolment_id, participant_id, status, circumstance, description, dfe_reason, requested_on, requested_by, reasonable_adjustments)
          values (${enrolmentId}, ${who.id}, 'declined', 'illness_or_health', ${SECRET_NOTE}, 'other', '2018-01-01', ${admin!.id}, 'Large print')`,
    );
    await db.execute(
      sql`insert into email_message (template, to_email, personalisation, subject_type, subject_id, status)
          values ('password_changed', ${who.email}, ${JSON.stringify({ name: who.name })}::jsonb, 'participant', ${String(who.id)}, 'sent')`,
    );
    await audit(db, {
      what: 'TEST_NOTE_RECORDED',
      who: SYSTEM,
      subjectType: 'enrolment',
      subjectId: enrolmentId,
      details: {
        fullName: who.name,
        contact: { email: who.email },
        note: SECRET_NOTE,
        reason: 'other',
        clause: '2.3.8',
        days: 14,
      },
      at: yearsAgo(years),
    });
  }
});
afterAll(async () => {
  await w.destroy();
});

describe('the retention schedule', () => {
  it('counts years back from today, 29 February included', () => {
    expect(retentionCutoff('2026-03-16', 7)).toBe('2019-03-16');
    expect(retentionCutoff('2028-02-29', 1)).toBe('2027-02-28');
  });

  it('redacts names, addresses, identifiers and words, and keeps codes, numbers and clauses', () => {
    expect(
      redactAuditDetails({
        fullName: 'Ada Lovelace',
        trnLike: '1234567',
        who: 'ada@example.com',
        reason: 'bereavement',
        clause: '2.3.8',
        on: '2026-03-16',
        n: 3,
        nested: [{ description: 'short' }, 'two words'],
      }),
    ).toEqual({
      fullName: '[redacted]',
      trnLike: '[redacted]',
      who: '[redacted]',
      reason: 'bereavement',
      clause: '2.3.8',
      on: '2026-03-16',
      n: 3,
      nested: [{ description: '[redacted]' }, '[redacted]'],
      redacted: 'retention',
    });
  });
});

describe('retention in the daily job', () => {
  let before: Awaited<ReturnType<typeof snapshot>>;
  let recentBefore: Record<string, unknown>;
  let activeBefore: Record<string, unknown>;
  let auditCountBefore = 0;

  it('anonymises exactly the participant past their retention', async () => {
    recentBefore = await participantRow(p.recent.id);
    activeBefore = await participantRow(p.active.id);
    [{ n: auditCountBefore }] = (await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from audit_event`,
    )) as [{ n: number }];

    const report = await runDailyProcessing({ db: w.t.db, clock: w.clock });
    expect(report['participantsErased']).toBe(1);
    expect(report['emailsDeletedByRetention']).toBeGreaterThanOrEqual(1);
    expect(report['auditEventsRedacted']).toBeGreaterThanOrEqual(1);

    const old = await participantRow(p.old.id);
    expect(old).toMatchObject({
      full_name: `Former participant ${p.old.id}`,
      email: `erased-participant-${p.old.id}@erased.invalid`,
      trn: null,
      dfe_registration_id: `erased-${p.old.id}`,
    });
    expect(await participantRow(p.recent.id)).toEqual(recentBefore);
    expect(await participantRow(p.active.id)).toEqual(activeBefore);

    const [user] = await queryRows<{
      email: string;
      display_name: string;
      password_hash: string | null;
      deactivated_at: unknown;
    }>(w.t.db, sql`select * from app_user where participant_id = ${p.old.id}`);
    expect(user!.email).toMatch(/^erased-user-\d+@erased\.invalid$/);
    expect(user!.display_name).toBe(`Former participant ${p.old.id}`);
    expect(user!.password_hash).toBeNull();
    expect(user!.deactivated_at).not.toBeNull();

    // Nothing anywhere still holds the old participant's name, address or what they wrote.
    const everything = JSON.stringify(await snapshot());
    expect(everything).not.toContain(p.old.email);
    expect(everything).not.toContain(p.old.name);
    // ... while the recent participant's record is intact.
    expect(everything).toContain(p.recent.email);
    const notes = await queryRows<{ participant_id: number; note: string | null }>(
      w.t.db,
      sql`select e.participant_id, w.note from withdrawal w join enrolment e on e.id = w.enrolment_id
          where e.participant_id in (${p.old.id}, ${p.recent.id}) order by e.participant_id`,
    );
    expect(notes.find((n) => n.participant_id === p.old.id)!.note).toBeNull();
    expect(notes.find((n) => n.participant_id === p.recent.id)!.note).toBe(SECRET_NOTE);
    const cases = await queryRows<{ participant_id: number; description: string }>(
      w.t.db,
      sql`select participant_id, description from deferral_case where participant_id in (${p.old.id}, ${p.recent.id})`,
    );
    expect(cases.find((c) => c.participant_id === p.old.id)!.description).toBe('[redacted]');
    expect(cases.find((c) => c.participant_id === p.recent.id)!.description).toBe(SECRET_NOTE);
  });

  it('keeps the audit events, redacts their details, and records the erasure', async () => {
    const [{ n }] = (await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from audit_event`,
    )) as [{ n: number }];
    // Nothing was deleted: one PARTICIPANT_ERASED more (plus whatever else the daily job recorded).
    expect(n).toBeGreaterThan(auditCountBefore);
    const [note] = await queryRows<{ details: Record<string, unknown> }>(
      w.t.db,
      sql`select ae.details from audit_event ae join enrolment e on ae.subject_type = 'enrolment' and ae.subject_id = e.id::text
          where ae.what = 'TEST_NOTE_RECORDED' and e.participant_id = ${p.old.id}`,
    );
    expect(note!.details).toEqual({
      fullName: '[redacted]',
      contact: { email: '[redacted]' },
      note: '[redacted]',
      reason: 'other',
      clause: '2.3.8',
      days: 14,
      redacted: 'retention',
    });
    const [kept] = await queryRows<{ details: Record<string, unknown> }>(
      w.t.db,
      sql`select ae.details from audit_event ae join enrolment e on ae.subject_type = 'enrolment' and ae.subject_id = e.id::text
          where ae.what = 'TEST_NOTE_RECORDED' and e.participant_id = ${p.recent.id}`,
    );
    expect(kept!.details['note']).toBe(SECRET_NOTE);
    const erased = await queryRows<{ details: Record<string, unknown> }>(
      w.t.db,
      sql`select details from audit_event where what = 'PARTICIPANT_ERASED' and subject_id = ${String(p.old.id)}`,
    );
    expect(erased).toHaveLength(1);
    expect(erased[0]!.details['retentionYearsAfterEnd']).toBe(7);
  });

  it('changes nothing on a second run', async () => {
    before = await snapshot();
    const report = await runDailyProcessing({ db: w.t.db, clock: w.clock });
    expect(report['participantsErased']).toBe(0);
    expect(report['auditEventsRedacted']).toBe(0);
    expect(report['emailsDeletedByRetention']).toBe(0);
    const after = await snapshot();
    expect(after.participants).toBe(before.participants);
    expect(after.users).toBe(before.users);
    expect(after.cases).toBe(before.cases);
    expect(after.withdrawals).toBe(before.withdrawals);
    expect(after.emails).toBe(before.emails);
  });

  it('reaches the recent participant only when the configured period allows', async () => {
    const report = await runDailyProcessing({
      db: w.t.db,
      clock: w.clock,
      retentionYearsAfterEnd: 1,
    });
    expect(report['participantsErased']).toBe(1);
    expect((await participantRow(p.recent.id))['full_name']).toBe(
      `Former participant ${p.recent.id}`,
    );
    expect(await participantRow(p.active.id)).toEqual(activeBefore);
  });
});

describe('the append-only audit trail', () => {
  it('still refuses edits and deletions, and a "redaction" that changes anything but details', async () => {
    const db = w.t.db;
    await expect(db.execute(sql`update audit_event set details = '{}'::jsonb`)).rejects.toThrow();
    await expect(db.execute(sql`delete from audit_event`)).rejects.toThrow();
    await expect(
      db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('npq.redaction', 'on', true)`);
        await tx.execute(
          sql`update audit_event set what = 'CHANGED', details = '{"redacted":"retention"}'::jsonb`,
        );
      }),
    ).rejects.toThrow();
    await expect(
      db.transaction(async (tx) => {
        await tx.execute(sql`select set_config('npq.redaction', 'on', true)`);
        await tx.execute(sql`update audit_event set details = '{}'::jsonb`);
      }),
    ).rejects.toThrow();
    const [{ n }] = (await queryRows<{ n: number }>(
      db,
      sql`select count(*)::int as n from audit_event where what = 'CHANGED'`,
    )) as [{ n: number }];
    expect(n).toBe(0);
  });
});
