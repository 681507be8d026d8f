import { sql, type SQL } from 'drizzle-orm';
import { queryRows, type Db } from '../db/client.js';
import type { Actor } from './actor.js';
import { ForbiddenError, NotFoundError } from './errors.js';

/**
 * Who may see which participants, as one SQL condition over an enrolment (alias `e`) and its
 * cohort (alias `c`), so every list, count and export filters in the database:
 * - a participant: their own enrolments;
 * - delivery-partner staff: their partner's enrolments;
 * - the programme team: the whole lead provider, national cohorts included;
 * - coaches: participants assigned to them; assessors: participants assigned to them and everyone
 *   enrolled on a cohort assigned to them (they mark its submissions); facilitators: participants
 *   booked on events they run;
 * - admins: everything.
 */
export function enrolmentVisibleTo(actor: Actor): SQL {
  switch (actor.role) {
    case 'admin':
      return sql`true`;
    case 'programme_team':
      return sql`c.lead_provider_id = ${actor.leadProviderId ?? -1}`;
    case 'delivery_partner_staff':
      return sql`e.delivery_partner_id = ${actor.deliveryPartnerId ?? -1}`;
    case 'participant':
      return sql`e.participant_id = ${actor.participantId ?? -1}`;
    case 'coach':
      return sql`exists (select 1 from staff_assignment sa where sa.user_id = ${actor.userId} and sa.participant_id = e.participant_id)`;
    case 'assessor':
      return sql`exists (select 1 from staff_assignment sa where sa.user_id = ${actor.userId}
                          and (sa.participant_id = e.participant_id or sa.cohort_id = e.cohort_id))`;
    case 'facilitator':
      return sql`exists (select 1 from staff_assignment sa join event_booking b on b.cohort_event_id = sa.cohort_event_id
                          where sa.user_id = ${actor.userId} and b.enrolment_id = e.id and b.status <> 'cancelled')`;
  }
}

/** Cohorts an actor can see: staff of the lead provider see all of its cohorts; others, their participants' cohorts. */
export function cohortVisibleTo(actor: Actor): SQL {
  switch (actor.role) {
    case 'admin':
      return sql`true`;
    case 'programme_team':
    case 'coach':
    case 'assessor':
    case 'facilitator':
      return sql`c.lead_provider_id = ${actor.leadProviderId ?? -1}`;
    case 'delivery_partner_staff':
      return sql`exists (select 1 from enrolment e where e.cohort_id = c.id and e.delivery_partner_id = ${actor.deliveryPartnerId ?? -1})`;
    case 'participant':
      return sql`exists (select 1 from enrolment e where e.cohort_id = c.id and e.participant_id = ${actor.participantId ?? -1})`;
  }
}

export type Access = 'read' | 'write';

/**
 * Roles that may change an enrolment's record (cases, withdrawals, attendance) once they can see it.
 * Participants act on their own record through their own use cases (requests, bookings).
 */
const WRITERS: readonly Actor['role'][] = ['admin', 'programme_team', 'delivery_partner_staff'];

/**
 * Resolves an enrolment the actor may see, or answers 404 as if it did not exist; a write by a
 * role that may only read answers 403.
 */
export async function requireEnrolment(
  db: Pick<Db, 'execute'>,
  actor: Actor,
  enrolmentId: number,
  access: Access = 'read',
  options: { participantMayWrite?: boolean } = {},
): Promise<void> {
  const rows = await queryRows<{ id: number }>(
    db,
    sql`select e.id from enrolment e join cohort c on c.id = e.cohort_id
        where e.id = ${enrolmentId} and (${enrolmentVisibleTo(actor)})`,
  );
  if (rows.length === 0) throw new NotFoundError('Enrolment not found');
  if (
    access === 'write' &&
    !WRITERS.includes(actor.role) &&
    !(options.participantMayWrite && actor.role === 'participant')
  ) {
    throw new ForbiddenError();
  }
}

/** As requireEnrolment, for a participant: visible if any of their enrolments is. */
export async function requireParticipant(
  db: Pick<Db, 'execute'>,
  actor: Actor,
  participantId: number,
  access: Access = 'read',
  options: { participantMayWrite?: boolean } = {},
): Promise<void> {
  const rows = await queryRows<{ id: number }>(
    db,
    sql`select e.id from enrolment e join cohort c on c.id = e.cohort_id
        where e.participant_id = ${participantId} and (${enrolmentVisibleTo(actor)}) limit 1`,
  );
  if (rows.length === 0) throw new NotFoundError('Participant not found');
  if (
    access === 'write' &&
    !WRITERS.includes(actor.role) &&
    !(options.participantMayWrite && actor.role === 'participant')
  ) {
    throw new ForbiddenError();
  }
}
