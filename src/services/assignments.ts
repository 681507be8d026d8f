import { sql, type SQL } from 'drizzle-orm';
import { arrayParam, queryRows, type Db } from '../db/client.js';
import type { CourseIdentifier } from '../domain/catalogue.js';
import { evaluateCoachingEntitlement, londonDateOf, POLICY_REGISTER } from '../policy/index.js';
import { registerInForce } from './policy-register.js';
import type { Clock } from '../clock.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import { cohortVisibleTo } from './authorisation.js';
import { ForbiddenError, NotFoundError, PolicyRefusalError, ValidationError } from './errors.js';

/**
 * Who works with whom: a coach with an NPQEL or EHCO participant (policy 2.2.1.3), an assessor
 * with a cohort (they mark its submissions), a facilitator with a cohort event (they record its
 * attendance). The programme team and admins make these assignments for their lead provider.
 */

export interface ServiceDeps {
  db: Db;
  clock: Clock;
}
type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Executor = Pick<Db, 'execute'>;

export const ASSIGNMENT_KINDS = ['coach', 'assessor', 'facilitator'] as const;
export type AssignmentKind = (typeof ASSIGNMENT_KINDS)[number];

export type AssignInput =
  | { kind: 'coach'; userId: number; participantId: number }
  | { kind: 'assessor'; userId: number; cohortId: number }
  | { kind: 'facilitator'; userId: number; cohortEventId: number };

export interface AssignmentView {
  id: number;
  kind: AssignmentKind;
  userId: number;
  userName: string;
  participantId: number | null;
  cohortId: number | null;
  cohortEventId: number | null;
  createdAt: string;
}

/** Enrolments that are still running: a coach is assigned for these, never for a finished one. */
export const OPEN_ENROLMENT_STATUSES = ['applied', 'accepted', 'active', 'deferred'] as const;

export const coachingCourses = (): readonly string[] => POLICY_REGISTER.parameters.coachingCourses;

/**
 * Assignments are the programme team's (and admins') to make and to list: delivery-partner staff
 * are told no (403); anyone else is told there is nothing here (404).
 */
export function requireAssignmentManager(actor: Actor): void {
  if (actor.role === 'admin' || actor.role === 'programme_team') return;
  if (actor.role === 'delivery_partner_staff') {
    throw new ForbiddenError(
      'Only the programme team can assign coaches, assessors and facilitators.',
    );
  }
  throw new NotFoundError('Assignments');
}

interface AssignmentRow {
  id: number;
  user_id: number;
  role: string;
  user_name: string;
  participant_id: number | null;
  cohort_id: number | null;
  cohort_event_id: number | null;
  created_at: Date | string;
}

function view(r: AssignmentRow): AssignmentView {
  return {
    id: r.id,
    kind: r.participant_id !== null ? 'coach' : r.cohort_id !== null ? 'assessor' : 'facilitator',
    userId: r.user_id,
    userName: r.user_name,
    participantId: r.participant_id,
    cohortId: r.cohort_id,
    cohortEventId: r.cohort_event_id,
    createdAt: new Date(r.created_at).toISOString(),
  };
}

const ROLE_OF: Record<AssignmentKind, string> = {
  coach: 'coach',
  assessor: 'assessor',
  facilitator: 'facilitator',
};

/** "a coach", "an assessor", "a facilitator". */
export const aRole = (kind: AssignmentKind): string =>
  `${kind === 'assessor' ? 'an' : 'a'} ${ROLE_OF[kind]}`;

/**
 * Which assignments of a kind a manager can see, as one condition over staff_assignment `sa` and
 * its user `u`: coaches of participants enrolled with the lead provider, assessors of its cohorts,
 * facilitators of its cohorts' events.
 */
