import { engagementDecisionOf } from './engagement-decision.js';
import { queueSchoolMoveDecision, queueTransferDecision } from './notices/decisions.js';
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import { loadEnrolmentFacts } from '../db/queries/enrolment-facts.js';
import {
  addDays,
  decision as policyDecision,
  evaluateSchoolMove,
  formatLongDate,
  londonDateOf,
  POLICY_REGISTER,
  type PolicyRegister,
  reason,
  type Decision,
  type EmploymentPeriod,
} from '../policy/index.js';
import type { Actor } from './actor.js';
import type { ServiceDeps, Tx } from './assessment.js';
import { audit } from './audit.js';
import { registerInForce } from './policy-register.js';
import { enrolmentVisibleTo, requireEnrolment, requireParticipant } from './authorisation.js';
import { changeEnrolmentStatus } from './enrolment-status.js';
import { ConflictError, NotFoundError, PolicyRefusalError, ValidationError } from './errors.js';

/**
 * School moves and transfers (policy 2.6.1-2.6.4). The participant tells us they moved (2.6.3), or
 * staff record it. Inside our network the enrolment continues and the employment history gains
 * the new school; outside it a transfer case follows the participant's choice of lead provider,
 * their consent to share data, an export package and, when confirmed, the transfer out.
 */

export interface TransferRow {
  id: number;
  school_move_id: number;
  enrolment_id: number;
  status: 'opened' | 'provider_chosen' | 'exported' | 'transferred_out' | 'cancelled';
  receiving_lead_provider: string | null;
  data_sharing_consent: boolean | null;
  consent_recorded_at: Date | string | null;
  export_package: unknown;
  confirmed_at: Date | string | null;
  version: number;
}

const TRANSFER_COLUMNS = sql`id, school_move_id, enrolment_id, status, receiving_lead_provider, data_sharing_consent,
  consent_recorded_at, export_package, confirmed_at, version`;

export interface TransferView {
  id: number;
  schoolMoveId: number;
  enrolmentId: number;
  status: TransferRow['status'];
  receivingLeadProvider: string | null;
  dataSharingConsent: boolean | null;
  consentRecordedAt: string | null;
  exported: boolean;
  confirmedAt: string | null;
  version: number;
}

const isoOrNull = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());

function transferView(r: TransferRow): TransferView {
  return {
    id: r.id,
    schoolMoveId: r.school_move_id,
    enrolmentId: r.enrolment_id,
    status: r.status,
    receivingLeadProvider: r.receiving_lead_provider,
    dataSharingConsent: r.data_sharing_consent,
    consentRecordedAt: isoOrNull(r.consent_recorded_at),
    exported: r.export_package !== null,
    confirmedAt: isoOrNull(r.confirmed_at),
    version: r.version,
  };
}

export interface SchoolMoveView {
  id: number;
  participantId: number;
  enrolmentId: number;
  fromSchool: { urn: string; name: string } | null;
  toSchool: { urn: string; name: string };
  movedOn: string;
  insideNetwork: boolean;
  /** Null for a move recorded without a policy decision (e.g. imported history). */
  decision: Decision | null;
  transfer: TransferView | null;
}

interface MoveRow {
  id: number;
  participant_id: number;
  enrolment_id: number;
  from_urn: string | null;
  from_name: string | null;
  to_urn: string;
  to_name: string;
  moved_on: string;
  inside_network: boolean;
  decision: Partial<Decision> | null;
}

function storedDecision(d: Partial<Decision> | null): Decision | null {
  return d && typeof d.outcome === 'string' && Array.isArray(d.reasons) ? (d as Decision) : null;
}

const MOVE_SELECT = sql`select m.id, m.participant_id, m.enrolment_id, fs.urn as from_urn, fs.name as from_name,
    ts.urn as to_urn, ts.name as to_name, m.moved_on::text, m.inside_network, m.decision
  from school_move m
  left join school fs on fs.id = m.from_school_id
  join school ts on ts.id = m.to_school_id`;

