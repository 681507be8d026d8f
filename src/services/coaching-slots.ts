/**
 * Coaches' availability (policy 2.2.1.3): a coach publishes slots (date, time, length, online or in
 * person and where) within their participants' programmes; participants book only into them. A slot
 * may not overlap another of the same coach's (checked with the coach's row locked, so two
 * additions cannot both pass); a booked slot is removed only by cancelling its booking, and the
 * participant is told through the outbox.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import { checkSlot, type SlotFields } from '../domain/coaching-slots.js';
import { londonDateOf } from '../policy/index.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import { requireEnrolment } from './authorisation.js';
import type { Tx } from './bookings.js';
import { cancelLocked } from './coaching-bookings.js';
import { ConflictError, NotFoundError, ValidationError } from './errors.js';
import type { ServiceDeps } from './participants.js';

type Executor = Pick<Tx, 'execute'>;

export interface SlotView {
  id: number;
  coachUserId: number;
  coachName: string;
  startsAt: string;
  endsAt: string;
  mode: 'online' | 'in_person';
  place: string;
  /** The session booked into it, if any (only the coach and staff see who). */
  sessionId: number | null;
  participantName: string | null;
}

interface SlotRow {
  id: number;
  coach_user_id: number;
  coach_name: string;
  starts_at: string | Date;
  ends_at: string | Date;
  mode: 'online' | 'in_person';
  place: string;
  session_id: number | null;
  participant_name: string | null;
}

const SLOT_SELECT = sql`select sl.id, sl.coach_user_id, u.display_name as coach_name, sl.starts_at, sl.ends_at,
       sl.mode, sl.place, s.id as session_id, p.full_name as participant_name
  from coaching_slot sl join app_user u on u.id = sl.coach_user_id
  left join coaching_session s on s.slot_id = sl.id and s.status <> 'cancelled'
  left join participant p on p.id = s.participant_id`;

const toView = (r: SlotRow): SlotView => ({
  id: r.id,
  coachUserId: r.coach_user_id,
  coachName: r.coach_name,
  startsAt: new Date(r.starts_at).toISOString(),
  endsAt: new Date(r.ends_at).toISOString(),
  mode: r.mode,
  place: r.place,
  sessionId: r.session_id,
  participantName: r.participant_name,
});

function requireCoach(actor: Actor): void {
  if (actor.role !== 'coach') throw new NotFoundError('Coaching');
}

/** The days a coach may offer: the dates of their NPQEL/EHCO participants' current cohorts. */
export async function coachingWindow(
  db: Executor,
  coachUserId: number,
): Promise<{ from: string | null; to: string | null }> {
  const [row] = await queryRows<{ from: string | null; to: string | null }>(
    db,
    sql`select min(c.start_date)::text as "from", max(c.end_date)::text as "to"
        from staff_assignment sa
        join enrolment e on e.participant_id = sa.participant_id and e.status in ('accepted', 'active')
        join cohort c on c.id = e.cohort_id
        join programme pr on pr.id = c.programme_id and pr.coaching_entitled
        where sa.user_id = ${coachUserId}`,
  );
  return { from: row?.from ?? null, to: row?.to ?? null };
}

/** The coach's slots still to come, booked or free, soonest first. */
export async function listMySlots(
  deps: ServiceDeps,
  actor: Actor,
): Promise<{ slots: SlotView[]; window: { from: string | null; to: string | null } }> {
  requireCoach(actor);
  const rows = await queryRows<SlotRow>(
    deps.db,
    sql`${SLOT_SELECT} where sl.coach_user_id = ${actor.userId} and sl.removed_at is null
          and sl.ends_at > ${deps.clock.now()}
        order by sl.starts_at, sl.id limit 500`,
  );
  return { slots: rows.map(toView), window: await coachingWindow(deps.db, actor.userId) };
}

