import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../src/db/client.js';

/**
 * The first clinic slot starting after `after` that is next in sequence (2.2.1.2) for at least two
 * active enrolments of its cohort: neither has done that clinic or holds a booking for it, and each
 * has attended the clinic before it (or it is clinic 1). Undefined when the world has none.
 */
export async function clinicNextForTwo(
  db: Pick<Db, 'execute'>,
  after: Date,
): Promise<{ eventId: number; enrolmentIds: number[] } | undefined> {
  const [row] = await queryRows<{ event_id: number; enrolment_ids: number[] }>(
    db,
    sql`select ce.id as event_id, array_agg(e.id order by e.id) as enrolment_ids
        from cohort_event ce
        join programme_activity a on a.id = ce.activity_id and a.kind = 'clinic'
        join enrolment e on e.cohort_id = ce.cohort_id and e.status = 'active'
        where ce.starts_at > ${after}
          and not exists (select 1 from engagement_record r where r.participant_id = e.participant_id and r.activity_id = a.id)
          and not exists (select 1 from event_booking b join cohort_event x on x.id = b.cohort_event_id
                          where b.participant_id = e.participant_id and x.activity_id = a.id and b.status <> 'cancelled')
          and (a.sequence_number = 1 or exists (
                select 1 from engagement_record r join programme_activity prev on prev.id = r.activity_id
                where r.participant_id = e.participant_id and prev.programme_id = a.programme_id
                  and prev.kind = 'clinic' and prev.sequence_number = a.sequence_number - 1))
        group by ce.id having count(*) >= 2
        order by ce.starts_at limit 1`,
  );
  return row ? { eventId: row.event_id, enrolmentIds: row.enrolment_ids } : undefined;
}