async function moveViews(tx: Pick<Tx, 'execute'>, moves: MoveRow[]): Promise<SchoolMoveView[]> {
  const transfers =
    moves.length === 0
      ? []
      : await queryRows<TransferRow>(
          tx,
          sql`select ${TRANSFER_COLUMNS} from transfer_case
              where school_move_id in (${sql.join(
                moves.map((m) => sql`${m.id}`),
                sql`, `,
              )})`,
        );
  return moves.map((m) => {
    const t = transfers.find((x) => x.school_move_id === m.id);
    return {
      id: m.id,
      participantId: m.participant_id,
      enrolmentId: m.enrolment_id,
      fromSchool: m.from_urn ? { urn: m.from_urn, name: m.from_name ?? '' } : null,
      toSchool: { urn: m.to_urn, name: m.to_name },
      movedOn: m.moved_on,
      insideNetwork: m.inside_network,
      decision: storedDecision(m.decision),
      transfer: t ? transferView(t) : null,
    };
  });
}

/** A move notified by the participant or recorded by staff; the decision is stored with it. */
export async function recordSchoolMove(
  { db, clock, publicUrl }: ServiceDeps,
  actor: Actor,
  input: { enrolmentId: number; newSchoolUrn: string; movedOn: string },
): Promise<SchoolMoveView> {
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    await requireEnrolment(tx, actor, input.enrolmentId, 'write', { participantMayWrite: true });
    const facts = await loadEnrolmentFacts(tx, input.enrolmentId);
    if (!facts) throw new NotFoundError('Enrolment not found');
    const participantId = facts.participant.id;
    // A move before the programme began is not a move during it (and 1 January 1900 is a typo).
    if (input.movedOn < facts.cohort.startDate) {
      throw new ValidationError([
        {
          path: 'movedOn',
          message: `The move date must be on or after the start of your programme (${formatLongDate(facts.cohort.startDate)}).`,
        },
      ]);
    }
    // 2.6.1: a move during the programme; a later one is no concern of this enrolment.
    if (input.movedOn > facts.cohort.endDate) {
      throw new ValidationError([
        {
          path: 'movedOn',
          message: `The move date must be on or before the end of your programme (${formatLongDate(facts.cohort.endDate)}).`,
        },
      ]);
    }
    // One move at a time per participant, so the employment history stays a single chain.
    await tx.execute(sql`select id from participant where id = ${participantId} for update`);
    const [school] = await queryRows<{
      id: number;
      urn: string;
      name: string;
      region: string | null;
      local_authority: string | null;
    }>(
      tx,
      sql`select s.id, s.urn, s.name, r.code as region, la.code as local_authority
          from school s left join region r on r.id = s.region_id
          left join local_authority la on la.id = s.local_authority_id
          where s.urn = ${input.newSchoolUrn}`,
    );
    if (!school) {
      throw new ValidationError([
        {
          path: 'newSchoolUrn',
          message: `We do not know a school with URN ${input.newSchoolUrn}.`,
        },
      ]);
    }
    const [current] = await queryRows<{ school_id: number | null }>(
      tx,
      sql`select current_school_id as school_id from participant where id = ${participantId}`,
    );
    if (current?.school_id === school.id) {
      throw new ValidationError([
        { path: 'newSchoolUrn', message: `${school.name} is already your current school.` },
      ]);
    }
    const history = await queryRows<{
      urn: string;
      name: string;
      region: string | null;
      local_authority: string | null;
      started_on: string;
      ended_on: string | null;
    }>(
      tx,
      sql`select s.urn, s.name, r.code as region, la.code as local_authority, pe.started_on::text, pe.ended_on::text
          from participant_employment pe join school s on s.id = pe.school_id
          left join region r on r.id = s.region_id left join local_authority la on la.id = s.local_authority_id
          where pe.participant_id = ${participantId} order by pe.started_on, pe.id`,
    );
    // Our network (2.6.4): whole regions we cover, and the local authorities we or a partner serve.
    const covered = await queryRows<{ code: string }>(
      tx,
      sql`select r.code from lead_provider_region lr join region r on r.id = lr.region_id
          where lr.lead_provider_id = ${facts.cohort.leadProviderId}`,
    );
    const servedAreas = await queryRows<{ code: string }>(
      tx,
      sql`select distinct la.code from service_area sa join local_authority la on la.id = sa.local_authority_id
          where sa.lead_provider_id = ${facts.cohort.leadProviderId}`,
    );
    const employmentHistory: EmploymentPeriod[] = history.map((h) => ({
      school: { urn: h.urn, name: h.name, region: h.region, localAuthority: h.local_authority },
      from: h.started_on,
      ...(h.ended_on !== null ? { to: h.ended_on } : {}),
    }));
    let decision: ReturnType<typeof evaluateSchoolMove>;
    try {
      decision = evaluateSchoolMove(
        {
          enrolmentStatus: facts.enrolment.status,
          employmentHistory,
          newSchool: {
            urn: school.urn,
            name: school.name,
            region: school.region,
            localAuthority: school.local_authority,
          },
          movedOn: input.movedOn,
          notifiedOn: today,
          coveredRegions: covered.map((c) => c.code),
          coveredAreas: servedAreas.map((c) => c.code),
          delivery: facts.enrolment.isNational
            ? { kind: 'national' }
            : {
                kind: 'delivery_partner',
                deliveryPartnerName: facts.enrolment.deliveryPartnerName,
              },
        },
        await registerInForce(tx, today),
      );
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      throw new ValidationError([
        {
          path: 'movedOn',
          message: 'The move date must be after you started at your current school.',
        },
      ]);
    }
    if (decision.outcome === 'refused') throw new PolicyRefusalError(decision);
    const inside = decision.details.route === 'continue';

    // Either way the participant now works at the new school, so the history is kept true (2.6.3).
    await tx.execute(
      sql`update participant_employment set ended_on = ${addDays(input.movedOn, -1)}::date
          where participant_id = ${participantId} and ended_on is null`,
    );
    await tx.execute(
      sql`insert into participant_employment (participant_id, school_id, started_on)
          values (${participantId}, ${school.id}, ${input.movedOn}::date)`,
    );
    await tx.execute(
      sql`update participant set current_school_id = ${school.id} where id = ${participantId}`,
    );
    const [move] = await queryRows<{ id: number }>(
      tx,
      sql`insert into school_move (participant_id, enrolment_id, from_school_id, to_school_id, moved_on,
                                   inside_network, notified_by, decision)
          values (${participantId}, ${input.enrolmentId}, ${current?.school_id ?? null}, ${school.id},
                  ${input.movedOn}::date, ${inside}, ${actor.userId}, ${JSON.stringify(decision)}::jsonb)
          returning id`,
    );
    await audit(tx, {
      what: 'SCHOOL_MOVE_RECORDED',
      who: actor,
      subjectType: 'participant',
      subjectId: participantId,
      details: {
        schoolMoveId: move!.id,
        enrolmentId: input.enrolmentId,
        toSchoolUrn: school.urn,
        movedOn: input.movedOn,
        insideNetwork: inside,
        decision,
      },
      at,
    });
    if (!inside) {
      const [transfer] = await queryRows<{ id: number }>(
        tx,
        sql`insert into transfer_case (school_move_id, enrolment_id, status)
            values (${move!.id}, ${input.enrolmentId}, 'opened') returning id`,
      );
      await audit(tx, {
        what: 'TRANSFER_OPENED',
        who: actor,
        subjectType: 'transfer_case',
        subjectId: transfer!.id,
        details: { schoolMoveId: move!.id, enrolmentId: input.enrolmentId },
        at,
      });
    }
    await queueSchoolMoveDecision(
      tx,
      { id: move!.id, enrolmentId: input.enrolmentId, insideNetwork: inside, decision },
      { at, publicUrl, immediately: actor.role === 'participant' },
    );
    const rows = await queryRows<MoveRow>(tx, sql`${MOVE_SELECT} where m.id = ${move!.id}`);
    const [view] = await moveViews(tx, rows);
    return view!;
  });
}

