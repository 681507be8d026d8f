import { engagementDecisionOf } from './engagement-decision.js';
import { sql } from 'drizzle-orm';
import { arrayParam, queryRows, type Db } from '../db/client.js';
import { loadEnrolmentFacts } from '../db/queries/enrolment-facts.js';
import { londonDateOf, type PolicyRegister } from '../policy/index.js';
import type { Clock } from '../clock.js';
import type { Actor } from './actor.js';
import {
  cohortVisibleTo,
  enrolmentVisibleTo,
  requireEnrolment,
  requireParticipant,
} from './authorisation.js';
import { registerInForce } from './policy-register.js';
import { NotFoundError } from './errors.js';

export interface ServiceDeps {
  db: Db;
  clock: Clock;
  /** config.publicUrl: links in the notices a change sends start with it. */
  publicUrl?: string | undefined;
}

export interface ParticipantListItem {
  id: number;
  fullName: string;
  email: string;
  trn: string | null;
  enrolments: {
    id: number;
    cohortId: number;
    cohortName: string;
    deliveryPartner: string;
    status: string;
  }[];
}

/**
 * Participants the actor may see, one page at a time, optionally within one cohort and matching a
 * search: any part of the name, or the start of the TRN.
 */
export async function listParticipants(
  { db }: ServiceDeps,
  actor: Actor,
  filter: { cohortId?: number | undefined; q?: string | undefined; limit: number; offset: number },
): Promise<{ items: ParticipantListItem[]; total: number }> {
  const q = (filter.q ?? '').trim();
  const like = `%${q.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
  const search = q
    ? /^\d{1,7}$/.test(q)
      ? sql` and p.trn like ${`${q}%`}`
      : sql` and p.full_name ilike ${like}`
    : sql``;
  const inCohort =
    filter.cohortId !== undefined ? sql` and e.cohort_id = ${filter.cohortId}` : sql``;
  const where = sql`(${enrolmentVisibleTo(actor)})${inCohort}${search}`;
  const [count] = await queryRows<{ total: number }>(
    db,
    sql`select count(distinct e.participant_id)::int as total from enrolment e join cohort c on c.id = e.cohort_id
        join participant p on p.id = e.participant_id where ${where}`,
  );
  const ids = await queryRows<{ id: number }>(
    db,
    sql`select distinct p.id, p.full_name from enrolment e join cohort c on c.id = e.cohort_id join participant p on p.id = e.participant_id
        where ${where} order by p.full_name, p.id limit ${filter.limit} offset ${filter.offset}`,
  );
  const rows = await queryRows<{
    id: number;
    full_name: string;
    email: string;
    trn: string | null;
    enrolment_id: number;
    cohort_id: number;
    cohort_name: string;
    delivery_partner: string;
    status: string;
  }>(
    db,
    sql`select p.id, p.full_name, p.email, p.trn, e.id as enrolment_id, c.id as cohort_id, c.name as cohort_name,
               dp.name as delivery_partner, e.status
        from participant p join enrolment e on e.participant_id = p.id join cohort c on c.id = e.cohort_id
        join delivery_partner dp on dp.id = e.delivery_partner_id
        where p.id = any(${arrayParam(ids.map((i) => i.id))}::int[]) and (${enrolmentVisibleTo(actor)})
        order by p.full_name, p.id, c.start_date`,
  );
  const byId = new Map<number, ParticipantListItem>();
  for (const r of rows) {
    const item = byId.get(r.id) ?? {
      id: r.id,
      fullName: r.full_name,
      email: r.email,
      trn: r.trn,
      enrolments: [],
    };
    item.enrolments.push({
      id: r.enrolment_id,
      cohortId: r.cohort_id,
      cohortName: r.cohort_name,
      deliveryPartner: r.delivery_partner,
      status: r.status,
    });
    byId.set(r.id, item);
  }
  return { items: [...byId.values()], total: count?.total ?? 0 };
}

export async function getParticipant({ db }: ServiceDeps, actor: Actor, participantId: number) {
  await requireParticipant(db, actor, participantId);
  const [participant] = await queryRows<{
    id: number;
    full_name: string;
    email: string;
    trn: string | null;
    dfe_registration_id: string | null;
    dfe_registration_confirmed: boolean;
    employment_confirmed: boolean;
    funding_route: string;
    working_pattern: string;
    part_time_fraction: string | null;
    school_urn: string | null;
    school_name: string | null;
    version: number;
  }>(
    db,
    sql`select p.id, p.full_name, p.email, p.trn, p.dfe_registration_id, p.dfe_registration_confirmed, p.employment_confirmed,
               p.funding_route, p.working_pattern, p.part_time_fraction::text, s.urn as school_urn, s.name as school_name, p.version
        from participant p left join school s on s.id = p.current_school_id where p.id = ${participantId}`,
  );
  if (!participant) throw new NotFoundError('Participant not found');
  const employment = await queryRows<{
    school_urn: string;
    school_name: string;
    started_on: string;
    ended_on: string | null;
  }>(
    db,
    sql`select s.urn as school_urn, s.name as school_name, pe.started_on::text, pe.ended_on::text
        from participant_employment pe join school s on s.id = pe.school_id
        where pe.participant_id = ${participantId} order by pe.started_on, pe.id`,
  );
  const enrolments = await enrolmentsOf(db, actor, participantId);
  return {
    id: participant.id,
    fullName: participant.full_name,
    email: participant.email,
    trn: participant.trn,
    dfeRegistrationId: participant.dfe_registration_id,
    dfeRegistrationConfirmed: participant.dfe_registration_confirmed,
    employmentConfirmed: participant.employment_confirmed,
    fundingRoute: participant.funding_route,
    workingPattern: participant.working_pattern,
    partTimeFraction:
      participant.part_time_fraction === null ? null : Number(participant.part_time_fraction),
    currentSchool: participant.school_urn
      ? { urn: participant.school_urn, name: participant.school_name ?? '' }
      : null,
    employmentHistory: employment.map((e) => ({
      schoolUrn: e.school_urn,
      schoolName: e.school_name,
      startedOn: e.started_on,
      endedOn: e.ended_on,
    })),
    version: participant.version,
    enrolments,
  };
}

export interface ParticipantEnrolment {
  id: number;
  cohortId: number;
  cohortName: string;
  deliveryPartner: string;
  status: string;
  commencedAt: string | null;
}

/** The columns enrolmentsOf (and own-enrolments.ts) select, and the enrolment they make. */
export interface EnrolmentRow {
  id: number;
  cohort_id: number;
  cohort_name: string;
  delivery_partner: string;
  status: string;
  commenced_at: string | Date | null;
}
export const ENROLMENT_COLUMNS = sql`e.id, c.id as cohort_id, c.name as cohort_name, dp.name as delivery_partner, e.status, e.commenced_at`;
export const ENROLMENT_JOINS = sql`enrolment e join cohort c on c.id = e.cohort_id join delivery_partner dp on dp.id = e.delivery_partner_id`;

export function enrolmentFromRow(e: EnrolmentRow): ParticipantEnrolment {
  return {
    id: e.id,
    cohortId: e.cohort_id,
    cohortName: e.cohort_name,
    deliveryPartner: e.delivery_partner,
    status: e.status,
    commencedAt: e.commenced_at === null ? null : new Date(e.commenced_at).toISOString(),
  };
}

/**
 * A participant's enrolments the actor may see, oldest cohort first: one statement, and none
 * (not an error) when the actor may see none of them.
 */
export async function enrolmentsOf(
  db: Pick<Db, 'execute'>,
  actor: Actor,
  participantId: number,
): Promise<ParticipantEnrolment[]> {
  const rows = await queryRows<EnrolmentRow>(
    db,
    sql`select ${ENROLMENT_COLUMNS} from ${ENROLMENT_JOINS}
        where e.participant_id = ${participantId} and (${enrolmentVisibleTo(actor)}) order by c.start_date`,
  );
  return rows.map(enrolmentFromRow);
}

/** An enrolment with where the participant stands against the engagement requirement (2.1.1). */
export async function getEnrolment(
  { db, clock }: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
  /** The version in force today when the caller has loaded it already (one statement fewer). */
  inForce?: PolicyRegister,
) {
  await requireEnrolment(db, actor, enrolmentId);
  const facts = await loadEnrolmentFacts(db, enrolmentId);
  if (!facts) throw new NotFoundError('Enrolment not found');
  const today = londonDateOf(clock.now());
  const engagement = engagementDecisionOf(
    facts,
    today,
    inForce ?? (await registerInForce(db, today)),
  );
  return {
    id: facts.enrolment.id,
    participantId: facts.participant.id,
    status: facts.enrolment.status,
    deliveryPartner: facts.enrolment.deliveryPartnerName,
    cohort: facts.cohort,
    deferralCount: facts.enrolment.deferralCount,
    assessmentAttemptsUsed: facts.enrolment.assessmentAttemptsUsed,
    version: facts.enrolment.version,
    commencedAt: facts.enrolment.commencedAt,
    engagement,
  };
}

export async function listCohorts({ db }: ServiceDeps, actor: Actor) {
  const rows = await queryRows<{
    id: number;
    name: string;
    year: number;
    course: string;
    start_date: string;
    engagement_deadline: string;
    end_date: string;
    is_final: boolean;
    participants: number;
  }>(
    db,
    sql`select c.id, c.name, c.year, co.identifier as course, c.start_date::text, c.engagement_deadline::text, c.end_date::text, c.is_final,
               (select count(*)::int from enrolment e where e.cohort_id = c.id and (${enrolmentVisibleTo(actor)})) as participants
        from cohort c join programme p on p.id = c.programme_id join course co on co.id = p.course_id
        where ${cohortVisibleTo(actor)} order by c.year desc, co.identifier`,
  );
  return rows.map((r) => ({
    id: r.id,
    name: r.name,
    year: r.year,
    course: r.course,
    startDate: r.start_date,
    engagementDeadline: r.engagement_deadline,
    endDate: r.end_date,
    isFinal: r.is_final,
    participants: r.participants,
  }));
}
