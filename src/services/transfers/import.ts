import { sql } from 'drizzle-orm';
import { arrayParam, queryRows, type Db } from '../../db/client.js';
import { PRIOR_LEARNING_SOURCE } from '../../domain/catalogue.js';
import type { TransferPackage } from '../../domain/transfer-package.js';
import type { Actor } from '../actor.js';
import { actorLabel, SYSTEM } from '../actor.js';
import type { ServiceDeps, Tx } from '../assessment.js';
import { audit } from '../audit.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import { openParticipantAccounts } from '../participant-accounts.js';
import { registerInForce } from '../policy-register.js';
import { londonDateOf } from '../../policy/index.js';
import { PackageRefusedError, verifyTransferPackage, type VerifiedPackage } from './verify.js';

/**
 * Importing a transfer package from another lead provider's npq-ops (policy 2.6.4): the package is
 * verified against a trusted sender's key, then the participant, their enrolment in the chosen
 * cohort and their engagement as prior learning are created, with their account invitation email
 * in the outbox, all in one transaction. A package imported once is never imported twice: its
 * digest is recorded, and a second import answers with the first one's result.
 */

const IMPORT_ROLES: readonly Actor['role'][] = ['admin', 'programme_team'];

/** Who imports: a member of staff, or the system (the command line, run by the operator). */
export type Importer = Actor | typeof SYSTEM;

export function requireTransferImporter(actor: Importer): void {
  if (actor !== SYSTEM && !IMPORT_ROLES.includes(actor.role))
    throw new ForbiddenError('Only admins and the programme team import transfer packages.');
}

export interface ImportPlacement {
  cohortId: number;
  deliveryPartnerId: number;
}

export interface ImportOption {
  id: number;
  name: string;
}

/** Cohorts of the package's course and the delivery partners the participant could join here. */
export async function importOptions(
  db: Pick<Db, 'execute'>,
  actor: Importer,
  course: string | null,
): Promise<{ cohorts: ImportOption[]; deliveryPartners: ImportOption[] }> {
  requireTransferImporter(actor);
  const lp = actor === SYSTEM ? null : actor.leadProviderId;
  const cohorts = await queryRows<ImportOption>(
    db,
    sql`select c.id, c.name from cohort c join programme pr on pr.id = c.programme_id join course co on co.id = pr.course_id
        where (${lp}::int is null or c.lead_provider_id = ${lp}) and (${course}::text is null or co.identifier = ${course})
        order by c.start_date desc, c.name`,
  );
  const deliveryPartners = await queryRows<ImportOption>(
    db,
    sql`select id, name from delivery_partner where ${lp}::int is null or lead_provider_id = ${lp}
        order by is_national, name`,
  );
  return { cohorts, deliveryPartners };
}

export interface ImportPreview {
  package: VerifiedPackage;
  cohort: { id: number; name: string };
  deliveryPartner: { id: number; name: string };
  /** Completed activities of the package that match the cohort's programme: they count here. */
  priorLearning: { matched: number; unmatched: number };
  /** Whether this package has been imported already (a second import adds nothing). */
  alreadyImported: { participantId: number; reference: string } | null;
  /** The engagement threshold in force today (2.1.1), in basis points: prior learning counts towards it. */
  engagementThresholdBp: number;
}

interface Placement {
  cohort: { id: number; name: string; programmeId: number; course: string };
  partner: { id: number; name: string };
}

async function loadPlacement(
  tx: Pick<Db, 'execute'>,
  actor: Importer,
  input: ImportPlacement,
  pkg: TransferPackage,
): Promise<Placement> {
  const lp = actor === SYSTEM ? null : actor.leadProviderId;
  const [cohort] = await queryRows<{
    id: number;
    name: string;
    programme_id: number;
    course: string;
    lead_provider_id: number;
  }>(
    tx,
    sql`select c.id, c.name, c.programme_id, co.identifier as course, c.lead_provider_id
        from cohort c join programme pr on pr.id = c.programme_id join course co on co.id = pr.course_id
        where c.id = ${input.cohortId} and (${lp}::int is null or c.lead_provider_id = ${lp})`,
  );
  const errors = [];
  if (!cohort) errors.push({ path: 'cohortId', message: 'Choose the cohort they join' });
  else if (cohort.course !== pkg.programme.course)
    errors.push({
      path: 'cohortId',
      message: `Choose a cohort of their NPQ (${pkg.programme.course})`,
    });
  const [partner] = await queryRows<{ id: number; name: string }>(
    tx,
    sql`select id, name from delivery_partner where id = ${input.deliveryPartnerId}
          and lead_provider_id = ${cohort?.lead_provider_id ?? lp ?? 0}`,
  );
  if (!partner)
    errors.push({ path: 'deliveryPartnerId', message: 'Choose their delivery partner' });
  if (errors.length > 0) throw new ValidationError(errors);
  return {
    cohort: {
      id: cohort!.id,
      name: cohort!.name,
      programmeId: cohort!.programme_id,
      course: cohort!.course,
    },
    partner: partner!,
  };
}

