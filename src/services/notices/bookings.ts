/**
 * Booking confirmed, changed or cancelled (clinics 2.2.1.2, community sessions and conferences
 * 2.2.1.4): queued in the transaction that makes the booking, once per booking and change.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import { eventWhen } from '../../domain/notices.js';
import { queueNotices, type QueueOptions } from './queue.js';

type Executor = Parameters<typeof queueNotices>[0];

const WHAT = {
  booked: 'Booking confirmed',
  changed: 'Booking changed',
  cancelled: 'Booking cancelled',
} as const;

const NAMES: Record<string, string> = {
  clinic: 'Clinic',
  community_session: 'Community session',
  conference: 'Conference',
};

export async function queueBookingNotice(
  tx: Executor,
  bookingId: number,
  change: keyof typeof WHAT,
  options: QueueOptions,
): Promise<number> {
  const [row] = await queryRows<{
    participant_id: number;
    full_name: string;
    email: string;
    kind: string;
    title: string;
    starts_at: string | Date;
    ends_at: string | Date;
    location: string;
  }>(
    tx,
    sql`select p.id as participant_id, p.full_name, p.email, a.kind, a.title, ev.starts_at, ev.ends_at, ev.location
        from event_booking b
        join cohort_event ev on ev.id = b.cohort_event_id
        join programme_activity a on a.id = ev.activity_id
        join participant p on p.id = b.participant_id
        where b.id = ${bookingId}`,
  );
  if (!row) return 0;
  return queueNotices(
    tx,
    [
      {
        template: 'notice_booking',
        to: row.email,
        key: `booking:${bookingId}:${change}`,
        linkPath: '/events',
        participantId: row.participant_id,
        personalisation: {
          name: row.full_name,
          what: WHAT[change],
          event: `${NAMES[row.kind] ?? 'Event'}: ${row.title}`,
          when: eventWhen(new Date(row.starts_at), new Date(row.ends_at)),
          location: row.location,
        },
      },
    ],
    options,
  );
}
