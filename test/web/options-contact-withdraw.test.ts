import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { requestDeferral } from '../../src/services/deferral-cases.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * Issue 10, bullet 6: a participant told their options after a refused request (2.3.10) who
 * chooses to withdraw is withdrawn, in the transaction that closes the task: with a DfE withdrawal
 * reason, reported to the DfE through its outbox and told by email. The task can never end as
 * "chose withdraw" with the enrolment still active: without a reason, or when the policy refuses
 * the withdrawal, nothing is written at all.
 */
let w: DemoWorld;
let north: Session;

beforeAll(async () => {
  w = await createDemoWorld();
  north = await w.signIn('partner.north@demo.npq-ops.test');
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

const deps = () => ({ db: w.t.db, clock: w.clock });
const post = (s: Session, url: string, payload: Record<string, unknown>) =>
  s.request({ method: 'POST', url, payload });

async function refusedCase(): Promise<{ id: number; enrolmentId: number }> {
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join cohort c on c.id = e.cohort_id
        join delivery_partner dp on dp.id = e.delivery_partner_id
        where c.year = 2025 and e.status = 'active' and dp.slug = 'north'
          and not exists (select 1 from deferral_case d where d.enrolment_id = e.id)
        order by e.id desc limit 1`,
  );
  // Not registered with the DfE: not eligible (2.3.2), so the policy refuses at once.
  await w.t.db.execute(
    sql`update participant set dfe_registration_confirmed = false
        where id = (select participant_id from enrolment where id = ${row!.id})`,
  );
  const c = await requestDeferral(deps(), await w.actor('partner.north@demo.npq-ops.test'), {
    enrolmentId: row!.id,
    circumstance: 'illness_or_health',
    description: 'Long-term illness',
  });
  expect(c.status).toBe('declined');
  return { id: c.id, enrolmentId: row!.id };
}

/** Everything a withdrawal writes, to show that a refusal wrote none of it. */
async function state(caseId: number, enrolmentId: number) {
  const [row] = await queryRows<{
    task: string;
    enrolment: string;
    withdrawals: number;
    dfe: number;
    emails: number;
  }>(
    w.t.db,
    sql`select (select status from staff_task where kind = 'options_contact' and deferral_case_id = ${caseId}) as task,
               (select status from enrolment where id = ${enrolmentId}) as enrolment,
               (select count(*)::int from withdrawal where enrolment_id = ${enrolmentId}) as withdrawals,
               (select count(*)::int from dfe_outbox where enrolment_id = ${enrolmentId} and action = 'withdraw') as dfe,
               (select count(*)::int from email_message where notice_key = ${`decision:deferral:${caseId}:withdrawn`}) as emails`,
  );
  return row!;
}
const untouched = { task: 'open', enrolment: 'active', withdrawals: 0, dfe: 0, emails: 0 };

const form = (extra: Record<string, string>) => ({
  'contactedOn-day': '10',
  'contactedOn-month': '3',
  'contactedOn-year': '2026',
  ...extra,
});

describe('choosing to withdraw on the options task (2.3.10, 2.3.8)', () => {
  it('on the case page: asks for the DfE reason, then withdraws in the same step', async () => {
    w.clock.now = () => new Date('2026-03-10T10:00:00Z');
    const c = await refusedCase();
    const page = await north.request({ method: 'GET', url: `/cases/deferrals/${c.id}` });
    expect(page.body).toContain('id="withdrawalReason"');

    const noReason = await post(
      north,
      `/cases/deferrals/${c.id}/options-contact`,
      form({ choice: 'withdraw' }),
    );
    expect(noReason.statusCode).toBe(422);
    expect(noReason.body).toContain('href="#withdrawalReason"');
    expect(noReason.body).toContain('Select the DfE withdrawal reason');
    expect(await state(c.id, c.enrolmentId)).toEqual(untouched);

    const done = await post(
      north,
      `/cases/deferrals/${c.id}/options-contact`,
      form({ choice: 'withdraw', withdrawalReason: 'personal-reason-health-or-pregnancy-related' }),
    );
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toContain('withdrawn');
    expect(await state(c.id, c.enrolmentId)).toEqual({
      task: 'done',
      enrolment: 'withdrawn',
      withdrawals: 1,
      dfe: 1,
      emails: 1,
    });
    const [withdrawal] = await queryRows<{ reason: string; withdrawn_on: string }>(
      w.t.db,
      sql`select reason, withdrawn_on::text from withdrawal where enrolment_id = ${c.enrolmentId}`,
    );
    expect(withdrawal).toEqual({
      reason: 'personal-reason-health-or-pregnancy-related',
      withdrawn_on: '2026-03-10',
    });
    const [outcome] = await queryRows<{ choice: string; reason: string; withdrawal_id: number }>(
      w.t.db,
      sql`select outcome->>'choice' as choice, outcome->>'withdrawalReason' as reason,
                 (outcome->>'withdrawalId')::int as withdrawal_id
          from staff_task where kind = 'options_contact' and deferral_case_id = ${c.id}`,
    );
    expect(outcome).toMatchObject({
      choice: 'withdraw',
      reason: 'personal-reason-health-or-pregnancy-related',
    });
    expect(outcome!.withdrawal_id).toBeGreaterThan(0);
    const after = await north.request({ method: 'GET', url: `/cases/deferrals/${c.id}` });
    expect(after.body).toContain('data-testid="options-outcome"');
    expect(after.body).toContain('withdrawn');
    expect(after.body).not.toContain('data-testid="options-contact"');
  });

  it('through the API: 400 for a reason not the DfE’s, 422 without one, 200 withdrawn with one', async () => {
    w.clock.now = () => new Date('2026-03-12T10:00:00Z');
    const c = await refusedCase();
    const url = `/api/v1/deferral-cases/${c.id}/options-contact`;
    const badReason = await post(north, url, {
      contactedOn: '2026-03-12',
      choice: 'withdraw',
      withdrawalReason: 'bored',
    });
    expect(badReason.statusCode).toBe(400);
    expect(JSON.stringify(badReason.json())).toContain('body.withdrawalReason');
    const noReason = await post(north, url, { contactedOn: '2026-03-12', choice: 'withdraw' });
    expect(noReason.statusCode).toBe(422);
    expect(JSON.stringify(noReason.json())).toContain('withdrawalReason');
    // A reason for a choice that is not "withdraw" is a mistake, not something to ignore.
    const stray = await post(north, url, {
      contactedOn: '2026-03-12',
      choice: 'continue',
      withdrawalReason: 'personal-reason-other',
    });
    expect(stray.statusCode).toBe(422);
    expect(JSON.stringify(stray.json())).toContain('withdrawalReason');
    expect(await state(c.id, c.enrolmentId)).toEqual(untouched);

    const ok = await post(north, url, {
      contactedOn: '2026-03-12',
      choice: 'withdraw',
      withdrawalReason: 'change-in-school-circumstances',
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      status: 'done',
      outcome: {
        contactedOn: '2026-03-12',
        choice: 'withdraw',
        withdrawalReason: 'change-in-school-circumstances',
      },
    });
    expect(await state(c.id, c.enrolmentId)).toMatchObject({
      task: 'done',
      enrolment: 'withdrawn',
      withdrawals: 1,
      dfe: 1,
    });
  });

  it('a withdrawal the policy refuses is the one refusal shape, and writes nothing', async () => {
    w.clock.now = () => new Date('2026-03-13T10:00:00Z');
    const c = await refusedCase();
    // Meanwhile the enrolment completed: it can no longer be withdrawn (2.3.8).
    await w.t.db.execute(
      sql`update enrolment set status = 'completed_passed' where id = ${c.enrolmentId}`,
    );
    const refused = await post(north, `/api/v1/deferral-cases/${c.id}/options-contact`, {
      contactedOn: '2026-03-13',
      choice: 'withdraw',
      withdrawalReason: 'personal-reason-other',
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({ code: 'POLICY_REFUSED' });
    expect(JSON.stringify(refused.json())).toContain('DEFERRAL.WITHDRAWAL_STATUS');
    const page = await post(
      north,
      `/cases/deferrals/${c.id}/options-contact`,
      form({
        'contactedOn-day': '13',
        choice: 'withdraw',
        withdrawalReason: 'personal-reason-other',
      }),
    );
    expect(page.statusCode).toBe(422);
    expect(page.body).toContain('href="/policy#clause-2-3-8"');
    expect(await state(c.id, c.enrolmentId)).toEqual({
      ...untouched,
      enrolment: 'completed_passed',
    });
    const [audited] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from audit_event where what = 'DEFERRAL_OPTIONS_CONTACT_RECORDED'
          and subject_id = ${String(c.id)}`,
    );
    expect(audited!.n).toBe(0);
  });
});