function kindCondition(actor: Actor, kind: AssignmentKind, cohortId?: number): SQL {
  const inCohort = (column: SQL) =>
    cohortId === undefined ? sql`true` : sql`${column} = ${cohortId}`;
  switch (kind) {
    case 'coach':
      return sql`u.role = 'coach' and exists (
        select 1 from enrolment e join cohort c on c.id = e.cohort_id
        where e.participant_id = sa.participant_id and (${cohortVisibleTo(actor)}) and ${inCohort(sql`c.id`)})`;
    case 'assessor':
      return sql`u.role = 'assessor' and exists (
        select 1 from cohort c where c.id = sa.cohort_id and (${cohortVisibleTo(actor)}) and ${inCohort(sql`c.id`)})`;
    case 'facilitator':
      return sql`u.role = 'facilitator' and exists (
        select 1 from cohort_event ce join cohort c on c.id = ce.cohort_id
        where ce.id = sa.cohort_event_id and (${cohortVisibleTo(actor)}) and ${inCohort(sql`c.id`)})`;
  }
}

const COLUMNS = sql`sa.id, sa.user_id, u.role, u.display_name as user_name, sa.participant_id, sa.cohort_id,
  sa.cohort_event_id, sa.created_at`;

/** The assignments of one kind, optionally for one cohort; one statement, newest first. */
export async function listAssignments(
  { db }: ServiceDeps,
  actor: Actor,
  query: { kind: AssignmentKind; cohortId?: number | undefined; limit: number; offset: number },
): Promise<{ items: AssignmentView[]; total: number }> {
  requireAssignmentManager(actor);
  const rows = await queryRows<AssignmentRow & { total: number }>(
    db,
    sql`select ${COLUMNS}, count(*) over ()::int as total
        from staff_assignment sa join app_user u on u.id = sa.user_id
        where ${kindCondition(actor, query.kind, query.cohortId)}
        order by sa.id desc limit ${query.limit} offset ${query.offset}`,
  );
  return { items: rows.map(view), total: rows[0]?.total ?? 0 };
}

/**
 * The person being assigned: an active account with the role, in the lead provider whose
 * participant, cohort or event it is. Read with a share lock, so a deactivation waits for us.
 */
async function requireAssignee(
  tx: Executor,
  userId: number,
  kind: AssignmentKind,
  leadProviderId: number,
): Promise<{ id: number; display_name: string }> {
  const [user] = await queryRows<{
    id: number;
    display_name: string;
    role: string;
    lead_provider_id: number | null;
    deactivated_at: Date | string | null;
  }>(
    tx,
    sql`select id, display_name, role, lead_provider_id, deactivated_at from app_user
        where id = ${userId} for share`,
  );
  const role = ROLE_OF[kind];
  const fail = (message: string) => new ValidationError([{ path: 'userId', message }]);
  if (!user || user.role !== role) throw fail(`Choose ${aRole(kind)} from the list.`);
  if (user.deactivated_at !== null) {
    throw fail(`${user.display_name}'s account has been deactivated: choose an active ${role}.`);
  }
  if (user.lead_provider_id !== leadProviderId) {
    throw fail(`Choose ${aRole(kind)} who works for this lead provider.`);
  }
  return user;
}

async function insertAssignment(
  tx: Executor,
  columns: { userId: number; participantId?: number; cohortId?: number; cohortEventId?: number },
): Promise<AssignmentRow | undefined> {
  const [row] = await queryRows<AssignmentRow>(
    tx,
    sql`with ins as (
          insert into staff_assignment (user_id, participant_id, cohort_id, cohort_event_id)
          values (${columns.userId}, ${columns.participantId ?? null}, ${columns.cohortId ?? null},
                  ${columns.cohortEventId ?? null})
          on conflict do nothing returning *)
        select ${COLUMNS} from ins sa join app_user u on u.id = sa.user_id`,
  );
  return row;
}

/** Assigns a coach, an assessor or a facilitator; audited in the same transaction. */
export async function assign(
  deps: ServiceDeps,
  actor: Actor,
  input: AssignInput,
): Promise<AssignmentView> {
  requireAssignmentManager(actor);
  return deps.db.transaction(async (tx) => {
    switch (input.kind) {
      case 'coach':
        return assignCoach(tx, deps, actor, input);
      case 'assessor':
        return assignAssessor(tx, deps, actor, input);
      case 'facilitator':
        return assignFacilitator(tx, deps, actor, input);
    }
  });
}