export async function listSchoolMoves(
  { db }: ServiceDeps,
  actor: Actor,
  participantId: number,
): Promise<SchoolMoveView[]> {
  await requireParticipant(db, actor, participantId);
  const rows = await queryRows<MoveRow>(
    db,
    sql`${MOVE_SELECT}
        join enrolment e on e.id = m.enrolment_id join cohort c on c.id = e.cohort_id
        where m.participant_id = ${participantId} and (${enrolmentVisibleTo(actor)})
        order by m.moved_on, m.id`,
  );
  return moveViews(db, rows);
}

// ---------------------------------------------------------------------------------------------
// Transfers (2.6.4)

export async function loadTransfer(
  tx: Tx,
  actor: Actor,
  transferId: number,
  access: 'read' | 'write',
  participantMayWrite = false,
): Promise<TransferRow> {
  const [row] = await queryRows<TransferRow>(
    tx,
    sql`select ${TRANSFER_COLUMNS} from transfer_case where id = ${transferId}`,
  );
  if (!row) throw new NotFoundError('Transfer not found');
  try {
    await requireEnrolment(tx, actor, row.enrolment_id, access, { participantMayWrite });
  } catch (e) {
    if (e instanceof NotFoundError) throw new NotFoundError('Transfer not found');
    throw e;
  }
  return row;
}

