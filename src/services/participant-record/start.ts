import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import type { Actor } from '../actor.js';
import { enrolmentVisibleTo, requireParticipant } from '../authorisation.js';
import { NotFoundError } from '../errors.js';
import type { ServiceDeps } from '../participants.js';

export interface EnrolmentStart {
  enrolmentId: number;
  cohortName: string;
  status: string;
  version: number;
  commencedAt: string | null;
  /** The first engagement with a required activity of the programme, if any. */
  firstEngagementAt: string | null;
  /** Staff may record the commencement: the enrolment is accepted and they may change it. */
  canRecordCommencement: boolean;
}

export interface StartOfProgramme {
  participantId: number;
  /** The participant record's version: edits send it back (409 if stale). */
  version: number;
  dfeRegistrationConfirmed: boolean;
  employmentConfirmed: boolean;
  /** Whether the actor may change the record (delivery partner staff, programme team, admins). */
  canEdit: boolean;
  enrolments: EnrolmentStart[];
}

const EDITORS: readonly Actor['role'][] = ['admin', 'programme_team', 'delivery_partner_staff'];

/**
 * Where a participant stands against the start of their programme (policy 2.3.2): the two
 * confirmations, and for each enrolment the actor may see its first engagement, status and the day
 * it commenced. Reads only.
 */
export async function startOfProgramme(
  { db }: ServiceDeps,
  actor: Actor,
  participantId: number,
): Promise<StartOfProgramme> {
  await requireParticipant(db, actor, participantId);
  const [p] = await queryRows<{
    version: number;
    dfe_registration_confirmed: boolean;
    employment_confirmed: boolean;
  }>(
    db,
    sql`select version, dfe_registration_confirmed, employment_confirmed from participant where id = ${participantId}`,
  );
  if (!p) throw new NotFoundError('Participant not found');
  const rows = await queryRows<{
    id: number;
    cohort_name: string;
    status: string;
    version: number;
    commenced_at: string | Date | null;
    first_engagement_at: string | Date | null;
  }>(
    db,
    sql`select e.id, c.name as cohort_name, e.status, e.version, e.commenced_at,
               (select min(r.occurred_at) from engagement_record r
                join programme_activity a on a.id = r.activity_id and a.required
                where r.participant_id = e.participant_id and a.programme_id = c.programme_id) as first_engagement_at
        from enrolment e join cohort c on c.id = e.cohort_id
        where e.participant_id = ${participantId} and (${enrolmentVisibleTo(actor)})
        order by c.start_date, e.id`,
  );
  const canEdit = EDITORS.includes(actor.role);
  const iso = (v: string | Date | null) => (v === null ? null : new Date(v).toISOString());
  return {
    participantId,
    version: p.version,
    dfeRegistrationConfirmed: p.dfe_registration_confirmed,
    employmentConfirmed: p.employment_confirmed,
    canEdit,
    enrolments: rows.map((r) => ({
      enrolmentId: r.id,
      cohortName: r.cohort_name,
      status: r.status,
      version: r.version,
      commencedAt: iso(r.commenced_at),
      firstEngagementAt: iso(r.first_engagement_at),
      canRecordCommencement: canEdit && r.status === 'accepted',
    })),
  };
}
