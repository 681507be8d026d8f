import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { fixedClock } from '../../src/clock.js';
import { addDays } from '../../src/policy/index.js';
import {
  approveDeferral,
  confirmReturn,
  recordDeferralDiscussion,
  requestDeferral,
  startDeferral,
  type DeferralCaseView,
} from '../../src/services/deferral-cases.js';
import { calendarFeedIcs, issueCalendarFeed } from '../../src/services/calendar-feed.js';
import { listMySlots } from '../../src/services/coaching-slots.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * Issue 10, bullet 5: resuming after a deferral. The old cohort's future bookings are cancelled
 * (with a message, and out of the calendar feed); the return is on or after the agreed re-join date
 * unless staff record an earlier return to cover missed content (2.3.5); staff can agree another
 * re-join date with a reason, within the new cohort's timeline.
 */
let w: DemoWorld;
let south: Session;
let c: DeferralCaseView;
let enrolmentId: number;
let participantId: number;
let oldCohortId: number;
let futureBookingId: number;
let attendedBookingId: number;
let coachId: number;
let futureSlotId: number;
let futureSessionId: number;
let attendedSessionId: number;

const deps = () => ({ db: w.t.db, clock: w.clock });
const get = (s: Session, url: string) => s.request({ method: 'GET', url });
const post = (s: Session, url: string, payload: Record<string, unknown>) =>
  s.request({ method: 'POST', url, payload });
const at = (iso: string) => {
  w.clock.now = () => new Date(iso);
};
const parts = (prefix: string, iso: string) => {
  const [y, m, d] = iso.split('-');
  return {
    [`${prefix}-day`]: String(Number(d)),
    [`${prefix}-month`]: String(Number(m)),
    [`${prefix}-year`]: y!,
  };
};
async function caseRow() {
  const [row] = await queryRows<{
    version: number;
    status: string;
    rejoin_date: string;
    rejoin_date_reason: string | null;
    early_return_reason: string | null;
    intent_contact_due_on: string;
  }>(
    w.t.db,
    sql`select version, status, rejoin_date::text, rejoin_date_reason, early_return_reason,
               intent_contact_due_on::text from deferral_case where id = ${c.id}`,
  );
  return row!;
}