export async function getTransfer(
  { db }: ServiceDeps,
  actor: Actor,
  transferId: number,
): Promise<TransferView & { schoolMove: SchoolMoveView }> {
  return db.transaction(async (tx) => {
    const row = await loadTransfer(tx, actor, transferId, 'read');
    const moves = await queryRows<MoveRow>(
      tx,
      sql`${MOVE_SELECT} where m.id = ${row.school_move_id}`,
    );
    const [move] = await moveViews(tx, moves);
    return { ...transferView(row), schoolMove: move! };
  });
}

function requireTransferStatus(row: TransferRow, allowed: TransferRow['status'][], what: string) {
  if (!allowed.includes(row.status)) {
    throw new ConflictError(
      `This transfer is ${row.status.replace('_', ' ')}, so ${what} cannot be done now.`,
    );
  }
}

async function updateTransfer(
  tx: Tx,
  row: TransferRow,
  expectedVersion: number,
  set: ReturnType<typeof sql>,
): Promise<TransferRow> {
  if (row.version !== expectedVersion) throw new ConflictError();
  const [updated] = await queryRows<TransferRow>(
    tx,
    sql`update transfer_case set ${set}, version = version + 1
        where id = ${row.id} and version = ${expectedVersion} returning ${TRANSFER_COLUMNS}`,
  );
  if (!updated) throw new ConflictError();
  return updated;
}

/** The lead provider of the participant's choice (2.6.4), told us by them or by staff. */
export async function chooseReceivingProvider(
  { db, clock }: ServiceDeps,
  actor: Actor,
  transferId: number,
  input: { name: string; expectedVersion: number },
): Promise<TransferView> {
  const at = clock.now();
  return db.transaction(async (tx) => {
    const row = await loadTransfer(tx, actor, transferId, 'write', true);
    requireTransferStatus(row, ['opened', 'provider_chosen'], 'choosing the lead provider');
    const updated = await updateTransfer(
      tx,
      row,
      input.expectedVersion,
      sql`status = 'provider_chosen', receiving_lead_provider = ${input.name}`,
    );
    await audit(tx, {
      what: 'TRANSFER_PROVIDER_CHOSEN',
      who: actor,
      subjectType: 'transfer_case',
      subjectId: transferId,
      details: { receivingLeadProvider: input.name },
      at,
    });
    return transferView(updated);
  });
}

/** The participant's consent (or refusal) to share their record with the new lead provider. */
export async function recordConsent(
  { db, clock }: ServiceDeps,
  actor: Actor,
  transferId: number,
  input: { consent: boolean; expectedVersion: number },
): Promise<TransferView> {
  const at = clock.now();
  return db.transaction(async (tx) => {
    const row = await loadTransfer(tx, actor, transferId, 'write', true);
    requireTransferStatus(row, ['opened', 'provider_chosen'], 'recording consent');
    const updated = await updateTransfer(
      tx,
      row,
      input.expectedVersion,
      sql`data_sharing_consent = ${input.consent}, consent_recorded_at = ${at}`,
    );
    await audit(tx, {
      what: input.consent ? 'TRANSFER_CONSENT_GIVEN' : 'TRANSFER_CONSENT_REFUSED',
      who: actor,
      subjectType: 'transfer_case',
      subjectId: transferId,
      details: { consent: input.consent },
      at,
    });
    return transferView(updated);
  });
}

