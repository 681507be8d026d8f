import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import type { Actor } from '../../src/services/actor.js';
import { listBookings } from '../../src/services/bookings.js';
import { runDailyProcessing } from '../../src/services/daily.js';
import { currentDeferralOf } from '../../src/services/deferral-status.js';
import { getEnrolmentEngagement } from '../../src/services/engagement/read.js';
import { openAlertsForEnrolments } from '../../src/services/engagement-alerts.js';
import { NotFoundError } from '../../src/services/errors.js';
import { contactDetailsFor } from '../../src/services/organisations/contacts.js';
import {
  loadParticipantSnapshot,
  type ParticipantSnapshot,
} from '../../src/services/participant-snapshot.js';
import { enrolmentsOf, getEnrolment, getParticipant } from '../../src/services/participants.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';

/**
 * The participant snapshot (issue 13) is one statement standing in for six services' reads: for
 * every enrolment of the demo, it must answer exactly what those services answer on their own.
 */
const DAY = '2026-03-16';
let w: DemoWorld;
let admin: Actor;
let participant: Actor;
let otherPartner: Actor;
let enrolments: { id: number; cohort_id: number; status: string }[];
const deps = () => ({ db: w.t.db, clock: fixedClock(`${DAY}T10:00:00Z`) });

beforeAll(async () => {
  w = await createDemoWorld();
  // The daily job raises the engagement alerts, so some enrolments have open ones.
  await runDailyProcessing({
    db: w.t.db,
    clock: fixedClock(`${DAY}T06:00:00Z`),
    wallClock: w.sessionClock,
  });
  // Bookings, coaching and agreed deferrals, which the small demo has none of: each enrolment of
  // the first few books its cohort's first two events (one cancelled since), some have coaching
  // (with a coach's note), one is deferred with an agreed case and one without a case.
  await w.t.db.execute(
    sql`insert into event_booking (participant_id, enrolment_id, cohort_event_id, status, booked_at, cancelled_at)
        select e.participant_id, e.id, ce.id, case when ce.rn = 2 then 'cancelled' else 'booked' end,
               '2025-12-01T10:00:00Z', case when ce.rn = 2 then '2025-12-02T10:00:00.123456Z'::timestamptz end
        from (select id, participant_id, cohort_id from enrolment order by id limit 6) e
        join lateral (select ce.id, row_number() over (order by ce.starts_at, ce.id) as rn
                      from cohort_event ce where ce.cohort_id = e.cohort_id order by ce.starts_at, ce.id limit 2) ce on true`,
  );
  await w.t.db.execute(
    sql`insert into coaching_session (enrolment_id, participant_id, coach_user_id, activity_id, starts_at, ends_at, status, note)
        select e.id, e.participant_id, (select id from app_user where role = 'coach' order by id limit 1),
               (select a.id from programme_activity a where a.programme_id = c.programme_id order by a.position limit 1),
               t.starts_at, t.starts_at + interval '1 hour', 'scheduled', 'A note for staff'
        from (select id, participant_id, cohort_id from enrolment order by id limit 3) e
        join cohort c on c.id = e.cohort_id
        cross join (values ('2026-04-01T09:00:00Z'::timestamptz), ('2026-03-20T14:30:00Z'::timestamptz)) t(starts_at)`,
  );
  await w.t.db.execute(
    sql`with target as (
          select e.id, e.participant_id, e.cohort_id from enrolment e where e.status = 'active'
          order by e.id desc offset 1 limit 1)
        , deferred as (update enrolment set status = 'deferred' where id = (select id from target) returning id)
        insert into deferral_case (enrolment_id, participant_id, status, circumstance, description, dfe_reason,
                                   requested_on, requested_by, target_cohort_id, rejoin_activity_id, rejoin_date,
                                   rejoin_plan, intent_contact_due_on, reasonable_adjustments)
        select t.id, t.participant_id, 'deferred', 'illness', 'Time off', 'bereavement', '2026-01-05',
               (select id from app_user where role = 'admin' order by id limit 1),
               (select c2.id from cohort c2 where c2.id <> t.cohort_id order by c2.start_date desc limit 1),
               (select a.id from cohort c join programme_activity a on a.programme_id = c.programme_id
                where c.id = t.cohort_id order by a.position limit 1),
               '2026-09-01', '{"catchUpActivityIds": [1, 2]}'::jsonb, '2026-07-01', 'Step-free access'
        from target t where (select count(*) from deferred) = 1`,
  );
  // One deferral without a case (an imported deferral), beside the agreed case.
  await w.t.db.execute(
    sql`update enrolment set status = 'deferred' where id = (
          select e.id from enrolment e where e.status = 'active'
            and not exists (select 1 from deferral_case d where d.enrolment_id = e.id)
          order by e.id desc limit 1)`,
  );
  [admin, participant, otherPartner] = await Promise.all([
    w.actor('admin@demo.npq-ops.test'),
    w.actor('participant1@demo.npq-ops.test'),
    w.actor('partner.south@demo.npq-ops.test'),
  ]);
  enrolments = await queryRows(
    w.t.db,
    sql`select id, cohort_id, status from enrolment order by id`,
  );
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

/** The module schedule as the page's own query read it before the snapshot. */
async function moduleSchedule(cohortId: number) {
  const rows = await queryRows<{
    id: number;
    position: number;
    title: string;
    release_date: string;
    ideal_window_start: string;
    ideal_window_end: string;
  }>(
    w.t.db,
    sql`select m.id, m.position, m.title, r.release_date::text, r.ideal_window_start::text, r.ideal_window_end::text
        from cohort c join programme_module m on m.programme_id = c.programme_id
        join cohort_module_release r on r.cohort_id = c.id and r.module_id = m.id
        where c.id = ${cohortId} order by m.position`,
  );
  return rows.map((r) => ({
    id: r.id,
    position: r.position,
    title: r.title,
    releaseDate: r.release_date,
    idealWindowStart: r.ideal_window_start,
    idealWindowEnd: r.ideal_window_end,
  }));
}

async function separately(actor: Actor, enrolmentId: number, cohortId: number) {
  const [record, engagement, bookings, alerts, currentDeferral, modules] = await Promise.all([
    getEnrolment(deps(), actor, enrolmentId),
    getEnrolmentEngagement(deps(), actor, enrolmentId),
    listBookings(deps(), actor, enrolmentId),
    openAlertsForEnrolments(w.t.db, actor, [enrolmentId]),
    currentDeferralOf(deps(), actor, enrolmentId),
    moduleSchedule(cohortId),
  ]);
  return {
    cohort: record.cohort,
    engagement,
    bookings,
    alerts,
    currentDeferral,
    contact: currentDeferral ? await contactDetailsFor(deps(), actor, enrolmentId) : null,
    modules,
  };
}

const parts = (s: ParticipantSnapshot) => ({
  cohort: s.cohort,
  engagement: s.engagement,
  bookings: s.bookings,
  alerts: s.alerts,
  currentDeferral: s.currentDeferral,
  contact: s.contact,
  modules: s.modules,
});

describe('participant snapshot', () => {
  // Every enrolment is compared, a quarter per test, so that no one test grows with the demo and
  // each stays well inside its time limit on a busy machine (issue 17).
  it.each([0, 1, 2, 3])(
    'answers, for every enrolment (quarter %i), what the separate services answer',
    async (quarter) => {
      const slice = enrolments.filter((_, i) => i % 4 === quarter);
      expect(slice.length).toBeGreaterThan(0);
      for (const e of slice) {
        const snapshot = await loadParticipantSnapshot(deps(), admin, e.id);
        expect(parts(snapshot), `enrolment ${e.id}`).toEqual(
          await separately(admin, e.id, e.cohort_id),
        );
      }
    },
  );

  it('the enrolments compared have every part filled somewhere, not only empty lists', async () => {
    const seen = { events: 0, coaching: 0, alerts: 0, deferrals: 0, caseless: 0, rejoins: 0 };
    for (const e of enrolments) {
      const snapshot = await loadParticipantSnapshot(deps(), admin, e.id);
      seen.events += snapshot.bookings.events.length > 0 ? 1 : 0;
      seen.coaching += snapshot.bookings.coaching.length > 0 ? 1 : 0;
      seen.alerts += snapshot.alerts.length > 0 ? 1 : 0;
      seen.deferrals += snapshot.currentDeferral ? 1 : 0;
      seen.caseless += snapshot.currentDeferral && snapshot.currentDeferral.caseId === null ? 1 : 0;
      seen.rejoins += snapshot.rejoin ? 1 : 0;
    }
    expect(
      Object.values(seen).every((n) => n > 0),
      JSON.stringify(seen),
    ).toBe(true);
  });

  it('gives a deferred enrolment the cohort and day it re-joins, and others none', async () => {
    const [row] = await queryRows<{ id: number; cohort_name: string; rejoin_date: string }>(
      w.t.db,
      sql`select e.id, c.name as cohort_name, dc.rejoin_date::text from enrolment e
          join deferral_case dc on dc.enrolment_id = e.id join cohort c on c.id = dc.target_cohort_id
          where e.status = 'deferred' and dc.rejoin_date is not null
            and dc.status in ('deferred', 'intent_contact_due', 'confirmed')
          order by e.id, dc.id desc limit 1`,
    );
    expect(row).toBeDefined();
    const snapshot = await loadParticipantSnapshot(deps(), admin, row!.id);
    expect(snapshot.rejoin).toEqual({ cohortName: row!.cohort_name, on: row!.rejoin_date });
    const active = enrolments.find((e) => e.status === 'active')!;
    expect((await loadParticipantSnapshot(deps(), admin, active.id)).rejoin).toBeNull();
  });

  it("hides the coach's notes from the participant, as listBookings does", async () => {
    const [own] = await enrolmentsOf(w.t.db, participant, participant.participantId!);
    const snapshot = await loadParticipantSnapshot(deps(), participant, own!.id);
    expect(parts(snapshot)).toEqual(await separately(participant, own!.id, own!.cohortId));
    expect(snapshot.bookings.coaching.every((c) => c.note === null)).toBe(true);
  });

  it('is not found for an enrolment the actor may not see', async () => {
    const [own] = await enrolmentsOf(w.t.db, participant, participant.participantId!);
    const other = enrolments.find((e) => e.id !== own!.id)!;
    await expect(loadParticipantSnapshot(deps(), participant, other.id)).rejects.toBeInstanceOf(
      NotFoundError,
    );
    const hidden = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from enrolment where delivery_partner_id <> ${otherPartner.deliveryPartnerId} order by id limit 1`,
    );
    await expect(
      loadParticipantSnapshot(deps(), otherPartner, hidden[0]!.id),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  it("lists a participant's own enrolments as getParticipant does, in one statement", async () => {
    const mine = await enrolmentsOf(w.t.db, participant, participant.participantId!);
    expect(mine.length).toBeGreaterThan(0);
    expect(mine).toEqual(
      (await getParticipant(deps(), participant, participant.participantId!)).enrolments,
    );
    // Someone who may see none of them gets an empty list, not an error.
    const [stranger] = await queryRows<{ participant_id: number }>(
      w.t.db,
      sql`select e.participant_id from enrolment e group by e.participant_id
          having bool_and(e.delivery_partner_id <> ${otherPartner.deliveryPartnerId}) order by 1 limit 1`,
    );
    expect(await enrolmentsOf(w.t.db, admin, stranger!.participant_id)).not.toEqual([]);
    expect(await enrolmentsOf(w.t.db, otherPartner, stranger!.participant_id)).toEqual([]);
  });
});
