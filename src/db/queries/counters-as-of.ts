import { sql, type SQL } from 'drizzle-orm';

/**
 * An enrolment's deferrals taken and assessment attempts used as they stood at the end of a day
 * (London), for the policy what-if. The enrolment keeps only today's counts, so each is today's
 * count less the increments recorded after that day, each increment read from the record written
 * in the same transaction as it:
 *
 * - a deferral taken (2.3.3): startDeferral's `ENROLMENT_DEFER` audit event, at the moment the
 *   deferral starts (approving it does not count it);
 * - an attempt used by a submission (2.5.1): the `assessment_submission`, at `submitted_at`;
 * - an attempt lost (2.5.4), by the window-close job or by a declined assessment deferral after the
 *   window closed: the `attempt_lost` `assessment_window_result`, at `processed_at`.
 *
 * Each of those adds exactly one, except that an attempt lost never takes the count above the
 * attempts of the version then in force: it can only stay put if a version lowered the attempts
 * while the participant was in a window, and then the count as of an earlier day is floored at 0.
 * A count imported with a transfer, or given by a seed, has no such record: it stands from the
 * enrolment's creation. An enrolment created after the day did not exist on it and is left out.
 *
 * Fragments over the enrolment `e`: grouped subqueries keyed by enrolment, joined once (no
 * per-row lookups), and a condition for the `where`.
 */
export function countersAsOf(day: string): { columns: SQL; joins: SQL; existed: SQL } {
  // The first instant after the day in London: indexable comparisons, BST or GMT alike.
  const after = sql`((${day}::date + 1)::timestamp at time zone 'Europe/London')`;
  return {
    columns: sql`greatest(e.deferral_count - coalesce(later_deferrals.n, 0), 0) as deferral_count,
                 greatest(e.assessment_attempts_used - coalesce(later_submissions.n, 0)
                          - coalesce(later_losses.n, 0), 0) as assessment_attempts_used`,
    joins: sql`left join (
                 select a.subject_id, count(*)::int as n from audit_event a
                 where a.subject_type = 'enrolment' and a.what = 'ENROLMENT_DEFER' and a.occurred_at >= ${after}
                 group by a.subject_id
               ) later_deferrals on later_deferrals.subject_id = e.id::text
               left join (
                 select s.enrolment_id, count(*)::int as n from assessment_submission s
                 where s.submitted_at >= ${after} group by s.enrolment_id
               ) later_submissions on later_submissions.enrolment_id = e.id
               left join (
                 select r.enrolment_id, count(*)::int as n from assessment_window_result r
                 where r.result = 'attempt_lost' and r.processed_at >= ${after} group by r.enrolment_id
               ) later_losses on later_losses.enrolment_id = e.id`,
    existed: sql`e.created_at < ${after}`,
  };
}