/** Why an export cannot be produced yet, as reasons citing 2.6.4 (empty when it can). */
/** `register`: the version in force on the day of the export, whose number the refusal carries. */
export function exportRefusal(row: TransferRow, register: PolicyRegister): Decision | null {
  const evidence = {
    receivingLeadProvider: row.receiving_lead_provider,
    dataSharingConsent: row.data_sharing_consent,
  };
  const reasons = [];
  if (row.receiving_lead_provider === null) {
    reasons.push(
      reason(
        'PORTABILITY.NO_RECEIVING_PROVIDER',
        '2.6.4',
        false,
        'Tell us which lead provider you are moving to before we share anything with them.',
        evidence,
      ),
    );
  }
  if (row.data_sharing_consent !== true) {
    reasons.push(
      reason(
        'PORTABILITY.NO_DATA_SHARING_CONSENT',
        '2.6.4',
        false,
        'We can only share your records with your new lead provider once you have agreed to it.',
        evidence,
      ),
    );
  }
  return reasons.length === 0 ? null : policyDecision(register.version, 'refused', reasons, {});
}

/**
 * The package for the receiving lead provider: profile, enrolment, an engagement summary and the
 * decisions made about them. Produced only with the participant's consent.
 */
export async function exportTransfer(
  { db, clock }: ServiceDeps,
  actor: Actor,
  transferId: number,
  input: { expectedVersion: number },
) {
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    const row = await loadTransfer(tx, actor, transferId, 'write');
    requireTransferStatus(row, ['opened', 'provider_chosen', 'exported'], 'an export');
    const register = await registerInForce(tx, today);
    const refusal = exportRefusal(row, register);
    if (refusal) throw new PolicyRefusalError(refusal);
    const pkg = await buildExportPackage(tx, row, at, today, register);
    const updated = await updateTransfer(
      tx,
      row,
      input.expectedVersion,
      sql`status = 'exported', export_package = ${JSON.stringify(pkg)}::jsonb`,
    );
    await audit(tx, {
      what: 'TRANSFER_EXPORTED',
      who: actor,
      subjectType: 'transfer_case',
      subjectId: transferId,
      details: { receivingLeadProvider: row.receiving_lead_provider },
      at,
    });
    return { transfer: transferView(updated), package: pkg };
  });
}