/** Completed activities of the package mapped onto this programme's activities (kind + sequence). */
async function matchActivities(tx: Pick<Db, 'execute'>, programmeId: number, pkg: TransferPackage) {
  const done = pkg.programme.completed;
  if (done.length === 0) return [];
  return queryRows<{
    activity_id: number;
    kind: string;
    sequence_number: number;
    completed_at: string;
  }>(
    tx,
    sql`select a.id as activity_id, a.kind, a.sequence_number, u.completed_at
        from unnest(${arrayParam(done.map((d) => d.kind))}::text[], ${arrayParam(done.map((d) => d.sequenceNumber))}::int[],
                    ${arrayParam(done.map((d) => d.completedAt))}::text[]) as u(kind, seq, completed_at)
        join programme_activity a on a.programme_id = ${programmeId} and a.kind = u.kind and a.sequence_number = u.seq`,
  );
}

async function priorImport(tx: Pick<Db, 'execute'>, digest: string) {
  const [row] = await queryRows<{ id: number; participant_id: number }>(
    tx,
    sql`select id, participant_id from transfer_import where package_digest = ${digest}`,
  );
  return row ? { participantId: row.participant_id, reference: `TRI-${row.id}` } : null;
}

/** Someone already here with the package's TRN, DfE registration or email: refused, never merged. */
async function refuseIfKnown(tx: Pick<Db, 'execute'>, pkg: TransferPackage): Promise<void> {
  const p = pkg.participant;
  const [known] = await queryRows<{ id: number }>(
    tx,
    sql`select id from participant where (${p.trn}::text is not null and trn = ${p.trn})
          or (${p.dfeRegistrationId}::text is not null and dfe_registration_id = ${p.dfeRegistrationId})
          or lower(email) = lower(${p.email})
        union all select participant_id from app_user where lower(email) = lower(${p.email}) and participant_id is null
        limit 1`,
  );
  if (known)
    throw new PackageRefusedError(
      'already_known',
      'Someone with this TRN, DfE registration or email already has a record here: change their record instead of importing',
    );
}

/** Verifies and checks everything, writing nothing: the check-answers page. */
export async function previewTransferImport(
  { db, clock }: ServiceDeps,
  actor: Importer,
  text: string,
  input: ImportPlacement,
): Promise<ImportPreview> {
  requireTransferImporter(actor);
  const verified = await verifyTransferPackage(db, text, clock.now());
  const already = await priorImport(db, verified.digest);
  const placement = await loadPlacement(db, actor, input, verified.payload);
  if (!already) await refuseIfKnown(db, verified.payload);
  const [matched, register] = await Promise.all([
    matchActivities(db, placement.cohort.programmeId, verified.payload),
    registerInForce(db, londonDateOf(clock.now())),
  ]);
  return {
    engagementThresholdBp: register.parameters.engagementThresholdBp,
    package: verified,
    cohort: { id: placement.cohort.id, name: placement.cohort.name },
    deliveryPartner: placement.partner,
    priorLearning: {
      matched: matched.length,
      unmatched: verified.payload.programme.completed.length - matched.length,
    },
    alreadyImported: already,
  };
}

export interface ImportResult {
  reference: string;
  participantId: number;
  enrolmentId: number;
  priorLearningRecords: number;
  /** True when this package had been imported before: nothing was added. */
  replayed: boolean;
}

