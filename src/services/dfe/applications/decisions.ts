/**
 * Deciding an application: accept (the participant, their enrolment in the matching cohort with
 * the chosen delivery partner, their account and invitation email, through the participant import
 * itself), reject with a reason, or change the funded place of an accepted one. Each decision is
 * written with the message to the DfE (the DfE outbox, dfe_outbox) and its audit event in one
 * transaction; the DfE is told by the delivery run (deliver.ts), with retries, so a slow or
 * unavailable DfE never blocks the decision.
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../../db/client.js';
import type { Clock } from '../../../clock.js';
import type { FundingRoute } from '../../../domain/catalogue.js';
import { actorLabel, type Actor } from '../../actor.js';
import { audit } from '../../audit.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from '../../errors.js';
import { importParticipantRecords } from '../../participant-import.js';
import { enqueueApplicationDecision } from '../outbox/enqueue.js';
import { requireApplicationStaff } from './queue.js';

export interface DecisionDeps {
  db: Db;
  clock: Clock;
  /** Invitation links start with it (config.publicUrl). */
  publicUrl: string;
}

interface ApplicationRow {
  id: number;
  dfe_id: string;
  dfe_participant_id: string;
  dfe_status: string;
  decision: string | null;
  course_identifier: string;
  cohort_year: number | null;
  school_urn: string | null;
  full_name: string;
  eligible_for_funding: boolean;
  trn_validated: boolean;
  attributes: Record<string, unknown>;
  version: number;
  enrolment_id: number | null;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

async function lockApplication(
  tx: Tx,
  id: number,
  expectedVersion: number,
): Promise<ApplicationRow> {
  const [row] = await queryRows<ApplicationRow>(
    tx,
    sql`select id, dfe_id, dfe_participant_id, dfe_status, decision, course_identifier, cohort_year,
               school_urn, full_name, eligible_for_funding, trn_validated, attributes, version, enrolment_id
        from dfe_application where id = ${id} for update`,
  );
  if (!row) throw new NotFoundError('Application not found');
  if (row.version !== expectedVersion) throw new ConflictError();
  return row;
}

function requireUndecided(row: ApplicationRow): void {
  if (row.decision !== null)
    throw new ConflictError(`This application was already ${row.decision} in npq-ops.`);
  if (row.dfe_status !== 'pending')
    throw new ValidationError([
      {
        path: 'application',
        message: `The DfE shows this application as ${row.dfe_status}: it can no longer be accepted or rejected`,
      },
    ]);
}

/** How the participant's place is paid for, from the DfE's funding facts. */
export function fundingRouteOf(fundedPlace: boolean, fundingChoice: string | null): FundingRoute {
  if (fundedPlace) return 'dfe_scholarship';
  switch (fundingChoice) {
    case 'school':
    case 'trust':
    case 'self':
    case 'employer':
      return fundingChoice;
    case 'another':
      return 'employer';
    default:
      return 'self';
  }
}

export interface AcceptInput {
  deliveryPartnerId: number;
  /** Required when the applicant is eligible for funding; must not be true otherwise. */
  fundedPlace?: boolean | undefined;
  expectedVersion: number;
}

export interface AcceptResult {
  applicationId: number;
  participantId: number;
  enrolmentId: number;
  /** Whether an account and invitation email were created (false: they already had an account). */
  invited: boolean;
}

export async function acceptApplication(
  deps: DecisionDeps,
  actor: Actor,
  id: number,
  input: AcceptInput,
): Promise<AcceptResult> {
  requireApplicationStaff(actor);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const app = await lockApplication(tx, id, input.expectedVersion);
    requireUndecided(app);
    const errors: { path: string; message: string }[] = [];
    const [partner] = await queryRows<{ id: number; slug: string; lead_provider_id: number }>(
      tx,
      sql`select id, slug, lead_provider_id from delivery_partner where id = ${input.deliveryPartnerId}`,
    );
    if (!partner || (actor.role !== 'admin' && partner.lead_provider_id !== actor.leadProviderId))
      errors.push({ path: 'deliveryPartnerId', message: 'Choose a delivery partner' });
    if (app.eligible_for_funding && input.fundedPlace === undefined)
      errors.push({ path: 'fundedPlace', message: 'Select whether they have a funded place' });
    if (!app.eligible_for_funding && input.fundedPlace === true)
      errors.push({
        path: 'fundedPlace',
        message: 'They are not eligible for DfE funding, so they cannot have a funded place',
      });
    const email = typeof app.attributes.email === 'string' ? app.attributes.email : '';
    if (!email)
      errors.push({
        path: 'application',
        message: 'The DfE sent no email address for this applicant, so they cannot be invited',
      });
    if (app.cohort_year === null)
      errors.push({ path: 'application', message: 'The DfE sent no cohort for this application' });
    if (errors.length > 0) throw new ValidationError(errors);

    const fundedPlace = app.eligible_for_funding ? input.fundedPlace === true : false;
    const trn = app.attributes.teacher_reference_number;
    const record = {
      // The TRN identifies the participant only once the DfE has validated it.
      trn: app.trn_validated && typeof trn === 'string' && /^\d{7}$/.test(trn) ? trn : '',
      dfe_registration_id: app.dfe_participant_id,
      full_name: app.full_name,
      email,
      school_urn: app.school_urn ?? '',
      funding_route: fundingRouteOf(
        fundedPlace,
        typeof app.attributes.funding_choice === 'string' ? app.attributes.funding_choice : null,
      ),
      working_pattern: 'full_time',
      part_time_fraction: '',
      dfe_registration_confirmed: 'yes',
      employment_confirmed: 'no',
      course_identifier: app.course_identifier,
      cohort_year: String(app.cohort_year),
      delivery_partner: partner!.slug,
    };
    // The participant import itself: the same checks, the same account and invitation email.
    const summary = await importParticipantRecords(tx as unknown as Db, [{ line: 1, record }], {
      today: now.toISOString().slice(0, 10),
      now,
      publicUrl: deps.publicUrl,
      who: actorLabel(actor),
    });
    if (summary.errors.length > 0)
      throw new ValidationError(
        summary.errors.map((e) => ({
          path:
            e.field === 'cohort_year'
              ? 'application'
              : e.field === 'school_urn'
                ? 'application'
                : e.field,
          message:
            e.field === 'cohort_year'
              ? `${e.message}: set up the cohort first`
              : e.field === 'school_urn'
                ? `${e.message}: import the school from GIAS first`
                : e.message,
        })),
      );
    const [enrolment] = await queryRows<{ id: number; participant_id: number }>(
      tx,
      sql`select e.id, e.participant_id from enrolment e
          join participant p on p.id = e.participant_id
          join cohort c on c.id = e.cohort_id join programme pr on pr.id = c.programme_id
          join course co on co.id = pr.course_id
          where (p.dfe_registration_id = ${app.dfe_participant_id} or p.trn = ${record.trn || null})
            and co.identifier = ${app.course_identifier} and c.year = ${app.cohort_year}
          order by e.id desc limit 1`,
    );
    if (!enrolment) throw new ConflictError('The enrolment could not be created. Try again.');
    // The DfE's ids, which the DfE outbox (participant changes, declarations) addresses them by.
    await tx.execute(sql`update participant set dfe_participant_id = ${app.dfe_participant_id}
      where id = ${enrolment.participant_id} and dfe_participant_id is null`);
    await tx.execute(sql`update enrolment set dfe_application_id = ${app.dfe_id}
      where id = ${enrolment.id} and dfe_application_id is null`);
    await tx.execute(sql`update dfe_application set decision = 'accepted', decided_by = ${actor.userId},
      decided_at = ${now}, delivery_partner_id = ${partner!.id}, enrolment_id = ${enrolment.id},
      version = version + 1 where id = ${id}`);
    await enqueueApplicationDecision(tx, {
      key: `accept:application:${id}`,
      action: 'accept',
      applicationId: id,
      attributes: app.eligible_for_funding ? { funded_place: fundedPlace } : {},
      enrolmentId: enrolment.id,
      participantId: enrolment.participant_id,
      createdBy: actorLabel(actor),
      at: now,
    });
    await audit(tx, {
      what: 'DFE_APPLICATION_ACCEPTED',
      who: actor,
      subjectType: 'dfe_application',
      subjectId: id,
      details: {
        dfeId: app.dfe_id,
        enrolmentId: enrolment.id,
        participantId: enrolment.participant_id,
        deliveryPartnerId: partner!.id,
        fundedPlace,
      },
      at: now,
    });
    return {
      applicationId: id,
      participantId: enrolment.participant_id,
      enrolmentId: enrolment.id,
      invited: summary.invited > 0,
    };
  });
}