/** Adds a slot after checking it (field errors named after the form's fields). */
export async function addSlot(
  deps: ServiceDeps,
  actor: Actor,
  fields: SlotFields,
): Promise<SlotView> {
  requireCoach(actor);
  return deps.db.transaction(async (tx) => {
    // One coach's additions one at a time, so two overlapping slots cannot both pass the check.
    await tx.execute(sql`select id from app_user where id = ${actor.userId} for update`);
    const now = deps.clock.now();
    const checked = checkSlot(fields, {
      today: londonDateOf(now),
      ...(await coachingWindow(tx, actor.userId)),
    });
    if (!checked.ok) {
      throw new ValidationError(checked.errors.map((e) => ({ path: e.field, message: e.message })));
    }
    const { slot } = checked;
    const [clash] = await queryRows<{ starts_at: string | Date }>(
      tx,
      sql`select starts_at from coaching_slot where coach_user_id = ${actor.userId} and removed_at is null
            and starts_at < ${slot.endsAt} and ends_at > ${slot.startsAt} limit 1`,
    );
    if (clash) {
      throw new ValidationError([
        {
          path: 'startTime',
          message: 'This overlaps another of your slots; choose a time when you are free',
        },
      ]);
    }
    const [inserted] = await queryRows<{ id: number }>(
      tx,
      sql`insert into coaching_slot (coach_user_id, starts_at, ends_at, mode, place, created_at)
          values (${actor.userId}, ${slot.startsAt}, ${slot.endsAt}, ${slot.mode}, ${slot.place}, ${now})
          returning id`,
    );
    await audit(tx, {
      what: 'COACHING_SLOT_ADDED',
      who: actor,
      subjectType: 'coaching_slot',
      subjectId: inserted!.id,
      details: { startsAt: slot.startsAt.toISOString(), endsAt: slot.endsAt.toISOString() },
      at: now,
    });
    const [row] = await queryRows<SlotRow>(tx, sql`${SLOT_SELECT} where sl.id = ${inserted!.id}`);
    return toView(row!);
  });
}

/** One of the coach's own slots (for the remove page). */
export async function getMySlot(
  deps: ServiceDeps,
  actor: Actor,
  slotId: number,
): Promise<SlotView> {
  requireCoach(actor);
  const [row] = await queryRows<SlotRow>(
    deps.db,
    sql`${SLOT_SELECT} where sl.id = ${slotId} and sl.coach_user_id = ${actor.userId} and sl.removed_at is null`,
  );
  if (!row) throw new NotFoundError('Slot not found');
  return toView(row);
}

/**
 * Removes a slot. A booked slot is removed only with `cancelBooking` (the participant is emailed);
 * without it, a conflict says so.
 */
export async function removeSlot(
  deps: ServiceDeps,
  actor: Actor,
  slotId: number,
  options: { cancelBooking: boolean },
): Promise<{ slot: SlotView; cancelledSessionId: number | null }> {
  requireCoach(actor);
  return deps.db.transaction(async (tx) => {
    const [row] = await queryRows<SlotRow>(
      tx,
      sql`${SLOT_SELECT} where sl.id = ${slotId} and sl.coach_user_id = ${actor.userId} and sl.removed_at is null
          for update of sl`,
    );
    if (!row) throw new NotFoundError('Slot not found');
    const now = deps.clock.now();
    if (new Date(row.starts_at) <= now) {
      throw new ConflictError('This slot has started, so it can no longer be removed.');
    }
    let cancelledSessionId: number | null = null;
    if (row.session_id !== null) {
      if (!options.cancelBooking) {
        throw new ConflictError(
          `This slot is booked by ${row.participant_name ?? 'a participant'}: cancel their booking to remove it.`,
        );
      }
      await cancelLocked(tx, deps, actor, row.session_id);
      cancelledSessionId = row.session_id;
    }
    await tx.execute(sql`update coaching_slot set removed_at = ${now} where id = ${slotId}`);
    await audit(tx, {
      what: 'COACHING_SLOT_REMOVED',
      who: actor,
      subjectType: 'coaching_slot',
      subjectId: slotId,
      details: { cancelledSessionId },
      at: now,
    });
    return { slot: toView(row), cancelledSessionId };
  });
}

/**
 * The free slots of the participant's assigned coach from now on, soonest first. Empty when the
 * enrolment has no coaching or no coach (the page says why).
 */
export async function freeSlotsFor(
  deps: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
): Promise<SlotView[]> {
  await requireEnrolment(deps.db, actor, enrolmentId);
  const rows = await queryRows<SlotRow>(
    deps.db,
    sql`${SLOT_SELECT}
        join staff_assignment sa on sa.user_id = sl.coach_user_id
        join enrolment e on e.participant_id = sa.participant_id and e.id = ${enrolmentId}
        where sl.removed_at is null and sl.starts_at > ${deps.clock.now()} and s.id is null
          and u.role = 'coach' and u.deactivated_at is null
        order by sl.starts_at, sl.id limit 200`,
  );
  return rows.map(toView);
}
