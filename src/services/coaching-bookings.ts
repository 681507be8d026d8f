/**
 * Coaching bookings (policy 2.2.1.3, NPQEL and EHCO only): a participant books one of their
 * assigned coach's free availability slots, changes it for another or cancels it. A slot holds one
 * session: the slot row is locked while it is booked, and a unique index on the session's slot
 * (`coaching_session_slot_uq`) makes a double booking impossible whatever happens in between.
 * Participant and coach are told by email through the outbox, in the same transaction.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import type { EnrolmentFacts } from '../db/queries/enrolment-facts.js';
import {
  evaluateCoachingBooking,
  evaluateCoachingEntitlement,
  londonDateOf,
  type Decision,
} from '../policy/index.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import { requireEnrolment } from './authorisation.js';
import {
  COACHING_SELECT,
  loadFactsFor,
  noticeOptions,
  requireBookable,
  toCoachingView,
  type CoachingRow,
  type CoachingSessionView,
  type Tx,
} from './bookings.js';
import { ConflictError, NotFoundError, PolicyRefusalError, ValidationError } from './errors.js';
import { queueCoachingNotice } from './notices/coaching.js';
import { registerInForce } from './policy-register.js';
import { isUniqueViolation } from './organisations/access.js';
import type { ServiceDeps } from './participants.js';

type Executor = Pick<Tx, 'execute'>;

export interface BookCoachingInput {
  enrolmentId: number;
  /** One of the coach's free availability slots (the pages send this). */
  slotId?: number | undefined;
  /** The coach, and the slot's exact times (the API's older shape): they must match a free slot. */
  coachUserId?: number | undefined;
  startsAt?: Date | undefined;
  endsAt?: Date | undefined;
  /** Which coaching conversation; the next one not yet done or booked when omitted. */
  activityId?: number | undefined;
}

interface SlotRow {
  id: number;
  coach_user_id: number;
  starts_at: string | Date;
  ends_at: string | Date;
  taken: boolean;
}

const SLOT_NOT_OFFERED =
  'Your coach has not offered that time, or it has just been booked; choose one of their free times.';

export async function bookCoaching(
  deps: ServiceDeps,
  actor: Actor,
  input: BookCoachingInput,
): Promise<{ session: CoachingSessionView; decision: Decision }> {
  return deps.db.transaction(async (tx) => {
    const placed = await placeCoaching(tx, deps, actor, input);
    await queueCoachingNotice(tx, placed.session.id, 'booked', noticeOptions(deps, actor));
    return placed;
  });
}

/** Change a booked session to another free slot of the same coach: one transaction, one email. */
export async function changeCoaching(
  deps: ServiceDeps,
  actor: Actor,
  sessionId: number,
  slotId: number,
): Promise<{ session: CoachingSessionView; decision: Decision; from: CoachingSessionView }> {
  return deps.db.transaction(async (tx) => {
    const row = await lockSession(tx, actor, sessionId);
    if (row.status !== 'scheduled' || new Date(row.starts_at) <= deps.clock.now()) {
      throw new ConflictError('Only a coaching session still to come can be changed.');
    }
    if (row.slot_id === slotId) throw new ConflictError('You are already booked into this time.');
    await tx.execute(
      sql`update coaching_session set status = 'cancelled', cancelled_at = ${deps.clock.now()} where id = ${sessionId}`,
    );
    const placed = await placeCoaching(tx, deps, actor, {
      enrolmentId: row.enrolment_id,
      slotId,
      activityId: row.activity_id,
    });
    await audit(tx, {
      what: 'COACHING_CHANGED',
      who: actor,
      subjectType: 'coaching_session',
      subjectId: placed.session.id,
      details: { enrolmentId: row.enrolment_id, fromSessionId: sessionId, slotId },
      at: deps.clock.now(),
    });
    await queueCoachingNotice(tx, placed.session.id, 'changed', noticeOptions(deps, actor));
    return { ...placed, from: toCoachingView(row) };
  });
}

/**
 * Books the slot (locked) for the enrolment, after the policy's decision; the caller queues the
 * email. Refused: not NPQEL/EHCO, not on the programme, no free slot of the assigned coach.
 */