export async function rejectApplication(
  deps: DecisionDeps,
  actor: Actor,
  id: number,
  input: { reason: string; expectedVersion: number },
): Promise<{ applicationId: number }> {
  requireApplicationStaff(actor);
  const reason = input.reason.trim();
  if (!reason)
    throw new ValidationError([
      { path: 'reason', message: 'Enter the reason for rejecting the application' },
    ]);
  if (reason.length > 500)
    throw new ValidationError([
      { path: 'reason', message: 'Reason must be 500 characters or fewer' },
    ]);
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const app = await lockApplication(tx, id, input.expectedVersion);
    requireUndecided(app);
    await tx.execute(sql`update dfe_application set decision = 'rejected', rejection_reason = ${reason},
      decided_by = ${actor.userId}, decided_at = ${now}, version = version + 1 where id = ${id}`);
    // The DfE's reject takes no body: the reason stays with npq-ops (and the audit trail).
    await enqueueApplicationDecision(tx, {
      key: `reject:application:${id}`,
      action: 'reject',
      applicationId: id,
      attributes: {},
      createdBy: actorLabel(actor),
      at: now,
    });
    await audit(tx, {
      what: 'DFE_APPLICATION_REJECTED',
      who: actor,
      subjectType: 'dfe_application',
      subjectId: id,
      details: { dfeId: app.dfe_id, reason },
      at: now,
    });
    return { applicationId: id };
  });
}

