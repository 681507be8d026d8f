/**
 * Engagement alerts (2.1.1) the daily job raises: "no longer reachable" (the threshold in force
 * cannot be reached by the deadline) and "behind" (reachable, but projected below it at the current
 * pace). An alert is
 * open until the daily job finds the condition gone (cleared_on); these reads show the open ones
 * on active enrolments: on a participant's record, beside the cohort's at-risk list, and as a
 * count on the staff home page. Each read is one statement.
 */
import { sql } from 'drizzle-orm';
import { arrayParam, queryRows, type Db } from '../db/client.js';
import { formatThreshold } from '../policy/engagement.js';
import type { Actor } from './actor.js';
import { enrolmentVisibleTo } from './authorisation.js';

export const ALERT_KINDS = ['engagement_unreachable', 'engagement_behind'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

/**
 * The alert kinds as an array literal in the statement rather than a parameter: with an array
 * parameter of unknown length PostgreSQL judged a named statement's generic plan dearer and planned
 * it afresh at every request (the engagement API's read: 0.2-0.3 ms, more than running it; the
 * participant snapshot, about 3 ms); with the literal it is planned once per connection. Code
 * constants, checked to be plain words.
 */
export const ALERT_KINDS_SQL = sql.raw(
  `'{${ALERT_KINDS.map((kind) => {
    if (!/^[a-z_]+$/.test(kind)) throw new Error(`alert kind ${kind} cannot be a literal`);
    return kind;
  }).join(',')}}'::text[]`,
);

/**
 * An alert's label with the threshold it was raised against (the version in force that day, kept
 * in its details): under v2.2 "90% can no longer be reached". An alert without one says "the
 * engagement threshold".
 */
export function alertLabel(kind: AlertKind, thresholdBp: number | null): string {
  const threshold = thresholdBp === null ? null : formatThreshold(thresholdBp);
  return kind === 'engagement_unreachable'
    ? `${threshold ?? 'The engagement threshold'} can no longer be reached`
    : `Behind: projected below ${threshold ?? 'the engagement threshold'} at the current pace`;
}

export interface OpenAlert {
  enrolmentId: number;
  kind: AlertKind;
  label: string;
  raisedOn: string;
  cohortName: string;
}

type Executor = Pick<Db, 'execute'>;

/** Open alerts on the given enrolments the actor may see (none if the list is empty). */
export async function openAlertsForEnrolments(
  db: Executor,
  actor: Actor,
  enrolmentIds: readonly number[],
): Promise<OpenAlert[]> {
  if (enrolmentIds.length === 0) return [];
  const rows = await queryRows<OpenAlertRow>(
    db,
    sql`${OPEN_ALERTS_SELECT}
          and a.enrolment_id = any(${arrayParam([...enrolmentIds])}::int[])
          and (${enrolmentVisibleTo(actor)})
        order by a.raised_on, a.enrolment_id, a.kind`,
  );
  return rows.map(toOpenAlert);
}

export interface OpenAlertRow {
  enrolment_id: number;
  kind: AlertKind;
  raised_on: string;
  cohort_name: string;
  /** The threshold the alert was raised against, from its details. */
  threshold_bp: number | null;
}

/**
 * Open alerts on active enrolments (callers add `and …` conditions over `a`, `e` and `c`). Every
 * kind is named (the check constraint allows no other) so that an enrolment's alerts are found
 * through the unique (kind, enrolment_id) index, one probe per kind, not by reading all of it.
 */
export const OPEN_ALERTS_SELECT = sql`select a.enrolment_id, a.kind, a.raised_on::text, c.name as cohort_name,
               (a.details->>'thresholdBp')::int as threshold_bp
        from engagement_alert a join enrolment e on e.id = a.enrolment_id
        join cohort c on c.id = e.cohort_id
        where a.kind = any(${ALERT_KINDS_SQL})
          and a.cleared_on is null and e.status = 'active'`;

export function toOpenAlert(r: OpenAlertRow): OpenAlert {
  return {
    enrolmentId: r.enrolment_id,
    kind: r.kind,
    label: alertLabel(r.kind, r.threshold_bp === null ? null : Number(r.threshold_bp)),
    raisedOn: r.raised_on,
    cohortName: r.cohort_name,
  };
}

/** Open alerts on a participant's active enrolments the actor may see. */
export async function openAlertsForParticipant(
  db: Executor,
  actor: Actor,
  participantId: number,
): Promise<OpenAlert[]> {
  const ids = await queryRows<{ id: number }>(
    db,
    sql`select e.id from enrolment e join cohort c on c.id = e.cohort_id
        where e.participant_id = ${participantId} and (${enrolmentVisibleTo(actor)})`,
  );
  return openAlertsForEnrolments(
    db,
    actor,
    ids.map((r) => r.id),
  );
}

/** Open alerts by cohort, for the actor's home page: participants with at least one, per cohort. */
export async function openAlertCounts(
  db: Executor,
  actor: Actor,
): Promise<{ total: number; byCohort: Map<number, number> }> {
  const rows = await queryRows<{ cohort_id: number; n: number }>(
    db,
    sql`select e.cohort_id, count(distinct a.enrolment_id)::int as n
        from engagement_alert a join enrolment e on e.id = a.enrolment_id
        join cohort c on c.id = e.cohort_id
        where a.cleared_on is null and e.status = 'active' and (${enrolmentVisibleTo(actor)})
        group by e.cohort_id`,
  );
  return {
    total: rows.reduce((sum, r) => sum + Number(r.n), 0),
    byCohort: new Map(rows.map((r) => [r.cohort_id, Number(r.n)])),
  };
}
