import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { fixedClock } from '../../src/clock.js';
import type { Decision } from '../../src/policy/index.js';
import { assign } from '../../src/services/assignments.js';
import { bookEvent, listClinicSlots } from '../../src/services/bookings.js';
import { bookCoaching } from '../../src/services/coaching-bookings.js';
import { recordAttendance } from '../../src/services/engagement/attendance.js';
import { completeStudySession } from '../../src/services/engagement/completion.js';
import { getEnrolmentEngagement } from '../../src/services/engagement/read.js';
import { PolicyRefusalError } from '../../src/services/errors.js';
import { clinicNextForTwo } from '../support/clinic-candidates.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';
import { approveVersion } from '../support/policy-versions.js';

/**
 * Issue 16 (3.1.1: every decision keeps the version it was made under), the decisions that use no
 * number of their own: clinic booking and attendance (2.2.1.2), the status check before a booking,
 * study-session access (2.2.1.1), coaching (2.2.1.3). Version 2.4 (a 95% threshold; nothing these
 * rules read) comes into force on 17 March 2026, the day after the demo's today: on the 16th each
 * decision says 2.2, from the 17th it says 2.4.
 */
let w: DemoWorld;
const BEFORE = new Date('2026-03-16T09:00:00Z');
const ON = new Date('2026-03-17T09:00:00Z');
const depsAt = (at: Date) => ({ db: w.t.db, clock: fixedClock(at) });
const ADMIN = 'admin@demo.npq-ops.test';