async function buildExportPackage(
  tx: Tx,
  row: TransferRow,
  at: Date,
  today: string,
  register: PolicyRegister,
) {
  const facts = await loadEnrolmentFacts(tx, row.enrolment_id);
  if (!facts) throw new NotFoundError('Enrolment not found');
  const participantId = facts.participant.id;
  const [identity] = await queryRows<{ trn: string | null; dfe_registration_id: string | null }>(
    tx,
    sql`select trn, dfe_registration_id from participant where id = ${participantId}`,
  );
  const employment = await queryRows<{
    urn: string;
    name: string;
    started_on: string;
    ended_on: string | null;
  }>(
    tx,
    sql`select s.urn, s.name, pe.started_on::text, pe.ended_on::text
        from participant_employment pe join school s on s.id = pe.school_id
        where pe.participant_id = ${participantId} order by pe.started_on, pe.id`,
  );
  const engagement = engagementDecisionOf(facts, today, register);
  const byKind = await queryRows<{
    kind: string;
    records: number;
    first: string | null;
    last: string | null;
  }>(
    tx,
    sql`select kind, count(*)::int as records, min(occurred_at)::text as first, max(occurred_at)::text as last
        from engagement_record where participant_id = ${participantId} group by kind order by kind`,
  );
  const decisions = await queryRows<{
    kind: string;
    ref: number;
    status: string;
    decision: unknown;
  }>(
    tx,
    sql`select 'school_move' as kind, id as ref, case when inside_network then 'inside_network' else 'outside_network' end as status, decision
          from school_move where enrolment_id = ${row.enrolment_id} and decision is not null
        union all
        select 'deferral_case', id, status, decision from deferral_case
          where enrolment_id = ${row.enrolment_id} and decision is not null
        union all
        select 'assessment_deferral_case', id, status, decision from assessment_deferral_case
          where enrolment_id = ${row.enrolment_id} and decision is not null
        union all
        select 'assessment_window_result', window_id, result, decision from assessment_window_result
          where enrolment_id = ${row.enrolment_id}
        order by 1, 2`,
  );
  const submissions = await queryRows<{
    attempt_number: number;
    submitted_at: string;
    outcome: string | null;
  }>(
    tx,
    sql`select attempt_number, submitted_at::text, outcome from assessment_submission
        where enrolment_id = ${row.enrolment_id} order by attempt_number`,
  );
  return {
    generatedAt: at.toISOString(),
    purpose:
      "To support the participant's transfer to a programme delivered by the lead provider of their choice (policy 2.6.4).",
    from: POLICY_REGISTER.leadProviderName,
    to: row.receiving_lead_provider,
    participant: {
      fullName: facts.participant.fullName,
      email: facts.participant.email,
      trn: identity?.trn ?? null,
      dfeRegistrationId: identity?.dfe_registration_id ?? null,
      fundingRoute: facts.participant.fundingRoute,
      workingPattern: facts.participant.workingPattern,
      partTimeFraction:
        facts.participant.partTimeFraction === null
          ? null
          : Number(facts.participant.partTimeFraction),
      employmentHistory: employment.map((e) => ({
        schoolUrn: e.urn,
        schoolName: e.name,
        startedOn: e.started_on,
        endedOn: e.ended_on,
      })),
    },
    enrolment: {
      course: facts.cohort.course,
      cohort: facts.cohort.name,
      cohortStartDate: facts.cohort.startDate,
      engagementDeadline: facts.cohort.engagementDeadline,
      status: facts.enrolment.status,
      deliveryPartner: facts.enrolment.deliveryPartnerName,
      deferralCount: facts.enrolment.deferralCount,
      assessmentAttemptsUsed: facts.enrolment.assessmentAttemptsUsed,
      assessmentSubmissions: submissions.map((s) => ({
        attemptNumber: s.attempt_number,
        submittedAt: s.submitted_at,
        outcome: s.outcome,
      })),
    },
    engagement: {
      percentage: engagement.details.percentage,
      completedWeight: engagement.details.completedWeight,
      totalWeight: engagement.details.totalWeight,
      meetsThreshold: engagement.details.meetsThreshold,
      completedActivities: facts.completedActivityIds.size,
      requiredActivities: facts.activities.length,
      recordsByKind: byKind,
      decision: engagement,
    },
    decisions: decisions.map((d) => ({
      kind: d.kind,
      ref: d.ref,
      status: d.status,
      decision: d.decision,
    })),
  };
}

/** Confirmed: the enrolment is transferred out (2.6.4), reported to the DfE as a withdrawal. */
export async function confirmTransfer(
  { db, clock, publicUrl }: ServiceDeps,
  actor: Actor,
  transferId: number,
  input: { expectedVersion: number },
): Promise<TransferView & { enrolmentStatus: string }> {
  const at = clock.now();
  return db.transaction(async (tx) => {
    const row = await loadTransfer(tx, actor, transferId, 'write');
    requireTransferStatus(row, ['provider_chosen', 'exported'], 'confirming');
    const updated = await updateTransfer(
      tx,
      row,
      input.expectedVersion,
      sql`status = 'transferred_out', confirmed_at = ${at}`,
    );
    const result = await changeEnrolmentStatus(tx, {
      enrolmentId: row.enrolment_id,
      event: 'transfer_out',
      who: actor,
      at,
      details: { transferId, receivingLeadProvider: row.receiving_lead_provider },
    });
    await audit(tx, {
      what: 'TRANSFER_CONFIRMED',
      who: actor,
      subjectType: 'transfer_case',
      subjectId: transferId,
      details: { receivingLeadProvider: row.receiving_lead_provider },
      at,
    });
    await queueTransferDecision(
      tx,
      {
        id: transferId,
        enrolmentId: row.enrolment_id,
        receivingLeadProvider: row.receiving_lead_provider,
      },
      { at, publicUrl },
    );
    return { ...transferView(updated), enrolmentStatus: result.to };
  });
}