beforeAll(async () => {
  w = await createDemoWorld();
  south = await w.signIn('partner.south@demo.npq-ops.test');
  const [e] = await queryRows<{ id: number; participant_id: number; cohort_id: number }>(
    w.t.db,
    sql`select e.id, e.participant_id, e.cohort_id from enrolment e join participant p on p.id = e.participant_id
        where p.email = 'participant1@demo.npq-ops.test'`,
  );
  enrolmentId = e!.id;
  participantId = e!.participant_id;
  oldCohortId = e!.cohort_id;
  at('2026-03-16T10:00:00Z');
  const staff = await w.actor('partner.south@demo.npq-ops.test');
  c = await requestDeferral(deps(), staff, {
    enrolmentId,
    circumstance: 'maternity_leave',
    description: 'Baby due in April',
  });
  c = await recordDeferralDiscussion(deps(), staff, c.id, {
    expectedVersion: c.version,
    alternativesOffered: ['defer', 'continue_with_current_cohort'],
    participantChoice: 'defer',
  });
  c = await approveDeferral(deps(), staff, c.id, { expectedVersion: c.version });
  c = await startDeferral(deps(), staff, c.id, { expectedVersion: c.version });
  c = await confirmReturn(
    { db: w.t.db, clock: fixedClock(`${c.intentContactDueOn}T09:00:00Z`) },
    staff,
    c.id,
    { expectedVersion: c.version },
  );
  // Two bookings with the old cohort: one attended in the past, one still to come (after the return).
  const [clinic] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select a.id from programme_activity a join cohort co on co.programme_id = a.programme_id
        where co.id = ${oldCohortId} and a.kind = 'clinic' order by a.id limit 1`,
  );
  const events = await queryRows<{ id: number }>(
    w.t.db,
    sql`insert into cohort_event (cohort_id, activity_id, starts_at, ends_at, location, published_on)
        values (${oldCohortId}, ${clinic!.id}, '2026-02-10T16:00:00Z', '2026-02-10T17:00:00Z', 'Online', '2026-01-01'),
               (${oldCohortId}, ${clinic!.id}, ${`${addDays(c.rejoinDate!, 20)}T16:00:00Z`}, ${`${addDays(c.rejoinDate!, 20)}T17:00:00Z`}, 'Online', '2026-01-01')
        returning id`,
  );
  const bookings = await queryRows<{ id: number }>(
    w.t.db,
    sql`insert into event_booking (participant_id, enrolment_id, cohort_event_id, status, booked_at)
        values (${participantId}, ${enrolmentId}, ${events[0]!.id}, 'attended', '2026-01-20T10:00:00Z'),
               (${participantId}, ${enrolmentId}, ${events[1]!.id}, 'booked', '2026-01-20T10:00:00Z')
        returning id`,
  );
  attendedBookingId = bookings[0]!.id;
  futureBookingId = bookings[1]!.id;
  // And two coaching sessions with the coach: one attended in the past, one still to come, in the
  // coach's slot (booked before the deferral).
  const [coach] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select id from app_user where email = 'coach@demo.npq-ops.test'`,
  );
  coachId = coach!.id;
  await w.t.db.execute(
    sql`insert into staff_assignment (participant_id, user_id) values (${participantId}, ${coachId})
        on conflict do nothing`,
  );
  const [coaching] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select id from programme_activity where kind = 'coaching' order by id limit 1`,
  );
  const soon = `${addDays(c.rejoinDate!, 10)}T09:00:00Z`;
  const soonEnd = `${addDays(c.rejoinDate!, 10)}T09:45:00Z`;
  const slots = await queryRows<{ id: number }>(
    w.t.db,
    sql`insert into coaching_slot (coach_user_id, starts_at, ends_at, mode, place)
        values (${coachId}, '2026-02-03T09:00:00Z', '2026-02-03T09:45:00Z', 'online', 'https://meet.example.org/a'),
               (${coachId}, ${soon}, ${soonEnd}, 'online', 'https://meet.example.org/b')
        returning id`,
  );
  futureSlotId = slots[1]!.id;
  const sessions = await queryRows<{ id: number }>(
    w.t.db,
    sql`insert into coaching_session (enrolment_id, participant_id, coach_user_id, activity_id, starts_at, ends_at, status, slot_id)
        values (${enrolmentId}, ${participantId}, ${coachId}, ${coaching!.id}, '2026-02-03T09:00:00Z', '2026-02-03T09:45:00Z', 'attended', ${slots[0]!.id}),
               (${enrolmentId}, ${participantId}, ${coachId}, ${coaching!.id}, ${soon}, ${soonEnd}, 'scheduled', ${futureSlotId})
        returning id`,
  );
  attendedSessionId = sessions[0]!.id;
  futureSessionId = sessions[1]!.id;
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

describe('agreeing a re-join date other than the provisional one (2.3.5)', () => {
  it('refuses 1 January 1900, a date outside the new cohort, and a changed date with no reason, as field errors', async () => {
    at(`${c.intentContactDueOn}T10:00:00Z`);
    const page = await get(south, `/cases/deferrals/${c.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('data-testid="rejoin-date-form"');
    const version = String((await caseRow()).version);

    const ancient = await post(south, `/cases/deferrals/${c.id}/rejoin-date`, {
      expectedVersion: version,
      ...parts('rejoinOn', '1900-01-01'),
      rejoinDateReason: 'Old date',
    });
    expect(ancient.statusCode).toBe(422);
    expect(ancient.body).toContain('href="#rejoinOn"');
    expect(ancient.body).toContain('timeline');

    const noReason = await post(south, `/cases/deferrals/${c.id}/rejoin-date`, {
      expectedVersion: version,
      ...parts('rejoinOn', addDays(c.rejoinDate!, 7)),
    });
    expect(noReason.statusCode).toBe(422);
    expect(noReason.body).toContain('href="#rejoinDateReason"');

    const api = await south.request({
      method: 'POST',
      url: `/api/v1/deferral-cases/${c.id}/rejoin-date`,
      payload: { expectedVersion: Number(version), rejoinOn: '2099-12-25', rejoinDateReason: 'x' },
    });
    expect(api.statusCode).toBe(422);
    expect(JSON.stringify(api.json())).toContain('rejoinOn');
    expect((await caseRow()).rejoin_date).toBe(c.rejoinDate);
  });

  it('agrees a later date with a reason, and moves the intent contact with it', async () => {
    const version = String((await caseRow()).version);
    const later = addDays(c.rejoinDate!, 7);
    const ok = await post(south, `/cases/deferrals/${c.id}/rejoin-date`, {
      expectedVersion: version,
      ...parts('rejoinOn', later),
      rejoinDateReason: 'Returns from leave a week later',
    });
    expect(ok.statusCode).toBe(303);
    const row = await caseRow();
    expect(row.rejoin_date).toBe(later);
    expect(row.rejoin_date_reason).toBe('Returns from leave a week later');
    expect(row.intent_contact_due_on).toBe(addDays(later, -28));
    c = { ...c, rejoinDate: later };
  });
});

