import { sql, type SQL } from 'drizzle-orm';
import { arrayParam } from '../../db/client.js';

/**
 * Every audit subject (subject_type, subject_id) that belongs to the given participants: the
 * participant, their accounts, enrolments, bookings, coaching, cases, moves, transfers, withdrawals
 * and assessment submissions. Unlike the staff audit log, no partner scoping: this is for the
 * participant's own download and for erasure.
 */
export function subjectsOfParticipants(participantIds: readonly number[]): SQL {
  const ids = sql`${arrayParam(participantIds)}::int[]`;
  return sql`
    with enrol as (select id from enrolment where participant_id = any(${ids}))
    select 'participant' as t, p.id::text as sid from participant p where p.id = any(${ids})
    union all select 'app_user', u.id::text from app_user u where u.participant_id = any(${ids})
    union all select 'enrolment', id::text from enrol
    union all select 'event_booking', b.id::text from event_booking b where b.enrolment_id in (select id from enrol)
    union all select 'coaching_session', s.id::text from coaching_session s where s.enrolment_id in (select id from enrol)
    union all select 'deferral_case', d.id::text from deferral_case d where d.enrolment_id in (select id from enrol)
    union all select 'school_move', m.id::text from school_move m where m.enrolment_id in (select id from enrol)
    union all select 'transfer_case', tc.id::text from transfer_case tc where tc.enrolment_id in (select id from enrol)
    union all select 'withdrawal', w.id::text from withdrawal w where w.enrolment_id in (select id from enrol)
    union all select 'assessment_submission', a.id::text from assessment_submission a where a.enrolment_id in (select id from enrol)
    union all select 'assessment_deferral_case', a.id::text from assessment_deferral_case a where a.enrolment_id in (select id from enrol)`;
}