/**
 * A participant has one coach: assigning another replaces the one they had (a change of coach).
 * Only a participant enrolled on NPQEL or EHCO can have one (policy 2.2.1.3).
 */
async function assignCoach(
  tx: Tx,
  deps: ServiceDeps,
  actor: Actor,
  input: { userId: number; participantId: number },
): Promise<AssignmentView> {
  // Serialises changes of coach for one participant, so two at once cannot leave two coaches.
  await tx.execute(sql`select id from participant where id = ${input.participantId} for update`);
  const enrolments = await queryRows<{
    lead_provider_id: number;
    course: CourseIdentifier;
    status: string;
  }>(
    tx,
    sql`select c.lead_provider_id, co.identifier as course, e.status
        from enrolment e join cohort c on c.id = e.cohort_id
        join programme pr on pr.id = c.programme_id join course co on co.id = pr.course_id
        where e.participant_id = ${input.participantId} and (${cohortVisibleTo(actor)})
        order by c.start_date desc, e.id desc`,
  );
  if (enrolments.length === 0) throw new NotFoundError('Participant not found');
  const register = await registerInForce(tx, londonDateOf(deps.clock.now()));
  const coaching = enrolments.filter(
    (e) => evaluateCoachingEntitlement({ course: e.course }, register).outcome === 'allowed',
  );
  if (coaching.length === 0) {
    throw new PolicyRefusalError(
      evaluateCoachingEntitlement({ course: enrolments[0]!.course }, register),
    );
  }
  const open = coaching.find((e) =>
    (OPEN_ENROLMENT_STATUSES as readonly string[]).includes(e.status),
  );
  if (!open) {
    throw new ValidationError([
      {
        path: 'participantId',
        message:
          'This participant’s NPQEL or EHCO enrolment has ended, so they no longer need a coach.',
      },
    ]);
  }
  const coach = await requireAssignee(tx, input.userId, 'coach', open.lead_provider_id);
  const replaced = await queryRows<{ id: number; user_id: number }>(
    tx,
    sql`delete from staff_assignment sa using app_user u
        where u.id = sa.user_id and u.role = 'coach' and u.lead_provider_id = ${open.lead_provider_id}
          and sa.participant_id = ${input.participantId} and sa.user_id <> ${coach.id}
        returning sa.id, sa.user_id`,
  );
  const inserted = await insertAssignment(tx, {
    userId: coach.id,
    participantId: input.participantId,
  });
  // Already their coach: nothing changes, so nothing is audited.
  if (!inserted) {
    return view(
      await existing(
        tx,
        sql`sa.user_id = ${coach.id} and sa.participant_id = ${input.participantId}`,
      ),
    );
  }
  await audit(tx, {
    what: replaced.length > 0 ? 'COACH_CHANGED' : 'COACH_ASSIGNED',
    who: actor,
    subjectType: 'participant',
    subjectId: input.participantId,
    details: {
      assignmentId: inserted.id,
      coachUserId: coach.id,
      replacedCoachUserIds: replaced.map((r) => r.user_id),
      clause: '2.2.1.3',
    },
    at: deps.clock.now(),
  });
  return view(inserted);
}

async function existing(tx: Executor, where: SQL): Promise<AssignmentRow> {
  const [row] = await queryRows<AssignmentRow>(
    tx,
    sql`select ${COLUMNS} from staff_assignment sa join app_user u on u.id = sa.user_id where ${where}`,
  );
  return row!;
}

async function assignAssessor(
  tx: Tx,
  deps: ServiceDeps,
  actor: Actor,
  input: { userId: number; cohortId: number },
): Promise<AssignmentView> {
  const [cohort] = await queryRows<{ id: number; lead_provider_id: number }>(
    tx,
    sql`select c.id, c.lead_provider_id from cohort c
        where c.id = ${input.cohortId} and (${cohortVisibleTo(actor)})`,
  );
  if (!cohort) throw new NotFoundError('Cohort not found');
  const assessor = await requireAssignee(tx, input.userId, 'assessor', cohort.lead_provider_id);
  const row = await insertAssignment(tx, { userId: assessor.id, cohortId: cohort.id });
  if (!row) {
    throw new ValidationError([
      { path: 'userId', message: `${assessor.display_name} already assesses this cohort.` },
    ]);
  }
  await audit(tx, {
    what: 'ASSESSOR_ASSIGNED',
    who: actor,
    subjectType: 'cohort',
    subjectId: cohort.id,
    details: { assignmentId: row.id, assessorUserId: assessor.id },
    at: deps.clock.now(),
  });
  return view(row);
}

