import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../db/client.js';
import type { EnrolmentFacts } from '../../db/queries/enrolment-facts.js';
import type { ActivityKind } from '../../domain/catalogue.js';
import {
  evaluateClinicAttendance,
  evaluateCoachingEntitlement,
  londonDateOf,
  type ClinicAccommodation,
  type Decision,
} from '../../policy/index.js';
import type { Actor } from '../actor.js';
import { audit } from '../audit.js';
import { requireEnrolment } from '../authorisation.js';
import { loadClinicHistory, type AccommodationInput, type Tx } from '../bookings.js';
import { commenceIfDue } from '../commencement.js';
import { ConflictError, NotFoundError, PolicyRefusalError, ValidationError } from '../errors.js';
import type { ServiceDeps } from '../participants.js';
import { registerInForce } from '../policy-register.js';
import { loadFacts } from './completion.js';
import { insertRecords } from './ingest-rows.js';

type Executor = Pick<Db, 'execute'>;

const EVENT_KINDS: readonly ActivityKind[] = ['clinic', 'community_session', 'conference'];

/** The source event id of attendance recorded by staff, one per participant and activity. */
export const attendanceEventId = (participantId: number, activityId: number) =>
  `attendance-${participantId}-${activityId}`;
export interface AttendanceInput {
  enrolmentId: number;
  cohortEventId?: number | undefined;
  coachingSessionId?: number | undefined;
  /** Staff agreeing, for a part-time participant, that a clinic attended out of order counts (2.2.1.2). */
  accommodation?: AccommodationInput | undefined;
}

export interface AttendanceResult {
  enrolmentId: number;
  activityId: number;
  kind: ActivityKind;
  /** False when this attendance was already recorded. */
  changed: boolean;
  bookingId: number | null;
  coachingSessionId: number | null;
  /** The clinic sequence decision (2.2.1.2) or the coaching entitlement (2.2.1.3); null for other events. */
  decision: Decision | null;
}

/**
 * Records attendance at a clinic, community session or conference (a cohort event) or at a coaching
 * session, and marks the matching booking or session attended. Delivery-partner staff, the
 * programme team and admins record for participants they can see; a facilitator for events
 * assigned to them; a coach for their own participants' coaching.
 */
export async function recordAttendance(
  deps: ServiceDeps,
  actor: Actor,
  input: AttendanceInput,
): Promise<AttendanceResult> {
  if ((input.cohortEventId === undefined) === (input.coachingSessionId === undefined)) {
    throw new ValidationError([
      { path: 'cohortEventId', message: 'Give either a cohort event or a coaching session.' },
    ]);
  }
  return deps.db.transaction(async (tx) => {
    const facilitatorOfEvent =
      actor.role === 'facilitator' &&
      input.cohortEventId !== undefined &&
      (
        await queryRows(
          tx,
          sql`select 1 from staff_assignment where user_id = ${actor.userId} and cohort_event_id = ${input.cohortEventId}`,
        )
      ).length > 0;
    if (!facilitatorOfEvent) {
      await requireEnrolment(tx, actor, input.enrolmentId);
      // A coach may see only their assigned participants, so seeing the enrolment is the check.
      const coachOfSession = actor.role === 'coach' && input.coachingSessionId !== undefined;
      if (!coachOfSession) await requireEnrolment(tx, actor, input.enrolmentId, 'write');
    }
    const facts = await loadFacts(tx, input.enrolmentId);
    return input.cohortEventId !== undefined
      ? attendEvent(tx, deps, actor, facts, input.cohortEventId, input.accommodation)
      : attendCoaching(tx, deps, actor, facts, input.coachingSessionId!);
  });
}

