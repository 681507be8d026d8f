import { sql, type SQL } from 'drizzle-orm';
import { arrayParam, queryRows, type Db } from '../db/client.js';
import { POLICY_REGISTER, transition } from '../policy/index.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import { requireEnrolment } from './authorisation.js';
import { changeEnrolmentStatus } from './enrolment-status.js';
import type { ServiceDeps } from './participants.js';

/**
 * The start of an enrolment (policy 2.3.2): an accepted participant has formally commenced once
 * they are registered with the DfE, their employment is confirmed and they have engaged with at
 * least one module or event. The enrolment then becomes active (the lifecycle's 'commence'), which
 * is what later makes a deferral possible. It happens on its own wherever engagement or a
 * confirmation is recorded, or when staff record the commencement.
 */

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/**
 * Engagement that counts for 2.3.2, as the deferral rule counts it: a required activity of the
 * enrolment's programme (enrolment `e`, cohort `c`) completed or attended; coaching only on the
 * courses that include it (2.2.1.3).
 */
export function engagedSql(): SQL {
  return sql`exists (
    select 1 from engagement_record r
    join programme_activity a on a.id = r.activity_id and a.required
    join programme pr on pr.id = a.programme_id
    join course co on co.id = pr.course_id
    where r.participant_id = e.participant_id and a.programme_id = c.programme_id
      and (a.kind <> 'coaching' or co.identifier = any(${arrayParam(POLICY_REGISTER.parameters.coachingCourses)}::text[])))`;
}

/** Accepted enrolments of these participants that now meet every condition of 2.3.2. */
function dueSql(participantIds: readonly number[]): SQL {
  return sql`select e.id, e.participant_id from enrolment e
    join cohort c on c.id = e.cohort_id
    join participant p on p.id = e.participant_id
    where e.participant_id = any(${arrayParam(participantIds)}::int[])
      and e.status = 'accepted' and p.dfe_registration_confirmed and p.employment_confirmed
      and ${engagedSql()}`;
}

export interface AutoCommence {
  participantIds: readonly number[];
  /** Whose action completed the conditions (the engagement or confirmation they recorded). */
  who: Actor;
  at: Date;
  /** What completed them, for the audit trail, e.g. 'study_session_completed'. */
  trigger: string;
  correlationId?: string | undefined;
}

const AUTOMATIC = { automatic: true, clause: '2.3.2' };

/**
 * For one participant's action: each enrolment now due commences through the lifecycle state
 * machine (version bumped, audited), in the caller's transaction. Returns the enrolments commenced.
 */
export async function commenceIfDue(tx: Tx, input: AutoCommence): Promise<number[]> {
  if (input.participantIds.length === 0) return [];
  const due = await queryRows<{ id: number }>(tx, dueSql(input.participantIds));
  for (const { id } of due) {
    await changeEnrolmentStatus(tx, {
      enrolmentId: id,
      event: 'commence',
      who: input.who,
      at: input.at,
      set: { commencedAt: input.at },
      details: { ...AUTOMATIC, trigger: input.trigger },
      correlationId: input.correlationId,
    });
  }
  return due.map((d) => d.id);
}

/**
 * For bulk feeds: every due enrolment of these participants commences in one update, audited
 * with one multi-row insert, with the same transition and audit event as the state machine's.
 */
export async function commenceDueInBulk(tx: Tx, input: AutoCommence): Promise<number[]> {
  if (input.participantIds.length === 0) return [];
  const rule = transition('accepted', 'commence');
  if (!rule.ok) throw new Error(rule.reason);
  const commenced = await queryRows<{ id: number }>(
    tx,
    sql`update enrolment e set status = ${rule.to}, status_changed_at = ${input.at}, commenced_at = ${input.at},
               version = e.version + 1
        from (${dueSql(input.participantIds)}) due
        where e.id = due.id and e.status = 'accepted'
        returning e.id`,
  );
  await audit(
    tx,
    ...commenced.map(({ id }) => ({
      what: 'ENROLMENT_COMMENCE',
      who: input.who,
      subjectType: 'enrolment',
      subjectId: id,
      details: {
        from: rule.from,
        to: rule.to,
        trainingStatus: rule.trainingStatus,
        dfeAction: rule.dfeAction,
        ...AUTOMATIC,
        trigger: input.trigger,
      },
      correlationId: input.correlationId,
      at: input.at,
    })),
  );
  return commenced.map((c) => c.id);
}

export interface CommencementInput {
  enrolmentId: number;
  note?: string | undefined;
  /** The enrolment version the caller read (409 if stale). */
  expectedVersion?: number | undefined;
}

/**
 * Staff (the participant's delivery partner, the programme team, admins) record that an accepted
 * participant has formally commenced, with an optional note, whatever the recorded evidence says.
 */
export async function recordCommencement(
  deps: ServiceDeps,
  actor: Actor,
  input: CommencementInput,
): Promise<{ id: number; status: string; commencedAt: string; version: number }> {
  return deps.db.transaction(async (tx) => {
    await requireEnrolment(tx, actor, input.enrolmentId, 'write');
    const at = deps.clock.now();
    const note = input.note?.trim() || null;
    await changeEnrolmentStatus(tx, {
      enrolmentId: input.enrolmentId,
      event: 'commence',
      who: actor,
      at,
      expectedVersion: input.expectedVersion,
      set: { commencedAt: at },
      details: { automatic: false, clause: '2.3.2', note },
    });
    const [row] = await queryRows<{ version: number }>(
      tx,
      sql`select version from enrolment where id = ${input.enrolmentId}`,
    );
    return {
      id: input.enrolmentId,
      status: 'active',
      commencedAt: at.toISOString(),
      version: row!.version,
    };
  });
}