async function placeCoaching(
  tx: Tx,
  deps: ServiceDeps,
  actor: Actor,
  input: BookCoachingInput,
): Promise<{ session: CoachingSessionView; decision: Decision }> {
  await requireEnrolment(tx, actor, input.enrolmentId, 'write', { participantMayWrite: true });
  const facts = await loadFactsFor(tx, input.enrolmentId);
  const now = deps.clock.now();
  const today = londonDateOf(now);
  const register = await registerInForce(tx, today);
  const entitlement = evaluateCoachingEntitlement({ course: facts.cohort.course }, register);
  if (entitlement.outcome !== 'allowed') throw new PolicyRefusalError(entitlement);
  requireBookable(facts, 'book_coaching', register);
  if (input.slotId === undefined && (!input.startsAt || !input.endsAt)) {
    throw new ValidationError([{ path: 'slotId', message: 'Choose one of your coach’s times.' }]);
  }

  // The participant's assigned coach: the only one whose slots they may book.
  const coaches = await queryRows<{ id: number }>(
    tx,
    sql`select u.id from staff_assignment sa join app_user u on u.id = sa.user_id
        where sa.participant_id = ${facts.participant.id} and u.role = 'coach' and u.deactivated_at is null
        order by u.id`,
  );
  const coachIds = coaches.map((c) => c.id);
  if (
    coachIds.length === 0 ||
    (input.coachUserId !== undefined && !coachIds.includes(input.coachUserId))
  ) {
    throw new ValidationError([
      {
        path: input.slotId === undefined ? 'coachUserId' : 'slotId',
        message:
          coachIds.length === 0
            ? 'You have no coach assigned yet. Your delivery partner arranges one.'
            : 'Choose the coach you have been assigned.',
      },
    ]);
  }
  const coachFilter =
    input.coachUserId !== undefined
      ? sql`sl.coach_user_id = ${input.coachUserId}`
      : sql`sl.coach_user_id in (${sql.join(
          coachIds.map((c) => sql`${c}`),
          sql`, `,
        )})`;
  const which =
    input.slotId !== undefined
      ? sql`sl.id = ${input.slotId}`
      : sql`sl.starts_at = ${input.startsAt!} and sl.ends_at = ${input.endsAt!}`;
  // Locking the slot serialises everyone booking it; the unique index is the last word.
  const [locked] = await queryRows<Omit<SlotRow, 'taken'>>(
    tx,
    sql`select sl.id, sl.coach_user_id, sl.starts_at, sl.ends_at
        from coaching_slot sl
        where ${coachFilter} and ${which} and sl.removed_at is null
        order by sl.id limit 1
        for update of sl`,
  );
  // Asked after the lock is held, in a statement of its own, so it sees a booking committed by
  // whoever held the lock before us (a subquery of the locking statement would not).
  const slot: SlotRow | undefined = locked
    ? {
        ...locked,
        taken:
          (
            await queryRows(
              tx,
              sql`select 1 from coaching_session where slot_id = ${locked.id} and status <> 'cancelled'`,
            )
          ).length > 0,
      }
    : undefined;
  await tx.execute(sql`select id from participant where id = ${facts.participant.id} for update`);
  const startsAt = slot ? new Date(slot.starts_at) : input.startsAt!;
  const endsAt = slot ? new Date(slot.ends_at) : input.endsAt!;
  if (!slot && input.slotId !== undefined) throw new NotFoundError('Coaching time not found');

  const activityId = await coachingActivity(tx, facts, input.activityId);
  const clash = await queryRows<{ who: string }>(
    tx,
    sql`select 'participant' as who from coaching_session s
          where s.participant_id = ${facts.participant.id} and s.status = 'scheduled'
            and s.starts_at < ${endsAt} and s.ends_at > ${startsAt}
        union all
        select 'event' from event_booking b join cohort_event ce on ce.id = b.cohort_event_id
          where b.participant_id = ${facts.participant.id} and b.status = 'booked'
            and ce.starts_at < ${endsAt} and ce.ends_at > ${startsAt}`,
  );
  const proposedOn = londonDateOf(startsAt);
  const participantFree = clash.length === 0;
  const coachFree = slot !== undefined && !slot.taken;
  const decision = evaluateCoachingBooking(
    {
      course: facts.cohort.course,
      proposedOn,
      today,
      participantAvailableOn: participantFree ? [proposedOn] : [],
      coachAvailableOn: coachFree ? [proposedOn] : [],
    },
    register,
  );
  if (decision.outcome !== 'allowed') {
    const message = !participantFree
      ? 'You already have a coaching session or a booked event at that time; choose another time.'
      : !coachFree
        ? SLOT_NOT_OFFERED
        : undefined;
    throw new PolicyRefusalError(decision, message);
  }
  if (startsAt <= now) {
    throw new ValidationError([
      { path: 'slotId', message: 'Choose a time that has not already passed.' },
    ]);
  }

  let inserted: { id: number } | undefined;
  try {
    [inserted] = await queryRows<{ id: number }>(
      tx,
      sql`insert into coaching_session (enrolment_id, participant_id, coach_user_id, activity_id, starts_at, ends_at, status, slot_id)
          values (${facts.enrolment.id}, ${facts.participant.id}, ${slot!.coach_user_id}, ${activityId},
                  ${startsAt}, ${endsAt}, 'scheduled', ${slot!.id})
          returning id`,
    );
  } catch (error) {
    if (isUniqueViolation(error, 'coaching_session_slot_uq')) {
      throw new ConflictError(SLOT_NOT_OFFERED);
    }
    throw error;
  }
  await topicsInProgrammeOrder(tx, facts.enrolment.id);
  const [row] = await queryRows<CoachingRow>(
    tx,
    sql`${COACHING_SELECT} where s.id = ${inserted!.id}`,
  );
  await audit(tx, {
    what: 'COACHING_BOOKED',
    who: actor,
    subjectType: 'coaching_session',
    subjectId: inserted!.id,
    details: {
      enrolmentId: facts.enrolment.id,
      coachUserId: slot!.coach_user_id,
      slotId: slot!.id,
      activityId,
      decision,
    },
    at: now,
  });
  return { session: toCoachingView(row!), decision };
}

