/**
 * Writes what the DfE must be told about a lifecycle change into the DfE outbox, in the caller's
 * transaction: the request goes only if the change commits, and is never lost after it does.
 * Requests are written whether or not DfE sync is configured (config.dfeApi): with sync off they
 * wait, and turning sync on sends the backlog in order. A participant with no DfE participant id
 * yet (their application not accepted through the DfE) has their requests wait, shown as
 * "no DfE id", until the id is set.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../../db/client.js';
import { scheduleFor, type CourseGroup } from '../../../domain/dfe-declarations.js';
import type { DfeAction } from '../../../domain/participant-lifecycle.js';

type Tx = Pick<Db, 'execute'>;

export type DfeOutboxAction =
  | 'defer'
  | 'resume'
  | 'withdraw'
  | 'change_schedule'
  | 'declare'
  | 'void'
  | ApplicationDecisionAction;

/** Application decisions: the same outbox, addressed by the DfE's application id. */
export type ApplicationDecisionAction = 'accept' | 'reject' | 'change_funded_place';
export const APPLICATION_ACTIONS: readonly DfeOutboxAction[] = [
  'accept',
  'reject',
  'change_funded_place',
];

/** A transfer out (2.6.4) is reported as a withdrawal with this reason. */
export const TRANSFER_OUT_WITHDRAWAL_REASON = 'personal-reason-moving-school';

export interface LifecycleReport {
  enrolmentId: number;
  action: DfeAction;
  /** The DfE deferral or withdrawal reason (required for defer and withdraw). */
  reason?: string | undefined;
  /** The cohort the enrolment was in before a resume; a later one adds a change-schedule. */
  previousCohortId?: number | undefined;
  /** Identifies the change (e.g. the audit event or case): the request key is built from it. */
  changeKey: string;
  at: Date;
}

interface EnrolmentDfeFacts {
  participant_id: number;
  cohort_id: number;
  course_identifier: string;
  course_group: CourseGroup;
  cohort_year: number;
  start_date: string;
}

async function factsOf(tx: Tx, enrolmentId: number): Promise<EnrolmentDfeFacts> {
  const [row] = await queryRows<EnrolmentDfeFacts>(
    tx,
    sql`select e.participant_id, e.cohort_id, co.identifier as course_identifier, co.course_group,
               c.year as cohort_year, to_char(c.start_date, 'YYYY-MM-DD') as start_date
        from enrolment e join cohort c on c.id = e.cohort_id
        join programme p on p.id = c.programme_id join course co on co.id = p.course_id
        where e.id = ${enrolmentId}`,
  );
  if (!row) throw new Error(`No enrolment ${enrolmentId}`);
  return row;
}

async function insertRequest(
  tx: Tx,
  r: {
    key: string;
    action: DfeOutboxAction;
    enrolmentId: number;
    participantId: number;
    attributes: Record<string, unknown>;
    at: Date;
  },
): Promise<void> {
  await tx.execute(
    sql`insert into dfe_outbox (request_key, action, enrolment_id, participant_id, attributes, next_attempt_at, created_at)
        values (${r.key}, ${r.action}, ${r.enrolmentId}, ${r.participantId}, ${JSON.stringify(r.attributes)}::jsonb, ${r.at}, ${r.at})
        on conflict (request_key) do nothing`,
  );
}

/** Queues the DfE request(s) for one lifecycle change, in the caller's transaction. */
export async function enqueueLifecycleReport(tx: Tx, report: LifecycleReport): Promise<void> {
  const f = await factsOf(tx, report.enrolmentId);
  const base = { enrolmentId: report.enrolmentId, participantId: f.participant_id, at: report.at };
  const course = { course_identifier: f.course_identifier };
  if (report.action === 'defer' || report.action === 'withdraw') {
    if (!report.reason) throw new Error(`A DfE ${report.action} needs a reason`);
    await insertRequest(tx, {
      ...base,
      key: `${report.action}:${report.changeKey}`,
      action: report.action,
      attributes: { ...course, reason: report.reason },
    });
    return;
  }
  await insertRequest(tx, {
    ...base,
    key: `resume:${report.changeKey}`,
    action: 'resume',
    attributes: course,
  });
  if (report.previousCohortId !== undefined && report.previousCohortId !== f.cohort_id) {
    // The participant re-joins a later cohort (2.3.6): the DfE moves them to its schedule.
    await insertRequest(tx, {
      ...base,
      key: `change_schedule:${report.changeKey}`,
      action: 'change_schedule',
      attributes: {
        ...course,
        schedule_identifier: scheduleFor(f.course_group, f.start_date),
        cohort: String(f.cohort_year),
      },
    });
  }
}

/**
 * Queues an application decision (accept, reject, change of funded place) in the caller's
 * transaction. `key` identifies the decision (one decision is one request); an accept names the
 * enrolment it created, so that enrolment's later changes wait until the DfE has the accept.
 */
export async function enqueueApplicationDecision(
  tx: Tx,
  d: {
    key: string;
    action: ApplicationDecisionAction;
    applicationId: number;
    attributes: Record<string, unknown>;
    enrolmentId?: number | undefined;
    participantId?: number | undefined;
    createdBy: string;
    at: Date;
  },
): Promise<void> {
  await tx.execute(
    sql`insert into dfe_outbox (request_key, action, application_id, enrolment_id, participant_id, attributes, created_by, next_attempt_at, created_at)
        values (${d.key}, ${d.action}, ${d.applicationId}, ${d.enrolmentId ?? null}, ${d.participantId ?? null},
                ${JSON.stringify(d.attributes)}::jsonb, ${d.createdBy}, ${d.at}, ${d.at})
        on conflict (request_key) do nothing`,
  );
}