export async function importTransferPackage(
  { db, clock, publicUrl }: ServiceDeps,
  actor: Importer,
  text: string,
  input: ImportPlacement,
): Promise<ImportResult> {
  requireTransferImporter(actor);
  const at = clock.now();
  const verified = await verifyTransferPackage(db, text, at);
  return db.transaction(async (tx) => {
    // Two imports of one package at once: the second waits here, then finds the first.
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtext(${`transfer-import:${verified.digest}`}))`,
    );
    const [done] = await queryRows<{
      id: number;
      participant_id: number;
      enrolment_id: number;
      prior_learning_records: number;
    }>(
      tx,
      sql`select id, participant_id, enrolment_id, prior_learning_records from transfer_import where package_digest = ${verified.digest}`,
    );
    if (done)
      return {
        reference: `TRI-${done.id}`,
        participantId: done.participant_id,
        enrolmentId: done.enrolment_id,
        priorLearningRecords: done.prior_learning_records,
        replayed: true,
      };
    const pkg = verified.payload;
    const placement = await loadPlacement(tx, actor, input, pkg);
    await refuseIfKnown(tx, pkg);
    const created = await createParticipant(tx, pkg, placement, at);
    const matched = await matchActivities(tx, placement.cohort.programmeId, pkg);
    if (matched.length > 0) {
      await tx.execute(sql`insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
        select ${created.participantId}, u.activity_id, u.kind, u.occurred_at::timestamptz, ${PRIOR_LEARNING_SOURCE},
               'transfer:' || ${verified.digest} || ':' || u.activity_id
        from unnest(${arrayParam(matched.map((m) => m.activity_id))}::int[], ${arrayParam(matched.map((m) => m.kind))}::text[],
                    ${arrayParam(matched.map((m) => m.completed_at))}::text[]) as u(activity_id, kind, occurred_at)`);
    }
    const [row] = await queryRows<{ id: number }>(
      tx,
      sql`insert into transfer_import (package_digest, kid, sender_name, participant_id, enrolment_id, prior_learning_records, imported_by, created_at)
          values (${verified.digest}, ${verified.kid}, ${verified.senderName}, ${created.participantId}, ${created.enrolmentId},
                  ${matched.length}, ${actorLabel(actor)}, ${at})
          returning id`,
    );
    const reference = `TRI-${row!.id}`;
    await audit(tx, {
      what: 'TRANSFER_PACKAGE_IMPORTED',
      who: actor,
      subjectType: 'participant',
      subjectId: created.participantId,
      details: {
        reference,
        digest: verified.digest,
        kid: verified.kid,
        sender: verified.senderName,
        cohortId: placement.cohort.id,
        deliveryPartnerId: placement.partner.id,
        priorLearningRecords: matched.length,
      },
      at,
    });
    await openParticipantAccounts(tx, {
      participantIds: [created.participantId],
      publicUrl: publicUrl ?? 'http://localhost:3000',
      createdBy: actorLabel(actor),
      now: at,
    });
    return { reference, ...created, priorLearningRecords: matched.length, replayed: false };
  });
}

async function createParticipant(tx: Tx, pkg: TransferPackage, placement: Placement, at: Date) {
  const p = pkg.participant;
  const urns = p.schoolHistory.map((s) => s.schoolUrn);
  const schools =
    urns.length === 0
      ? []
      : await queryRows<{ id: number; urn: string }>(
          tx,
          sql`select id, urn from school where urn = any(${arrayParam(urns)}::text[])`,
        );
  const schoolId = new Map(schools.map((s) => [s.urn, s.id]));
  const current = p.schoolHistory.find((s) => s.endedOn === null);
  const [participant] = await queryRows<{ id: number }>(
    tx,
    sql`insert into participant (trn, dfe_registration_id, full_name, email, dfe_registration_confirmed, employment_confirmed,
          current_school_id, funding_route, working_pattern, part_time_fraction)
        values (${p.trn}, ${p.dfeRegistrationId}, ${p.fullName}, ${p.email}, false, false,
          ${current ? (schoolId.get(current.schoolUrn) ?? null) : null}, ${p.fundingRoute}, ${p.workingPattern},
          ${p.partTimeFraction})
        returning id`,
  );
  const participantId = participant!.id;
  const known = p.schoolHistory.filter((s) => schoolId.has(s.schoolUrn));
  if (known.length > 0) {
    await tx.execute(sql`insert into participant_employment (participant_id, school_id, started_on, ended_on)
      select ${participantId}, u.school_id, u.started_on::date, u.ended_on::date
      from unnest(${arrayParam(known.map((s) => schoolId.get(s.schoolUrn)!))}::int[], ${arrayParam(known.map((s) => s.startedOn))}::text[],
                  ${arrayParam(known.map((s) => s.endedOn))}::text[]) as u(school_id, started_on, ended_on)`);
  }
  const [enrolment] = await queryRows<{ id: number }>(
    tx,
    sql`insert into enrolment (participant_id, cohort_id, delivery_partner_id, status, status_changed_at, assessment_attempts_used, created_at)
        values (${participantId}, ${placement.cohort.id}, ${placement.partner.id}, 'accepted', ${at}, ${pkg.assessment.attemptsUsed}, ${at})
        returning id`,
  );
  return { participantId, enrolmentId: enrolment!.id };
}

export interface TransferImportView {
  reference: string;
  participantId: number;
  fullName: string;
  cohortName: string;
  deliveryPartner: string;
  senderName: string;
  priorLearningRecords: number;
  importedAt: Date;
}

/** An import's confirmation: the reference, who was created and where. */
export async function getTransferImport(
  db: Pick<Db, 'execute'>,
  actor: Importer,
  id: number,
): Promise<TransferImportView> {
  requireTransferImporter(actor);
  const lp = actor === SYSTEM ? null : actor.leadProviderId;
  const [row] = await queryRows<{
    id: number;
    participant_id: number;
    full_name: string;
    cohort_name: string;
    partner: string;
    sender_name: string;
    prior_learning_records: number;
    created_at: Date | string;
  }>(
    db,
    sql`select ti.id, ti.participant_id, p.full_name, c.name as cohort_name, dp.name as partner, ti.sender_name,
               ti.prior_learning_records, ti.created_at
        from transfer_import ti join participant p on p.id = ti.participant_id
        join enrolment e on e.id = ti.enrolment_id join cohort c on c.id = e.cohort_id
        join delivery_partner dp on dp.id = e.delivery_partner_id
        where ti.id = ${id} and (${lp}::int is null or c.lead_provider_id = ${lp})`,
  );
  if (!row) throw new NotFoundError('Transfer import not found');
  return {
    reference: `TRI-${row.id}`,
    participantId: row.participant_id,
    fullName: row.full_name,
    cohortName: row.cohort_name,
    deliveryPartner: row.partner,
    senderName: row.sender_name,
    priorLearningRecords: row.prior_learning_records,
    importedAt: new Date(row.created_at),
  };
}
