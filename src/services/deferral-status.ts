/**
 * What a participant's agreed deferral means for them now (policy 2.3.5-2.3.7): the cohort and day
 * they re-join, where in the programme, when they will be asked to confirm their return, and who
 * to contact. Read only: the participant's Changes and My programme pages show it.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import { londonDateOf } from '../policy/index.js';
import type { Actor } from './actor.js';
import { requireEnrolment } from './authorisation.js';
import type { ServiceDeps } from './participants.js';

/** Case statuses in which a deferral is agreed and not yet over. */
type AgreedStatus = 'approved' | 'deferred' | 'intent_contact_due' | 'confirmed';

export interface CurrentDeferral {
  /** Null for a deferral recorded without a case here (imported, or made before npq-ops). */
  caseId: number | null;
  status: AgreedStatus;
  /** The cohort they re-join, and its delivery. */
  rejoinCohortName: string | null;
  rejoinOn: string | null;
  /** The first study session or event they pick up at; null when they re-join at the assessment. */
  rejoinAt: string | null;
  /** When their Delivery Partner (or the programmes team) asks them to confirm they will return. */
  intentContactDueOn: string | null;
  /** Things missed before the deferral was agreed, covered by returning sooner (2.3.5). */
  catchUpCount: number;
  /** The return is confirmed (2.3.7), with any reasonable adjustments agreed. */
  returnConfirmed: boolean;
  reasonableAdjustments: string | null;
  /**
   * They can answer "will you return?" (2.3.7) at /changes/return now: deferred, not yet answered,
   * and the restart date not passed (the same test as services/intent-to-return.ts).
   */
  returnAnswerable: boolean;
}

/** The agreed deferral on this enrolment, or null when there is none. */
export async function currentDeferralOf(
  { db, clock }: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
): Promise<CurrentDeferral | null> {
  await requireEnrolment(db, actor, enrolmentId);
  const [row] = await queryRows<CurrentDeferralRow>(
    db,
    sql`${CURRENT_DEFERRAL_SELECT} and e.id = ${enrolmentId} order by dc.id desc nulls last limit 1`,
  );
  return row ? toCurrentDeferral(row, londonDateOf(clock.now())) : null;
}

export interface CurrentDeferralRow {
  enrolment_id: number;
  id: number | null;
  status: CurrentDeferral['status'];
  cohort_name: string | null;
  rejoin_date: string | null;
  rejoin_title: string | null;
  intent_contact_due_on: string | null;
  catch_up: number;
  reasonable_adjustments: string | null;
}

/**
 * Each enrolment's agreed deferral cases (the agreed case if there is one; else, for a deferred
 * enrolment, the deferral without a plan): the current one is the row with the highest case id,
 * nulls last. Callers add `and e.id = …`.
 */
export const CURRENT_DEFERRAL_SELECT = sql`select e.id as enrolment_id, dc.id, coalesce(dc.status, 'deferred') as status, c.name as cohort_name,
               dc.rejoin_date::text, a.title as rejoin_title, dc.intent_contact_due_on::text,
               coalesce(jsonb_array_length(dc.rejoin_plan -> 'catchUpActivityIds'), 0)::int as catch_up,
               dc.reasonable_adjustments
        from enrolment e
        left join deferral_case dc on dc.enrolment_id = e.id
          and dc.status in ('approved', 'deferred', 'intent_contact_due', 'confirmed')
        left join cohort c on c.id = dc.target_cohort_id
        left join programme_activity a on a.id = dc.rejoin_activity_id
        where (dc.id is not null or e.status = 'deferred')`;

/** The current deferral row as the participant reads it, on London's `today`. */
export function toCurrentDeferral(row: CurrentDeferralRow, today: string): CurrentDeferral {
  return {
    caseId: row.id,
    status: row.status,
    rejoinCohortName: row.cohort_name,
    rejoinOn: row.rejoin_date,
    rejoinAt: row.rejoin_title,
    intentContactDueOn: row.intent_contact_due_on,
    catchUpCount: row.catch_up,
    returnConfirmed: row.status === 'confirmed',
    reasonableAdjustments: row.reasonable_adjustments,
    returnAnswerable:
      row.id !== null &&
      (row.status === 'deferred' || row.status === 'intent_contact_due') &&
      row.rejoin_date !== null &&
      row.rejoin_date >= today,
  };
}