async function attendEvent(
  tx: Tx,
  deps: ServiceDeps,
  actor: Actor,
  facts: EnrolmentFacts,
  cohortEventId: number,
  accommodationInput: AccommodationInput | undefined,
): Promise<AttendanceResult> {
  const now = deps.clock.now();
  const participantId = facts.participant.id;
  const [event] = await queryRows<{
    activity_id: number;
    kind: ActivityKind;
    sequence_number: number;
    programme_id: number;
    cohort_id: number;
    starts_at: string | Date;
  }>(
    tx,
    sql`select ce.activity_id, a.kind, a.sequence_number, a.programme_id, ce.cohort_id, ce.starts_at
        from cohort_event ce join programme_activity a on a.id = ce.activity_id where ce.id = ${cohortEventId}`,
  );
  if (!event || event.cohort_id !== facts.cohort.id) throw new NotFoundError('Event not found');
  if (!EVENT_KINDS.includes(event.kind)) {
    throw new ValidationError([
      {
        path: 'cohortEventId',
        message: 'Attendance is recorded for clinics, community sessions and conferences.',
      },
    ]);
  }
  const startsAt = new Date(event.starts_at);
  if (startsAt > now) {
    throw new ValidationError([
      { path: 'cohortEventId', message: 'This session has not taken place yet.' },
    ]);
  }
  const [booking] = await queryRows<{ id: number; status: string; accommodation: string | null }>(
    tx,
    sql`select id, status, accommodation from event_booking
        where participant_id = ${participantId} and cohort_event_id = ${cohortEventId} and status <> 'cancelled'
        for update`,
  );
  const base = {
    enrolmentId: facts.enrolment.id,
    activityId: event.activity_id,
    kind: event.kind,
    bookingId: booking?.id ?? null,
    coachingSessionId: null,
  };
  const already = facts.completedActivityIds.has(String(event.activity_id));
  if (already && (!booking || booking.status === 'attended')) {
    return { ...base, changed: false, decision: null };
  }

  let decision: Decision | null = null;
  if (event.kind === 'clinic' && !already) {
    const accommodation =
      accommodationFromInput(actor, accommodationInput, londonDateOf(now)) ??
      (booking?.accommodation
        ? await accommodationOfBooking(tx, booking.id, booking.accommodation)
        : undefined);
    const attendedOn = londonDateOf(startsAt);
    const clinic = evaluateClinicAttendance(
      {
        clinicNumber: event.sequence_number,
        attendedOn,
        history: await loadClinicHistory(tx, participantId, event.programme_id, {
          missedIn: { cohortId: facts.cohort.id, today: attendedOn },
        }),
        workingPattern: facts.participant.workingPattern,
        ...(accommodation ? { accommodation } : {}),
      },
      // The clinic rules of the version in force on the day of the clinic.
      await registerInForce(tx, attendedOn),
    );
    if (clinic.outcome !== 'allowed') throw new PolicyRefusalError(clinic);
    decision = clinic;
  }

  await insertRecords(
    tx,
    [
      {
        participantId,
        activityId: event.activity_id,
        kind: event.kind,
        occurredAt: startsAt,
        source: 'staff',
        sourceEventId: attendanceEventId(participantId, event.activity_id),
      },
    ],
    now,
  );
  if (booking && booking.status === 'booked') {
    await tx.execute(sql`update event_booking set status = 'attended' where id = ${booking.id}`);
  }
  await audit(tx, {
    what: 'ATTENDANCE_RECORDED',
    who: actor,
    subjectType: booking ? 'event_booking' : 'enrolment',
    subjectId: booking?.id ?? facts.enrolment.id,
    details: {
      enrolmentId: facts.enrolment.id,
      cohortEventId,
      activityId: event.activity_id,
      kind: event.kind,
      decision,
    },
    at: now,
  });
  await commenceIfDue(tx, {
    participantIds: [participantId],
    who: actor,
    at: now,
    trigger: 'attendance_recorded',
  });
  return { ...base, changed: true, decision };
}

function accommodationFromInput(
  actor: Actor,
  input: AccommodationInput | undefined,
  today: string,
): ClinicAccommodation | undefined {
  return input
    ? {
        grantedBy: actor.displayName,
        grantedByRole: actor.role,
        recordedOn: today,
        note: input.note,
      }
    : undefined;
}

/** The accommodation agreed at booking, with who agreed it (kept in the booking's audit event). */
async function accommodationOfBooking(
  tx: Executor,
  bookingId: number,
  note: string,
): Promise<ClinicAccommodation | undefined> {
  const [row] = await queryRows<{ accommodation: ClinicAccommodation | null }>(
    tx,
    sql`select details->'accommodation' as accommodation from audit_event
        where subject_type = 'event_booking' and subject_id = ${String(bookingId)}
          and details ? 'accommodation' and details->'accommodation' <> 'null'::jsonb
        order by id desc limit 1`,
  );
  return row?.accommodation ? { ...row.accommodation, note } : undefined;
}

async function attendCoaching(
  tx: Tx,
  deps: ServiceDeps,
  actor: Actor,
  facts: EnrolmentFacts,
  sessionId: number,
): Promise<AttendanceResult> {
  const now = deps.clock.now();
  const [session] = await queryRows<{
    id: number;
    enrolment_id: number;
    coach_user_id: number;
    activity_id: number;
    starts_at: string | Date;
    status: string;
  }>(
    tx,
    sql`select id, enrolment_id, coach_user_id, activity_id, starts_at, status from coaching_session
        where id = ${sessionId} for update`,
  );
  if (!session || session.enrolment_id !== facts.enrolment.id) {
    throw new NotFoundError('Coaching session not found');
  }
  const base = {
    enrolmentId: facts.enrolment.id,
    activityId: session.activity_id,
    kind: 'coaching' as const,
    bookingId: null,
    coachingSessionId: session.id,
  };
  const decision = evaluateCoachingEntitlement(
    { course: facts.cohort.course },
    await registerInForce(tx, londonDateOf(new Date(session.starts_at))),
  );
  if (session.status === 'attended') return { ...base, changed: false, decision };
  if (session.status === 'cancelled') {
    throw new ConflictError('This coaching session was cancelled, so it cannot be attended.');
  }
  if (decision.outcome !== 'allowed') throw new PolicyRefusalError(decision);
  const startsAt = new Date(session.starts_at);
  if (startsAt > now) {
    throw new ValidationError([
      { path: 'coachingSessionId', message: 'This coaching session has not taken place yet.' },
    ]);
  }
  await insertRecords(
    tx,
    [
      {
        participantId: facts.participant.id,
        activityId: session.activity_id,
        kind: 'coaching',
        occurredAt: startsAt,
        source: 'staff',
        sourceEventId: attendanceEventId(facts.participant.id, session.activity_id),
      },
    ],
    now,
  );
  await tx.execute(sql`update coaching_session set status = 'attended' where id = ${session.id}`);
  await audit(tx, {
    what: 'COACHING_ATTENDED',
    who: actor,
    subjectType: 'coaching_session',
    subjectId: session.id,
    details: { enrolmentId: facts.enrolment.id, activityId: session.activity_id, decision },
    at: now,
  });
  await commenceIfDue(tx, {
    participantIds: [facts.participant.id],
    who: actor,
    at: now,
    trigger: 'coaching_attended',
  });
  return { ...base, changed: true, decision };
}