/**
 * Coaching conversations follow the programme's order, not the order they were booked in: the
 * topics of an enrolment's scheduled sessions are shared out again by date, the earliest session
 * taking the earliest topic (attended sessions keep theirs). One statement.
 */
async function topicsInProgrammeOrder(tx: Executor, enrolmentId: number): Promise<void> {
  await tx.execute(
    sql`with s as (
          select id, row_number() over (order by starts_at, id) as n
          from coaching_session where enrolment_id = ${enrolmentId} and status = 'scheduled'
        ), t as (
          select cs.activity_id, row_number() over (order by a.position, a.id) as n
          from coaching_session cs join programme_activity a on a.id = cs.activity_id
          where cs.enrolment_id = ${enrolmentId} and cs.status = 'scheduled'
        )
        update coaching_session cs set activity_id = t.activity_id
        from s join t on t.n = s.n
        where cs.id = s.id and cs.activity_id <> t.activity_id`,
  );
}

/** The coaching conversation being booked: the one asked for, or the next one not done or booked. */
async function coachingActivity(
  tx: Executor,
  facts: EnrolmentFacts,
  requested: number | undefined,
): Promise<number> {
  const rows = await queryRows<{ id: number; taken: boolean }>(
    tx,
    sql`select a.id,
               exists (select 1 from engagement_record r where r.participant_id = ${facts.participant.id} and r.activity_id = a.id)
               or exists (select 1 from coaching_session s where s.participant_id = ${facts.participant.id}
                          and s.activity_id = a.id and s.status in ('scheduled', 'attended')) as taken
        from programme_activity a
        where a.programme_id = ${facts.cohort.programmeId} and a.kind = 'coaching'
        order by a.position`,
  );
  if (requested !== undefined) {
    const found = rows.find((r) => r.id === requested);
    if (!found) {
      throw new ValidationError([
        { path: 'activityId', message: 'This is not a coaching conversation of your programme.' },
      ]);
    }
    if (found.taken)
      throw new ConflictError('This coaching conversation is already booked or done.');
    return found.id;
  }
  const next = rows.find((r) => !r.taken);
  if (!next) throw new ConflictError('All your coaching conversations are already booked or done.');
  return next.id;
}

/** The session locked, for a change by the participant or staff who may change the record. */
async function lockSession(tx: Tx, actor: Actor, sessionId: number): Promise<CoachingRow> {
  const [row] = await queryRows<CoachingRow>(
    tx,
    sql`${COACHING_SELECT} where s.id = ${sessionId} for update of s`,
  );
  if (!row) throw new NotFoundError('Coaching session not found');
  if (actor.role === 'coach' && row.coach_user_id === actor.userId) {
    await requireEnrolment(tx, actor, row.enrolment_id);
  } else {
    await requireEnrolment(tx, actor, row.enrolment_id, 'write', { participantMayWrite: true });
  }
  return row;
}

/** Cancel a scheduled coaching session: the participant, staff who may change the record, or the coach. */
export async function cancelCoaching(
  deps: ServiceDeps,
  actor: Actor,
  sessionId: number,
): Promise<{ session: CoachingSessionView; changed: boolean }> {
  return deps.db.transaction(async (tx) => cancelLocked(tx, deps, actor, sessionId));
}

/** Cancels in the caller's transaction (a coach removing a booked slot cancels through this). */
export async function cancelLocked(
  tx: Tx,
  deps: ServiceDeps,
  actor: Actor,
  sessionId: number,
): Promise<{ session: CoachingSessionView; changed: boolean }> {
  const row = await lockSession(tx, actor, sessionId);
  if (row.status === 'cancelled') return { session: toCoachingView(row), changed: false };
  if (row.status !== 'scheduled') {
    throw new ConflictError('This coaching session has taken place, so it cannot be cancelled.');
  }
  const now = deps.clock.now();
  await tx.execute(
    sql`update coaching_session set status = 'cancelled', cancelled_at = ${now} where id = ${sessionId}`,
  );
  await audit(tx, {
    what: 'COACHING_CANCELLED',
    who: actor,
    subjectType: 'coaching_session',
    subjectId: sessionId,
    details: { enrolmentId: row.enrolment_id, slotId: row.slot_id },
    at: now,
  });
  await queueCoachingNotice(tx, sessionId, 'cancelled', noticeOptions(deps, actor));
  return { session: { ...toCoachingView(row), status: 'cancelled' }, changed: true };
}
