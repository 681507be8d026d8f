/**
 * On re-joining a new cohort after a deferral (2.3.6), the places still booked at the old cohort's
 * future clinics and community sessions, and the coaching sessions still to come, are no longer
 * theirs: each kind is cancelled in one statement (so they leave the calendar feed and free the
 * place or the coach's slot), the coach and the participant are told about each coaching session
 * through the outbox, and the participant's "welcome back" message lists them all. Attended and
 * past bookings and sessions stay as they were: completed work stays done.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import { queueCoachingNotices } from './notices/coaching.js';
import type { QueueOptions } from './notices/queue.js';
import type { Tx } from './withdrawals.js';

export interface CancelledBooking {
  kind: 'event' | 'coaching';
  /** The event booking's or the coaching session's id. */
  id: number;
  title: string;
  startsAt: string;
}

export async function cancelOldCohortBookings(
  tx: Tx,
  input: { enrolmentId: number; oldCohortId: number; at: Date; who: Actor; notices: QueueOptions },
): Promise<CancelledBooking[]> {
  const events = await queryRows<{ id: number; title: string; starts_at: Date | string }>(
    tx,
    sql`with cancelled as (
          update event_booking b set status = 'cancelled', cancelled_at = ${input.at}
          from cohort_event ce
          where ce.id = b.cohort_event_id and b.enrolment_id = ${input.enrolmentId}
            and ce.cohort_id = ${input.oldCohortId} and b.status = 'booked'
            and ce.starts_at > ${input.at}
          returning b.id, ce.activity_id, ce.starts_at
        )
        select c.id, a.title, c.starts_at from cancelled c
        join programme_activity a on a.id = c.activity_id
        order by c.starts_at, c.id`,
  );
  // Coaching is booked with a coach, not a cohort: every session of the enrolment still to come
  // was booked with the old cohort (nothing can be booked while deferred). Cancelling frees the
  // slot: a slot is taken only by a session that is not cancelled (coaching_session_slot_uq).
  const coaching = await queryRows<{ id: number; title: string; starts_at: Date | string }>(
    tx,
    sql`with cancelled as (
          update coaching_session s set status = 'cancelled', cancelled_at = ${input.at}
          where s.enrolment_id = ${input.enrolmentId} and s.status = 'scheduled'
            and s.starts_at > ${input.at}
          returning s.id, s.activity_id, s.starts_at
        )
        select c.id, a.title, c.starts_at from cancelled c
        join programme_activity a on a.id = c.activity_id
        order by c.starts_at, c.id`,
  );
  const cancelled: CancelledBooking[] = [
    ...events.map((r) => ({
      kind: 'event' as const,
      id: r.id,
      title: r.title,
      startsAt: r.starts_at,
    })),
    ...coaching.map((r) => ({
      kind: 'coaching' as const,
      id: r.id,
      title: r.title,
      startsAt: r.starts_at,
    })),
  ]
    .map((c) => ({ ...c, startsAt: new Date(c.startsAt).toISOString() }))
    .sort((a, b) => a.startsAt.localeCompare(b.startsAt) || a.id - b.id);
  if (cancelled.length > 0) {
    await audit(tx, {
      what: 'BOOKINGS_CANCELLED_ON_RESUME',
      who: input.who,
      subjectType: 'enrolment',
      subjectId: input.enrolmentId,
      details: {
        oldCohortId: input.oldCohortId,
        bookingIds: events.map((c) => c.id),
        coachingSessionIds: coaching.map((c) => c.id),
        clause: '2.3.6',
      },
      at: input.at,
    });
  }
  await queueCoachingNotices(
    tx,
    coaching.map((c) => c.id),
    'cancelled',
    input.notices,
    'on re-joining a new cohort after a deferral',
  );
  return cancelled;
}