beforeAll(async () => {
  w = await createDemoWorld(); // today 2026-03-16
  await approveVersion(w, '2.4', { engagementThresholdBp: '95' }, '2026-03-17');
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

const refusalOf = async (p: Promise<unknown>): Promise<Decision> => {
  const error = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(PolicyRefusalError);
  return (error as PolicyRefusalError).decision;
};

/** A clinic slot after `after` that is next in sequence for at least two active enrolments. */
async function clinicForTwo(after: Date): Promise<{ eventId: number; enrolmentIds: number[] }> {
  const clinic = await clinicNextForTwo(w.t.db, after);
  expect(clinic).toBeDefined();
  return clinic!;
}

describe('clinics (2.2.1.2) decide under the version in force', () => {
  it('a clinic booking made on 16 March says 2.2, one made on 17 March says 2.4; so does its attendance', async () => {
    const { eventId, enrolmentIds } = await clinicForTwo(ON);
    const admin = await w.actor(ADMIN);
    const before = await bookEvent(depsAt(BEFORE), admin, {
      enrolmentId: enrolmentIds[0]!,
      cohortEventId: eventId,
    });
    const on = await bookEvent(depsAt(ON), admin, {
      enrolmentId: enrolmentIds[1]!,
      cohortEventId: eventId,
    });
    expect([before.decision.outcome, before.decision.policyVersion]).toEqual(['allowed', '2.2']);
    expect([on.decision.outcome, on.decision.policyVersion]).toEqual(['allowed', '2.4']);
    // The audit keeps the decision with its version.
    const audited = await queryRows<{ version: string }>(
      w.t.db,
      sql`select details->'decision'->>'policyVersion' as version from audit_event
          where what = 'CLINIC_BOOKED' and subject_id in (${before.booking.id}, ${on.booking.id})
          order by subject_id`,
    );
    expect(audited.map((a) => a.version)).toEqual(
      before.booking.id < on.booking.id ? ['2.2', '2.4'] : ['2.4', '2.2'],
    );

    // Attendance is decided under the version in force on the day of the clinic (17 March or later).
    const [event] = await queryRows<{ starts_at: string | Date }>(
      w.t.db,
      sql`select starts_at from cohort_event where id = ${eventId}`,
    );
    const afterClinic = new Date(new Date(event!.starts_at).getTime() + 3 * 3_600_000);
    const attended = await recordAttendance(depsAt(afterClinic), admin, {
      enrolmentId: enrolmentIds[0]!,
      cohortEventId: eventId,
    });
    expect(attended.changed).toBe(true);
    expect([attended.decision?.outcome, attended.decision?.policyVersion]).toEqual([
      'allowed',
      '2.4',
    ]);
  });

  it('the clinic dates offered to a participant carry the version of the day', async () => {
    const { enrolmentIds } = await clinicForTwo(ON);
    const admin = await w.actor(ADMIN);
    const versions = async (at: Date) =>
      new Set(
        (await listClinicSlots(depsAt(at), admin, enrolmentIds[0]!)).flatMap((s) =>
          s.decision ? [s.decision.policyVersion] : [],
        ),
      );
    expect(await versions(BEFORE)).toEqual(new Set(['2.2']));
    expect(await versions(ON)).toEqual(new Set(['2.4']));
  });
});

describe('the enrolment-status check before a booking', () => {
  it('refuses a deferred participant’s booking under the version in force', async () => {
    const [row] = await queryRows<{ id: number; event_id: number }>(
      w.t.db,
      sql`select e.id, (select ce.id from cohort_event ce where ce.cohort_id = e.cohort_id
                          and ce.starts_at > ${ON} order by ce.starts_at limit 1) as event_id
          from enrolment e where e.status = 'deferred' order by e.id limit 1`,
    );
    expect(row?.event_id).toBeTypeOf('number');
    const admin = await w.actor(ADMIN);
    const book = (at: Date) =>
      bookEvent(depsAt(at), admin, { enrolmentId: row!.id, cohortEventId: row!.event_id });
    const before = await refusalOf(book(BEFORE));
    const on = await refusalOf(book(ON));
    expect([before.reasons[0]?.code, before.policyVersion]).toEqual(['ACCESS.DEFERRED', '2.2']);
    expect([on.reasons[0]?.code, on.policyVersion]).toEqual(['ACCESS.DEFERRED', '2.4']);
  });
});

describe('study sessions (2.2.1.1)', () => {
  it('completing a study session on 17 March is decided under 2.4', async () => {
    const active = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from enrolment where status = 'active' order by id`,
    );
    const admin = await w.actor(ADMIN);
    const all = await Promise.all(
      active.map(({ id }) => getEnrolmentEngagement(depsAt(ON), admin, id)),
    );
    expect(new Set(all.flatMap((e) => e.sessions.map((s) => s.decision.policyVersion)))).toEqual(
      new Set(['2.4']),
    );
    const engagement = all.find((e) => e.sessions.some((s) => s.state === 'open'));
    const open = engagement?.sessions.find((s) => s.state === 'open');
    expect(open).toBeDefined();
    const done = await completeStudySession(depsAt(ON), admin, {
      enrolmentId: engagement!.enrolmentId,
      activityId: open!.activityId,
    });
    expect([done.changed, done.decision.outcome, done.decision.policyVersion]).toEqual([
      true,
      'allowed',
      '2.4',
    ]);
  });
});

describe('coaching (2.2.1.3)', () => {
  it('a coaching booking and a refused coach assignment carry the version in force', async () => {
    // An NPQEL participant and the coach assigned to them in the demo.
    const [row] = await queryRows<{ id: number; coach_user_id: number }>(
      w.t.db,
      sql`select e.id, sa.user_id as coach_user_id from enrolment e join cohort c on c.id = e.cohort_id
          join programme pr on pr.id = c.programme_id
          join staff_assignment sa on sa.participant_id = e.participant_id
          join app_user u on u.id = sa.user_id and u.role = 'coach'
          where pr.coaching_entitled and e.status = 'active'
          order by e.id limit 1`,
    );
    expect(row).toBeDefined();
    const coach = { userId: row!.coach_user_id };
    const admin = await w.actor(ADMIN);
    const startsAt = new Date('2026-03-25T14:00:00Z');
    const endsAt = new Date('2026-03-25T15:00:00Z');
    await w.t.db
      .execute(sql`insert into coaching_slot (coach_user_id, starts_at, ends_at, mode, place)
      values (${coach.userId}, ${startsAt}, ${endsAt}, 'online', 'https://meet.example.org/v')`);
    const booked = await bookCoaching(depsAt(ON), admin, {
      enrolmentId: row!.id,
      coachUserId: coach.userId,
      startsAt,
      endsAt,
    });
    expect([booked.decision.outcome, booked.decision.policyVersion]).toEqual(['allowed', '2.4']);

    // A participant on a course without coaching cannot be given a coach (2.2.1.3).
    const [other] = await queryRows<{ participant_id: number }>(
      w.t.db,
      sql`select e.participant_id from enrolment e join cohort c on c.id = e.cohort_id
          join programme pr on pr.id = c.programme_id
          where not pr.coaching_entitled and e.status = 'active'
            and not exists (select 1 from enrolment e2 join cohort c2 on c2.id = e2.cohort_id
                            join programme p2 on p2.id = c2.programme_id
                            where e2.participant_id = e.participant_id and p2.coaching_entitled)
          order by e.id limit 1`,
    );
    const refused = await refusalOf(
      assign(depsAt(ON), admin, {
        kind: 'coach',
        userId: coach.userId,
        participantId: other!.participant_id,
      }),
    );
    expect([refused.reasons[0]?.clause, refused.policyVersion]).toEqual(['2.2.1.3', '2.4']);
  });
});
