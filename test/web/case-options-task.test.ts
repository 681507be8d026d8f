import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { requestDeferral } from '../../src/services/deferral-cases.js';
import { runDailyProcessing } from '../../src/services/daily.js';
import { fixedClock } from '../../src/clock.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * Issue 10, bullet 6: a request the policy refuses at once becomes a task for the partner ("tell
 * the participant their options") that staff close by recording the contact and the choice; and
 * reads never write (looking at the assessment does not enter a participant into a window).
 */
let w: DemoWorld;
let north: Session;
let south: Session;

beforeAll(async () => {
  w = await createDemoWorld();
  [north, south] = await Promise.all([
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('partner.south@demo.npq-ops.test'),
  ]);
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

const deps = () => ({ db: w.t.db, clock: w.clock });
const get = (s: Session, url: string) => s.request({ method: 'GET', url });
const post = (s: Session, url: string, payload: Record<string, unknown>) =>
  s.request({ method: 'POST', url, payload });

async function refusedCase(): Promise<{ id: number; requestedOn: string }> {
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
  return { id: c.id, requestedOn: c.requestedOn };
}

describe('a request the policy refuses at once (2.3.10)', () => {
  it('becomes a task that staff close by recording the contact and the participant’s choice', async () => {
    w.clock.now = () => new Date('2026-03-10T10:00:00Z');
    const c = await refusedCase();
    const [task] = await queryRows<{ status: string; due_on: string }>(
      w.t.db,
      sql`select status, due_on::text from staff_task where kind = 'options_contact' and deferral_case_id = ${c.id}`,
    );
    expect(task).toEqual({ status: 'open', due_on: '2026-03-10' });
    expect((await get(north, '/cases')).body).toContain(`href="/cases/deferrals/${c.id}"`);

    const page = await get(north, `/cases/deferrals/${c.id}`);
    expect(page.body).toContain('data-testid="options-contact"');
    expect(page.body).toContain('href="/policy#clause-2-3-10"');

    // Field errors: nothing chosen; 1 January 1900; a date before the request; "other" with no note.
    const empty = await post(north, `/cases/deferrals/${c.id}/options-contact`, {});
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('govuk-error-summary');
    expect(empty.body).toContain('href="#contactedOn"');
    const ancient = await post(north, `/cases/deferrals/${c.id}/options-contact`, {
      'contactedOn-day': '1',
      'contactedOn-month': '1',
      'contactedOn-year': '1900',
      choice: 'continue',
    });
    expect(ancient.statusCode).toBe(422);
    expect(ancient.body).toContain('must be on or after their request');
    const noNote = await post(north, `/cases/deferrals/${c.id}/options-contact`, {
      'contactedOn-day': '10',
      'contactedOn-month': '3',
      'contactedOn-year': '2026',
      choice: 'other',
    });
    expect(noNote.statusCode).toBe(422);
    expect(noNote.body).toContain('Describe what the participant chose');

    // Another partner cannot close it.
    const foreign = await post(south, `/cases/deferrals/${c.id}/options-contact`, {
      'contactedOn-day': '10',
      'contactedOn-month': '3',
      'contactedOn-year': '2026',
      choice: 'continue',
    });
    expect(foreign.statusCode).toBe(404);

    const done = await post(north, `/cases/deferrals/${c.id}/options-contact`, {
      'contactedOn-day': '10',
      'contactedOn-month': '3',
      'contactedOn-year': '2026',
      choice: 'continue',
    });
    expect(done.statusCode).toBe(303);
    const after = await get(north, `/cases/deferrals/${c.id}`);
    expect(after.body).toContain('data-testid="options-outcome"');
    expect(after.body).toContain('continue with their current cohort');
    expect(after.body).not.toContain('data-testid="options-contact"');
    expect((await get(north, '/cases')).body).not.toContain(`href="/cases/deferrals/${c.id}"`);
    const [closed] = await queryRows<{ status: string; choice: string; contacted: string }>(
      w.t.db,
      sql`select status, outcome->>'choice' as choice, outcome->>'contactedOn' as contacted
          from staff_task where kind = 'options_contact' and deferral_case_id = ${c.id}`,
    );
    expect(closed).toEqual({ status: 'done', choice: 'continue', contacted: '2026-03-10' });
    const [audited] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from audit_event where what = 'DEFERRAL_OPTIONS_CONTACT_RECORDED'
          and subject_id = ${String(c.id)}`,
    );
    expect(audited!.n).toBe(1);
  });

  it('can be closed through the API, with field-level errors for a date outside the case', async () => {
    w.clock.now = () => new Date('2026-03-12T10:00:00Z');
    const c = await refusedCase();
    const url = `/api/v1/deferral-cases/${c.id}/options-contact`;
    const future = await post(north, url, { contactedOn: '2026-03-20', choice: 'withdraw' });
    expect(future.statusCode).toBe(422);
    expect(JSON.stringify(future.json())).toContain('contactedOn');
    const old = await post(north, url, { contactedOn: '1900-01-01', choice: 'withdraw' });
    expect(old.statusCode).toBe(422);
    expect(JSON.stringify(old.json())).toContain('contactedOn');
    // Choosing withdraw withdraws them, so it needs the DfE reason (options-contact-withdraw.test.ts).
    const ok = await post(north, url, {
      contactedOn: '2026-03-12',
      choice: 'withdraw',
      withdrawalReason: 'personal-reason-other',
    });
    expect(ok.statusCode).toBe(200);
    expect(ok.json()).toMatchObject({
      status: 'done',
      outcome: { contactedOn: '2026-03-12', choice: 'withdraw', note: null },
    });
    const again = await post(north, url, { contactedOn: '2026-03-12', choice: 'continue' });
    expect(again.statusCode).toBe(409);
  });
});

describe('reads never write', () => {
  it('GET /api/v1/enrolments/{id}/assessment does not enter an eligible participant; the daily job does', async () => {
    // Enrolment 1 (NPQSL 2025, cohort 7): window 22-29 Sep 2026, 90% deadline 11 Sep 2026.
    await w.t.db.execute(sql`
      insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
      select e.participant_id, a.id, a.kind, (c.engagement_deadline - 1)::timestamp + interval '10 hours',
             'staff', 'reads-' || e.id || '-' || a.id
      from enrolment e join cohort c on c.id = e.cohort_id
      join programme_activity a on a.programme_id = c.programme_id and a.required
      where e.id = 1
      on conflict do nothing`);
    w.clock.now = () => new Date('2026-09-24T10:00:00Z');
    const entries = async () =>
      (
        await queryRows<{ n: number }>(
          w.t.db,
          sql`select count(*)::int as n from assessment_entry where enrolment_id = 1`,
        )
      )[0]!.n;
    const audits = async () =>
      (
        await queryRows<{ n: number }>(
          w.t.db,
          sql`select count(*)::int as n from audit_event where what = 'ASSESSMENT_WINDOW_ENTERED' and subject_id = '1'`,
        )
      )[0]!.n;
    expect(await entries()).toBe(0);
    const team = await w.signIn('programme.team@demo.npq-ops.test');
    const read = await get(team, '/api/v1/enrolments/1/assessment');
    expect(read.statusCode).toBe(200);
    expect((read.json() as { entered: boolean }).entered).toBe(false);
    expect(await entries()).toBe(0);
    expect(await audits()).toBe(0);

    await runDailyProcessing({
      db: w.t.db,
      clock: fixedClock('2026-09-24T10:00:00Z'),
      wallClock: w.sessionClock,
    });
    expect(await entries()).toBe(1);
    const after = await get(team, '/api/v1/enrolments/1/assessment');
    expect((after.json() as { entered: boolean }).entered).toBe(true);
  });
});