describe('resuming (2.3.5, 2.3.6)', () => {
  it('refuses a return before the agreed date without a reason recorded', async () => {
    at(`${addDays(c.rejoinDate!, -3)}T10:00:00Z`);
    const page = await get(south, `/cases/deferrals/${c.id}`);
    expect(page.body).toContain('id="earlyReturnReason"');
    const refused = await post(south, `/cases/deferrals/${c.id}/resume`, {
      expectedVersion: String((await caseRow()).version),
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.body).toContain('href="/policy#clause-2-3-5"');
    expect((await caseRow()).status).toBe('confirmed');
    // A year early, as the issue found, is refused the same way.
    at(`${addDays(c.rejoinDate!, -400)}T10:00:00Z`);
    const yearEarly = await south.request({
      method: 'POST',
      url: `/api/v1/deferral-cases/${c.id}/resume`,
      payload: { expectedVersion: (await caseRow()).version },
    });
    expect(yearEarly.statusCode).toBe(422);
    // The one refusal shape: code, the unmet reason with its clause, and the policy version.
    expect(yearEarly.json()).toMatchObject({
      code: 'POLICY_REFUSED',
      policyVersion: expect.any(String),
      reasons: [{ code: 'DEFERRAL.BEFORE_REJOIN_DATE', clause: '2.3.5', met: false }],
    });
    // The day before the agreed date, through the API, is refused the same way; nothing changed.
    at(`${addDays(c.rejoinDate!, -1)}T10:00:00Z`);
    const dayBefore = await south.request({
      method: 'POST',
      url: `/api/v1/deferral-cases/${c.id}/resume`,
      payload: { expectedVersion: (await caseRow()).version },
    });
    expect(dayBefore.statusCode).toBe(422);
    expect(dayBefore.json()).toMatchObject({
      code: 'POLICY_REFUSED',
      reasons: [{ code: 'DEFERRAL.BEFORE_REJOIN_DATE', clause: '2.3.5', met: false }],
    });
    expect((await caseRow()).status).toBe('confirmed');
    const [enrolment] = await queryRows<{ status: string; cohort_id: number }>(
      w.t.db,
      sql`select status, cohort_id from enrolment where id = ${enrolmentId}`,
    );
    expect(enrolment).toEqual({ status: 'deferred', cohort_id: oldCohortId });
  });

  it('resumes early to cover missed content, cancels the old cohort’s future bookings, tells the participant, and drops them from the calendar', async () => {
    const { token } = await issueCalendarFeed(
      deps(),
      await w.actor('participant1@demo.npq-ops.test'),
    );
    const before = await calendarFeedIcs(deps(), token);
    expect(before).toContain(`booking-${futureBookingId}`);
    expect(before).toContain(`coaching-${futureSessionId}`);

    at(`${addDays(c.rejoinDate!, -3)}T10:00:00Z`);
    const resumed = await post(south, `/cases/deferrals/${c.id}/resume`, {
      expectedVersion: String((await caseRow()).version),
      earlyReturnReason: 'To cover module 2, missed before the deferral was agreed',
    });
    expect(resumed.statusCode).toBe(303);
    const row = await caseRow();
    expect(row.status).toBe('resumed');
    expect(row.early_return_reason).toBe(
      'To cover module 2, missed before the deferral was agreed',
    );

    const bookings = await queryRows<{ id: number; status: string }>(
      w.t.db,
      sql`select id, status from event_booking where enrolment_id = ${enrolmentId} order by id`,
    );
    expect(bookings.find((b) => b.id === futureBookingId)?.status).toBe('cancelled');
    expect(bookings.find((b) => b.id === attendedBookingId)?.status).toBe('attended');

    const [message] = await queryRows<{ next_steps: string }>(
      w.t.db,
      sql`select personalisation->>'next_steps' as next_steps from email_message
          where notice_key = ${`decision:deferral:${c.id}:resumed`}`,
    );
    expect(message!.next_steps).toContain('cancelled and removed from your calendar');

    const after = await calendarFeedIcs(deps(), token);
    expect(after).not.toContain(`booking-${futureBookingId}`);
    expect(after).not.toContain(`coaching-${futureSessionId}`);
    expect(after).toContain(`coaching-${attendedSessionId}`);

    // The coaching session still to come is cancelled too; the one attended stays attended.
    const sessions = await queryRows<{ id: number; status: string; cancelled: boolean }>(
      w.t.db,
      sql`select id, status, cancelled_at is not null as cancelled from coaching_session
          where enrolment_id = ${enrolmentId} order by id`,
    );
    expect(sessions.find((s) => s.id === futureSessionId)).toMatchObject({
      status: 'cancelled',
      cancelled: true,
    });
    expect(sessions.find((s) => s.id === attendedSessionId)?.status).toBe('attended');
    // Participant and coach are told, once each, through the outbox.
    const told = await queryRows<{ template: string; what: string }>(
      w.t.db,
      sql`select template, personalisation->>'what' as what from email_message
          where notice_key in (${`coaching:${futureSessionId}:cancelled`}, ${`coaching_coach:${futureSessionId}:cancelled`})
          order by template`,
    );
    expect(told.map((t) => t.template)).toEqual(['notice_coaching', 'notice_coaching_coach']);
    expect(told.every((t) => /re-join/i.test(t.what))).toBe(true);
    expect(message!.next_steps).toMatch(/Coaching/);
    // The coach's slot is free again, for anyone they coach.
    const { slots } = await listMySlots(deps(), await w.actor('coach@demo.npq-ops.test'));
    expect(slots.find((s) => s.id === futureSlotId)).toMatchObject({ sessionId: null });
    const [audited] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from audit_event where what = 'BOOKINGS_CANCELLED_ON_RESUME'
          and subject_id = ${String(enrolmentId)}`,
    );
    expect(audited!.n).toBe(1);
    const [coachingAudit] = await queryRows<{ ids: number[] }>(
      w.t.db,
      sql`select details->'coachingSessionIds' as ids from audit_event
          where what = 'BOOKINGS_CANCELLED_ON_RESUME' and subject_id = ${String(enrolmentId)}`,
    );
    expect(coachingAudit!.ids).toEqual([futureSessionId]);
  });

  it('shows the study sessions done before the deferral as Completed on My programme in the new cohort', async () => {
    const [now] = await queryRows<{ cohort_id: number }>(
      w.t.db,
      sql`select cohort_id from enrolment where id = ${enrolmentId}`,
    );
    expect(now!.cohort_id).not.toBe(oldCohortId);
    const done = await queryRows<{ title: string }>(
      w.t.db,
      sql`select distinct a.title from engagement_record r
          join programme_activity a on a.id = r.activity_id and a.kind = 'study_session'
          where r.participant_id = ${participantId} order by a.title`,
    );
    expect(done.length).toBeGreaterThan(0);
    const me = await w.signIn('participant1@demo.npq-ops.test');
    const page = await get(me, '/my-programme');
    expect(page.statusCode).toBe(200);
    const items = page.body.split('govuk-task-list__item').slice(1);
    for (const { title } of done) {
      const item = items.find((i) => i.includes(`>${title}<`) || i.includes(`${title}\n`));
      expect(item, title).toBeDefined();
      expect(item, title).toContain('Completed');
      expect(item, title).not.toContain('Locked');
    }
  });
});
