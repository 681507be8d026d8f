/**
 * On re-joining a new cohort after a deferral (2.3.6), the places still booked at the old cohort's
 * future clinics and community sessions are no longer theirs: they are cancelled in one statement
 * (so they leave the calendar feed and free the place), and the participant is told in the
 * "welcome back" message. Attended and past bookings stay as they were: completed work stays done.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import type { Tx } from './withdrawals.js';

export interface CancelledBooking {
  bookingId: number;
  title: string;
  startsAt: string;
}

export async function cancelOldCohortBookings(
  tx: Tx,
  input: { enrolmentId: number; oldCohortId: number; at: Date; who: Actor },
): Promise<CancelledBooking[]> {
  const rows = await queryRows<{ id: number; title: string; starts_at: Date | string }>(
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
  const cancelled = rows.map((r) => ({
    bookingId: r.id,
    title: r.title,
    startsAt: new Date(r.starts_at).toISOString(),
  }));
  if (cancelled.length > 0) {
    await audit(tx, {
      what: 'BOOKINGS_CANCELLED_ON_RESUME',
      who: input.who,
      subjectType: 'enrolment',
      subjectId: input.enrolmentId,
      details: {
        oldCohortId: input.oldCohortId,
        bookingIds: cancelled.map((c) => c.bookingId),
        clause: '2.3.6',
      },
      at: input.at,
    });
  }
  return cancelled;
}