export async function changeFundedPlace(
  deps: DecisionDeps,
  actor: Actor,
  id: number,
  input: { fundedPlace: boolean; expectedVersion: number },
): Promise<{ applicationId: number }> {
  requireApplicationStaff(actor);
  if (actor.role !== 'admin' && actor.role !== 'programme_team') throw new ForbiddenError();
  const now = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const app = await lockApplication(tx, id, input.expectedVersion);
    if (app.decision !== 'accepted')
      throw new ValidationError([
        {
          path: 'fundedPlace',
          message: 'Only an accepted application can change its funded place',
        },
      ]);
    if (input.fundedPlace && !app.eligible_for_funding)
      throw new ValidationError([
        {
          path: 'fundedPlace',
          message: 'They are not eligible for DfE funding, so they cannot have a funded place',
        },
      ]);
    await tx.execute(sql`update dfe_application set version = version + 1 where id = ${id}`);
    await enqueueApplicationDecision(tx, {
      key: `change_funded_place:application:${id}:v${input.expectedVersion}`,
      action: 'change_funded_place',
      applicationId: id,
      attributes: { funded_place: input.fundedPlace },
      enrolmentId: app.enrolment_id ?? undefined,
      createdBy: actorLabel(actor),
      at: now,
    });
    await audit(tx, {
      what: 'DFE_FUNDED_PLACE_CHANGED',
      who: actor,
      subjectType: 'dfe_application',
      subjectId: id,
      details: { dfeId: app.dfe_id, fundedPlace: input.fundedPlace },
      at: now,
    });
    return { applicationId: id };
  });
}