async function assignFacilitator(
  tx: Tx,
  deps: ServiceDeps,
  actor: Actor,
  input: { userId: number; cohortEventId: number },
): Promise<AssignmentView> {
  const [event] = await queryRows<{ id: number; lead_provider_id: number }>(
    tx,
    sql`select ce.id, c.lead_provider_id from cohort_event ce join cohort c on c.id = ce.cohort_id
        where ce.id = ${input.cohortEventId} and (${cohortVisibleTo(actor)})`,
  );
  if (!event) throw new NotFoundError('Event not found');
  const facilitator = await requireAssignee(
    tx,
    input.userId,
    'facilitator',
    event.lead_provider_id,
  );
  const row = await insertAssignment(tx, { userId: facilitator.id, cohortEventId: event.id });
  if (!row) {
    throw new ValidationError([
      { path: 'userId', message: `${facilitator.display_name} already runs this event.` },
    ]);
  }
  await audit(tx, {
    what: 'FACILITATOR_ASSIGNED',
    who: actor,
    subjectType: 'cohort_event',
    subjectId: event.id,
    details: { assignmentId: row.id, facilitatorUserId: facilitator.id },
    at: deps.clock.now(),
  });
  return view(row);
}

/** Ends an assignment the manager can see (404 otherwise); audited against its subject. */
export async function unassign(
  deps: ServiceDeps,
  actor: Actor,
  assignmentId: number,
): Promise<AssignmentView> {
  requireAssignmentManager(actor);
  return deps.db.transaction(async (tx) => {
    const [row] = await queryRows<AssignmentRow>(
      tx,
      sql`select ${COLUMNS} from staff_assignment sa join app_user u on u.id = sa.user_id
          where sa.id = ${assignmentId}
            and ((${kindCondition(actor, 'coach')}) or (${kindCondition(actor, 'assessor')})
                 or (${kindCondition(actor, 'facilitator')}))
          for update of sa`,
    );
    if (!row) throw new NotFoundError('Assignment not found');
    await tx.execute(sql`delete from staff_assignment where id = ${row.id}`);
    const assignment = view(row);
    const subject = {
      coach: { what: 'COACH_REMOVED', type: 'participant', id: row.participant_id },
      assessor: { what: 'ASSESSOR_REMOVED', type: 'cohort', id: row.cohort_id },
      facilitator: { what: 'FACILITATOR_REMOVED', type: 'cohort_event', id: row.cohort_event_id },
    }[assignment.kind];
    await audit(tx, {
      what: subject.what,
      who: actor,
      subjectType: subject.type,
      subjectId: subject.id ?? 0,
      details: { assignmentId: row.id, userId: row.user_id },
      at: deps.clock.now(),
    });
    return assignment;
  });
}

/** Active accounts that can be given work of a kind: the manager's lead provider's, by name. */
export async function assignableStaff(
  { db }: ServiceDeps,
  actor: Actor,
  kind: AssignmentKind,
): Promise<{ id: number; name: string; email: string }[]> {
  requireAssignmentManager(actor);
  const scope =
    actor.role === 'admin' ? sql`true` : sql`u.lead_provider_id = ${actor.leadProviderId ?? -1}`;
  return queryRows(
    db,
    sql`select u.id, u.display_name as name, u.email from app_user u
        where u.role = ${ROLE_OF[kind]} and u.deactivated_at is null and ${scope}
        order by u.display_name, u.id`,
  );
}

/** The course identifiers that carry coaching, as a SQL array parameter. */
export const coachingCoursesParam = (): SQL => sql`${arrayParam(coachingCourses())}::text[]`;
