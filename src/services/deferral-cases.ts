/**
 * The deferral case (policy 2.3, 2.4, 2.5.1): requested → discussed → approved (or declined) →
 * deferred → intent contact due → confirmed → resumed, or withdrawn when the participant does not
 * return. Every step is one transaction that checks the case version the caller read, asks the
 * policy again with today's facts, stores the decision on the case and writes the audit trail.
 *
 * A request the policy refuses (not commenced, final cohort, no suitable cohort, too late for
 * 2.5.1) is still recorded, as a case declined by the policy: the participant and staff then see
 * the reasons and the options offered (2.3.10) in the queue, and the refusal is on the audit trail.
 */
import { and, eq, sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import {
  loadCohortPlan,
  loadCohorts,
  loadEnrolmentFacts,
  toPolicyCohort,
  type EnrolmentFacts,
} from '../db/queries/enrolment-facts.js';
import { deferralCase, staffTask } from '../db/schema.js';
import {
  CIRCUMSTANCE_DFE_REASON,
  DEFERRAL_EXCEPTION_ROLES,
  EXTENUATING_CIRCUMSTANCES,
  evaluateDeferral,
  evaluateFundingAtDeferral,
  evaluateIntentContact,
  evaluatePreWindowDeferral,
  evaluateResumeTiming,
  evaluateReturnFromDeferral,
  formatLongDate,
  isIsoDate,
  londonDateOf,
  type Cohort as PolicyCohort,
  type Decision,
  type DeferralDecision,
  type DeferralException,
  type DeferralOption,
  type DeferralOptionKind,
  type ExtenuatingCircumstanceKind,
} from '../policy/index.js';
import type { CohortDelivery } from '../policy/contacts.js';
import { actorLabel, type Actor } from './actor.js';
import { audit } from './audit.js';
import { registerInForce } from './policy-register.js';
import { enrolmentVisibleTo, requireEnrolment } from './authorisation.js';
import { changeEnrolmentStatus } from './enrolment-status.js';
import {
  ConflictError,
  ForbiddenError,
  NotFoundError,
  PolicyRefusalError,
  ValidationError,
} from './errors.js';
import type { ServiceDeps } from './participants.js';
import type { Tx } from './withdrawals.js';
import { queueDeferralDecision } from './notices/decisions.js';
import { cancelOldCohortBookings } from './resume-bookings.js';

export const DEFERRAL_CASE_STATUSES = [
  'requested',
  'discussed',
  'approved',
  'declined',
  'deferred',
  'intent_contact_due',
  'confirmed',
  'resumed',
  'withdrawn',
] as const;
export type DeferralCaseStatus = (typeof DEFERRAL_CASE_STATUSES)[number];

/** Roles that may record a further-deferral exception (2.3.9): exactly those the policy accepts. */
export const EXCEPTION_ROLES: readonly Actor['role'][] = DEFERRAL_EXCEPTION_ROLES;

/**
 * Everything the policy said about the case, kept together in deferral_case.decision so the record
 * shows what each step was decided on.
 */
export interface StoredDeferralDecision {
  deferral: DeferralDecision;
  /** What happens to the funding (2.4.1-2.4.2). */
  funding: Decision;
  /** Asked in time before the assessment window (2.5.1); null when the cohort has no window. */
  preWindow: Decision | null;
  exception?: DeferralException;
  intentContact?: Decision;
  returnFromDeferral?: Decision;
  /** 2.3.5: resumed on or after the agreed date, or sooner to cover missed content. */
  resumeTiming?: Decision;
  /** 2.3.5: a re-join date agreed other than the provisional one. */
  agreedRejoinDate?: Decision;
  declined?: { reason: string; by: string; on: string };
}

export type DeferralCaseRow = typeof deferralCase.$inferSelect;

export interface DeferralCaseView extends Omit<
  DeferralCaseRow,
  'status' | 'decision' | 'alternativesOffered'
> {
  status: DeferralCaseStatus;
  decision: StoredDeferralDecision | null;
  alternativesOffered: DeferralOption[] | null;
}

export interface DeferralEvaluation {
  deferral: DeferralDecision;
  funding: Decision;
  preWindow: Decision | null;
  /** The assessment attempts of the version in force on the day (2.3.7): for "attempts left". */
  assessmentAttempts: number;
}

function view(row: DeferralCaseRow): DeferralCaseView {
  return {
    ...row,
    status: row.status as DeferralCaseStatus,
    decision: row.decision as StoredDeferralDecision | null,
    alternativesOffered: row.alternativesOffered as DeferralOption[] | null,
  };
}

function deliveryOf(facts: EnrolmentFacts): CohortDelivery {
  return facts.enrolment.isNational
    ? { kind: 'national' }
    : { kind: 'delivery_partner', deliveryPartnerName: facts.enrolment.deliveryPartnerName };
}

async function firstWindowOpensOn(tx: Tx, cohortId: number): Promise<string | undefined> {
  const [row] = await queryRows<{ opens_on: string }>(
    tx,
    sql`select opens_on::text from assessment_window where cohort_id = ${cohortId} order by sequence_number limit 1`,
  );
  return row?.opens_on;
}

/**
 * Asks the policy whether this enrolment may defer on `on`: the deferral rules against every later
 * cohort of the same programme, the funding consequences and the 2.5.1 timing.
 */
async function evaluate(
  tx: Tx,
  facts: EnrolmentFacts,
  input: {
    on: string;
    circumstance: ExtenuatingCircumstanceKind;
    description: string;
    exception?: DeferralException | undefined;
  },
): Promise<DeferralEvaluation> {
  const delivery = deliveryOf(facts);
  const later = await queryRows<{ id: number }>(
    tx,
    sql`select c.id from cohort c
        where c.lead_provider_id = ${facts.cohort.leadProviderId} and c.programme_id = ${facts.cohort.programmeId}
          and c.start_date > ${facts.cohort.startDate}::date
        order by c.start_date, c.id`,
  );
  const laterCohorts = await loadCohorts(
    tx,
    later.map((c) => c.id),
  );
  const futureCohorts: PolicyCohort[] = [];
  for (const cohort of laterCohorts) {
    const plan = await loadCohortPlan(tx, cohort.id);
    futureCohorts.push(
      toPolicyCohort(cohort, plan.activities, delivery, await firstWindowOpensOn(tx, cohort.id)),
    );
  }
  const currentWindow = await queryRows<{ id: number; opens_on: string }>(
    tx,
    sql`select id, opens_on::text from assessment_window where cohort_id = ${facts.cohort.id} order by sequence_number limit 1`,
  );
  const current = toPolicyCohort(
    facts.cohort,
    facts.activities,
    delivery,
    currentWindow[0]?.opens_on,
  );
  // The contract ends at the earliest recorded end: the lead provider's contract (set on the
  // organisation page) or one recorded on this programme's cohorts.
  const [provider] = await queryRows<{ contract_end_date: string | null }>(
    tx,
    sql`select contract_end_date::text from lead_provider where id = ${facts.cohort.leadProviderId}`,
  );
  const contractEnds = [
    provider?.contract_end_date ?? null,
    ...[facts.cohort, ...laterCohorts].map((c) => c.contractEndDate),
  ]
    .filter((d): d is string => d !== null)
    .sort()[0];

  // The version in force on the day of the request decides, and the stored decision keeps it.
  const register = await registerInForce(tx, input.on);
  const deferral = evaluateDeferral(
    {
      requestedOn: input.on,
      enrolmentStatus: facts.enrolment.status,
      dfeRegistered: facts.participant.dfeRegistrationConfirmed,
      employmentConfirmed: facts.participant.employmentConfirmed,
      previousDeferrals: facts.enrolment.deferralCount,
      circumstance: { kind: input.circumstance, description: input.description },
      ...(input.exception ? { exception: input.exception } : {}),
      activities: facts.activities,
      completedActivityIds: facts.completedActivityIds,
      currentCohort: current,
      futureCohorts,
      ...(contractEnds ? { contractEndsOn: contractEnds } : {}),
    },
    register,
  );
  const funding = evaluateFundingAtDeferral(
    { fundingRoute: facts.participant.fundingRoute },
    register,
  );
  const window = currentWindow[0];
  const preWindow = window
    ? evaluatePreWindowDeferral(
        {
          requestedOn: input.on,
          window: {
            id: String(window.id),
            opensOn: window.opens_on,
            engagementDeadline: facts.cohort.engagementDeadline,
          },
          attemptsRemaining: Math.max(
            0,
            register.parameters.assessmentAttempts - facts.enrolment.assessmentAttemptsUsed,
          ),
        },
        register,
      )
    : null;
  return {
    deferral,
    funding,
    preWindow,
    assessmentAttempts: register.parameters.assessmentAttempts,
  };
}

function refused(e: DeferralEvaluation): boolean {
  return e.deferral.outcome === 'refused' || e.preWindow?.outcome === 'refused';
}

/** The decision that said no, for a 422 with its reasons. */
export function refusalOf(e: Pick<DeferralEvaluation, 'deferral' | 'preWindow'>): Decision {
  return e.preWindow?.outcome === 'refused' && e.deferral.outcome !== 'refused'
    ? e.preWindow
    : e.deferral;
}

async function factsOf(tx: Tx, enrolmentId: number): Promise<EnrolmentFacts> {
  const facts = await loadEnrolmentFacts(tx, enrolmentId);
  if (!facts) throw new NotFoundError('Enrolment not found');
  return facts;
}

function validateCircumstance(circumstance: string, description: string | undefined) {
  const errors = [];
  if (!(EXTENUATING_CIRCUMSTANCES as readonly string[]).includes(circumstance)) {
    errors.push({
      path: 'circumstance',
      message: `Choose one of: ${EXTENUATING_CIRCUMSTANCES.join(', ')}`,
    });
  }
  if (circumstance === 'other' && (description ?? '').trim() === '') {
    errors.push({
      path: 'description',
      message: 'Please describe the circumstances that mean you cannot continue with your cohort',
    });
  }
  if (errors.length > 0) throw new ValidationError(errors);
  return circumstance as ExtenuatingCircumstanceKind;
}

export interface DeferralRequestInput {
  enrolmentId: number;
  circumstance: string;
  description?: string | undefined;
  /** The day the participant asked; defaults to today. */
  requestedOn?: string | undefined;
}

/** Shows eligibility and consequences before anything is requested; creates nothing. */
export async function previewDeferral(
  { db, clock }: ServiceDeps,
  actor: Actor,
  input: Omit<DeferralRequestInput, 'requestedOn'>,
): Promise<DeferralEvaluation> {
  const circumstance = validateCircumstance(input.circumstance, input.description);
  return db.transaction(async (tx) => {
    await requireEnrolment(tx, actor, input.enrolmentId);
    const facts = await factsOf(tx, input.enrolmentId);
    return evaluate(tx, facts, {
      on: londonDateOf(clock.now()),
      circumstance,
      description: input.description ?? '',
    });
  });
}

/** The participant (for themselves) or staff with write access open a case; the policy answers at once. */
export async function requestDeferral(
  { db, clock, publicUrl }: ServiceDeps,
  actor: Actor,
  input: DeferralRequestInput,
): Promise<DeferralCaseView> {
  const at = clock.now();
  const today = londonDateOf(at);
  const circumstance = validateCircumstance(input.circumstance, input.description);
  const requestedOn = input.requestedOn ?? today;
  if (!isIsoDate(requestedOn) || requestedOn > today) {
    throw new ValidationError([
      { path: 'requestedOn', message: 'Give a date on or before today as YYYY-MM-DD' },
    ]);
  }
  return db.transaction(async (tx) => {
    await requireEnrolment(tx, actor, input.enrolmentId, 'write', { participantMayWrite: true });
    const facts = await factsOf(tx, input.enrolmentId);
    // A date a person typed must make sense for this enrolment: not before its programme began.
    // (A request made today by someone not yet started is the policy's to refuse, 2.3.2.)
    if (input.requestedOn !== undefined && requestedOn < facts.cohort.startDate) {
      throw new ValidationError([
        {
          path: 'requestedOn',
          message: `The date of the request must be on or after the start of the programme, ${formatLongDate(facts.cohort.startDate)}`,
        },
      ]);
    }
    const evaluation = await evaluate(tx, facts, {
      on: requestedOn,
      circumstance,
      description: input.description ?? '',
    });
    const declinedByPolicy = refused(evaluation);
    const stored: StoredDeferralDecision = { ...evaluation };
    const [row] = await tx
      .insert(deferralCase)
      .values({
        enrolmentId: facts.enrolment.id,
        participantId: facts.participant.id,
        status: declinedByPolicy ? 'declined' : 'requested',
        circumstance,
        description: input.description ?? '',
        dfeReason: CIRCUMSTANCE_DFE_REASON[circumstance],
        requestedOn,
        requestedBy: actor.userId,
        decision: stored,
        ...(declinedByPolicy ? { decidedAt: at } : {}),
        createdAt: at,
        updatedAt: at,
      })
      .onConflictDoNothing()
      .returning();
    if (!row) {
      throw new ConflictError(
        'There is already a deferral case in progress for this enrolment. Continue with that one.',
      );
    }
    await audit(tx, {
      what: declinedByPolicy ? 'DEFERRAL_REQUEST_DECLINED_BY_POLICY' : 'DEFERRAL_REQUESTED',
      who: actor,
      subjectType: 'deferral_case',
      subjectId: row.id,
      details: {
        enrolmentId: facts.enrolment.id,
        circumstance,
        dfeReason: row.dfeReason,
        outcome: evaluation.deferral.outcome,
        preWindowOutcome: evaluation.preWindow?.outcome ?? null,
        unmet: [evaluation.deferral, evaluation.preWindow]
          .flatMap((d) => d?.reasons ?? [])
          .filter((r) => !r.met)
          .map((r) => ({ code: r.code, clause: r.clause })),
      },
      at,
    });
    if (declinedByPolicy) {
      // Nobody decided this one: the partner gets a task to tell the participant their options
      // (2.3.4, 2.3.10), closed by recording the contact and what the participant chose.
      await tx
        .insert(staffTask)
        .values({
          kind: 'options_contact',
          enrolmentId: row.enrolmentId,
          deferralCaseId: row.id,
          dueOn: today,
          createdAt: at,
        })
        .onConflictDoNothing();
      await queueDeferralDecision(
        tx,
        { id: row.id, enrolmentId: row.enrolmentId },
        { kind: 'declined_by_policy', decision: refusalOf(evaluation) },
        { at, publicUrl, immediately: true },
      );
    }
    return view(row);
  });
}

async function loadCase(tx: Tx, caseId: number): Promise<DeferralCaseRow> {
  const [row] = await tx.select().from(deferralCase).where(eq(deferralCase.id, caseId));
  if (!row) throw new NotFoundError('Deferral case not found');
  return row;
}

/** Resolves a case the actor may act on and checks its status and the version the caller read. */
export async function caseFor(
  tx: Tx,
  actor: Actor,
  caseId: number,
  expectedVersion: number,
  allowed: readonly DeferralCaseStatus[],
): Promise<DeferralCaseRow> {
  const row = await loadCase(tx, caseId);
  await requireEnrolment(tx, actor, row.enrolmentId, 'write');
  if (row.version !== expectedVersion) throw new ConflictError();
  if (!allowed.includes(row.status as DeferralCaseStatus)) {
    throw new ValidationError([
      {
        path: 'status',
        message: `This deferral case is ${row.status.replace(/_/g, ' ')}; this step needs it to be ${allowed.join(' or ').replace(/_/g, ' ')}.`,
      },
    ]);
  }
  return row;
}

/** Writes a step: only if nobody changed the case since the caller read it (409 otherwise). */
export async function updateCase(
  tx: Tx,
  row: DeferralCaseRow,
  set: Partial<typeof deferralCase.$inferInsert>,
  at: Date,
): Promise<DeferralCaseRow> {
  const [updated] = await tx
    .update(deferralCase)
    .set({ ...set, version: row.version + 1, updatedAt: at })
    .where(and(eq(deferralCase.id, row.id), eq(deferralCase.version, row.version)))
    .returning();
  if (!updated) throw new ConflictError();
  return updated;
}

export function storedOf(row: DeferralCaseRow): StoredDeferralDecision {
  // Every case made through this service has one; a row written some other way must not crash a decision.
  if (!row.decision) {
    throw new ValidationError([
      {
        path: 'decision',
        message: 'This case has no policy decision on record, so it cannot be decided here',
      },
    ]);
  }
  return row.decision as StoredDeferralDecision;
}

export async function caseAudit(
  tx: Tx,
  what: string,
  actor: Actor | 'system',
  row: DeferralCaseRow,
  at: Date,
  details: Record<string, unknown> = {},
) {
  await audit(tx, {
    what,
    who: actor,
    subjectType: 'deferral_case',
    subjectId: row.id,
    details: { enrolmentId: row.enrolmentId, status: row.status, version: row.version, ...details },
    at,
  });
}

export async function listDeferralCases(
  { db }: ServiceDeps,
  actor: Actor,
  filter: { status?: DeferralCaseStatus | undefined; limit: number; offset: number },
): Promise<{ items: DeferralCaseView[]; total: number }> {
  const where = sql`(${enrolmentVisibleTo(actor)})${filter.status ? sql` and dc.status = ${filter.status}` : sql``}`;
  const [count] = await queryRows<{ total: number }>(
    db,
    sql`select count(*)::int as total from deferral_case dc join enrolment e on e.id = dc.enrolment_id
        join cohort c on c.id = e.cohort_id where ${where}`,
  );
  const ids = await queryRows<{ id: number }>(
    db,
    sql`select dc.id from deferral_case dc join enrolment e on e.id = dc.enrolment_id
        join cohort c on c.id = e.cohort_id where ${where}
        order by dc.updated_at desc, dc.id desc limit ${filter.limit} offset ${filter.offset}`,
  );
  if (ids.length === 0) return { items: [], total: count?.total ?? 0 };
  const rows = await db
    .select()
    .from(deferralCase)
    .where(sql`${deferralCase.id} = any(${sql.param(ids.map((i) => i.id))}::int[])`);
  const byId = new Map(rows.map((r) => [r.id, r]));
  return {
    items: ids.map((i) => byId.get(i.id)).flatMap((r) => (r ? [view(r)] : [])),
    total: count?.total ?? 0,
  };
}

export async function getDeferralCase(
  { db }: ServiceDeps,
  actor: Actor,
  caseId: number,
): Promise<DeferralCaseView> {
  return db.transaction(async (tx) => {
    const row = await loadCase(tx, caseId);
    await requireEnrolment(tx, actor, row.enrolmentId);
    return view(row);
  });
}

/** 2.3.9: the programme team records a further-deferral exception; the policy is asked again. */
export async function recordDeferralException(
  { db, clock }: ServiceDeps,
  actor: Actor,
  caseId: number,
  input: { rationale: string; expectedVersion: number },
): Promise<DeferralCaseView> {
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    const row = await caseFor(tx, actor, caseId, input.expectedVersion, ['requested', 'discussed']);
    if (!EXCEPTION_ROLES.includes(actor.role)) {
      throw new ForbiddenError(
        'Only the programme team can approve a further deferral as an exception.',
      );
    }
    if (input.rationale.trim() === '') {
      throw new ValidationError([
        { path: 'rationale', message: 'Record why a further deferral is justified' },
      ]);
    }
    const stored = storedOf(row);
    if (stored.deferral.outcome !== 'needs_exception') {
      throw new ValidationError([
        { path: 'status', message: 'This request does not need an exception.' },
      ]);
    }
    const exception: DeferralException = {
      approvedBy: actor.email,
      approvedByRole: actor.role,
      approvedOn: today,
      rationale: input.rationale.trim(),
    };
    const facts = await factsOf(tx, row.enrolmentId);
    const evaluation = await evaluate(tx, facts, {
      on: today,
      circumstance: row.circumstance as ExtenuatingCircumstanceKind,
      description: row.description,
      exception,
    });
    if (evaluation.deferral.outcome !== 'allowed')
      throw new PolicyRefusalError(evaluation.deferral);
    const updated = await updateCase(
      tx,
      row,
      {
        isException: true,
        exceptionApprovedBy: actor.userId,
        decision: { ...stored, ...evaluation, exception } satisfies StoredDeferralDecision,
      },
      at,
    );
    await caseAudit(tx, 'DEFERRAL_EXCEPTION_APPROVED', actor, updated, at, {
      rationale: exception.rationale,
      approvedByRole: actor.role,
    });
    return view(updated);
  });
}

/** 2.3.4: staff record the options discussed (from the policy's list) and what the participant chose. */
export async function recordDeferralDiscussion(
  { db, clock }: ServiceDeps,
  actor: Actor,
  caseId: number,
  input: {
    alternativesOffered: DeferralOptionKind[];
    participantChoice: DeferralOptionKind;
    expectedVersion: number;
  },
): Promise<DeferralCaseView> {
  const at = clock.now();
  return db.transaction(async (tx) => {
    const row = await caseFor(tx, actor, caseId, input.expectedVersion, ['requested']);
    const available = storedOf(row).deferral.details.options;
    const errors = [];
    const offered: DeferralOption[] = [];
    for (const [i, kind] of input.alternativesOffered.entries()) {
      const option = available.find((o) => o.option === kind);
      if (!option) {
        errors.push({
          path: `alternativesOffered.${i}`,
          message: `Offer only the options the policy allows here: ${available.map((o) => o.option).join(', ')}`,
        });
      } else if (!offered.includes(option)) offered.push(option);
    }
    if (!input.alternativesOffered.includes(input.participantChoice)) {
      errors.push({
        path: 'participantChoice',
        message: 'The participant can only choose one of the options offered',
      });
    }
    if (errors.length > 0) throw new ValidationError(errors);
    const updated = await updateCase(
      tx,
      row,
      {
        status: 'discussed',
        alternativesOffered: offered,
        participantChoice: input.participantChoice,
      },
      at,
    );
    await caseAudit(tx, 'DEFERRAL_DISCUSSED', actor, updated, at, {
      alternativesOffered: offered.map((o) => o.option),
      participantChoice: input.participantChoice,
    });
    return view(updated);
  });
}

/**
 * 2.3.5-2.3.7, 2.4: approving asks the policy again as of today (the day the deferral is agreed) and
 * stores the re-join plan it works out: target cohort, re-join point and date, catch-up, and when
 * to contact the participant about their return.
 */
export async function approveDeferral(
  { db, clock, publicUrl }: ServiceDeps,
  actor: Actor,
  caseId: number,
  input: { expectedVersion: number },
): Promise<DeferralCaseView> {
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    const row = await caseFor(tx, actor, caseId, input.expectedVersion, ['discussed']);
    if (row.participantChoice !== 'defer') {
      throw new ValidationError([
        {
          path: 'participantChoice',
          message: `The participant chose '${row.participantChoice ?? 'nothing'}', not to defer; decline the case instead.`,
        },
      ]);
    }
    const stored = storedOf(row);
    const facts = await factsOf(tx, row.enrolmentId);
    const evaluation = await evaluate(tx, facts, {
      on: today,
      circumstance: row.circumstance as ExtenuatingCircumstanceKind,
      description: row.description,
      exception: stored.exception,
    });
    const plan = evaluation.deferral.details.plan;
    if (refused(evaluation) || evaluation.deferral.outcome !== 'allowed' || plan === null) {
      throw new PolicyRefusalError(refusalOf(evaluation));
    }
    const updated = await updateCase(
      tx,
      row,
      {
        status: 'approved',
        targetCohortId: Number(plan.targetCohortId),
        rejoinActivityId: plan.rejoinActivityId === null ? null : Number(plan.rejoinActivityId),
        rejoinDate: plan.rejoinOn,
        rejoinPlan: plan,
        intentContactDueOn: plan.intentContactDueOn,
        decision: { ...stored, ...evaluation } satisfies StoredDeferralDecision,
        decidedBy: actor.userId,
        decidedAt: at,
      },
      at,
    );
    await caseAudit(tx, 'DEFERRAL_APPROVED', actor, updated, at, {
      targetCohortId: plan.targetCohortId,
      rejoinOn: plan.rejoinOn,
      rejoinActivityId: plan.rejoinActivityId,
      catchUpActivityIds: plan.catchUpActivityIds,
      intentContactDueOn: plan.intentContactDueOn,
      funding: evaluation.funding.details,
    });
    const [target] = await queryRows<{ name: string }>(
      tx,
      sql`select name from cohort where id = ${Number(plan.targetCohortId)}`,
    );
    await queueDeferralDecision(
      tx,
      { id: row.id, enrolmentId: row.enrolmentId },
      {
        kind: 'approved',
        targetCohort: target?.name ?? 'your new cohort',
        rejoinOn: plan.rejoinOn,
        intentContactDueOn: plan.intentContactDueOn,
      },
      { at, publicUrl },
    );
    return view(updated);
  });
}

export async function declineDeferral(
  { db, clock, publicUrl }: ServiceDeps,
  actor: Actor,
  caseId: number,
  input: { reason: string; expectedVersion: number },
): Promise<DeferralCaseView> {
  const at = clock.now();
  return db.transaction(async (tx) => {
    const row = await caseFor(tx, actor, caseId, input.expectedVersion, [
      'requested',
      'discussed',
      'approved',
    ]);
    if (input.reason.trim() === '') {
      throw new ValidationError([
        {
          path: 'reason',
          message: 'Give the reasons, so the participant understands the decision',
        },
      ]);
    }
    const declined = { reason: input.reason.trim(), by: actorLabel(actor), on: londonDateOf(at) };
    const updated = await updateCase(
      tx,
      row,
      {
        status: 'declined',
        decision: { ...storedOf(row), declined } satisfies StoredDeferralDecision,
        decidedBy: actor.userId,
        decidedAt: at,
      },
      at,
    );
    await caseAudit(tx, 'DEFERRAL_DECLINED', actor, updated, at, { reason: declined.reason });
    await queueDeferralDecision(
      tx,
      { id: row.id, enrolmentId: row.enrolmentId },
      { kind: 'declined', reason: declined.reason },
      { at, publicUrl },
    );
    return view(updated);
  });
}

/** A cohort's name for a participant's email ("your new cohort" when there is none). */
async function cohortName(tx: Parameters<typeof queryRows>[0], cohortId: number | null) {
  if (cohortId === null) return 'your new cohort';
  const [row] = await queryRows<{ name: string }>(
    tx,
    sql`select name from cohort where id = ${cohortId}`,
  );
  return row?.name ?? 'your new cohort';
}

/** The agreed deferral takes effect: the enrolment is deferred and the deferral is counted (2.3.3). */
export async function startDeferral(
  { db, clock, publicUrl }: ServiceDeps,
  actor: Actor,
  caseId: number,
  input: { expectedVersion: number },
): Promise<DeferralCaseView> {
  const at = clock.now();
  return db.transaction(async (tx) => {
    const row = await caseFor(tx, actor, caseId, input.expectedVersion, ['approved']);
    const facts = await factsOf(tx, row.enrolmentId);
    await changeEnrolmentStatus(tx, {
      enrolmentId: row.enrolmentId,
      event: 'defer',
      who: actor,
      at,
      expectedVersion: facts.enrolment.version,
      set: { deferralCount: facts.enrolment.deferralCount + 1 },
      dfeReason: row.dfeReason,
      details: {
        deferralCaseId: row.id,
        dfeReason: row.dfeReason,
        targetCohortId: row.targetCohortId,
        rejoinDate: row.rejoinDate,
      },
    });
    const updated = await updateCase(tx, row, { status: 'deferred' }, at);
    await caseAudit(tx, 'DEFERRAL_STARTED', actor, updated, at, {
      deferralCount: facts.enrolment.deferralCount + 1,
    });
    await queueDeferralDecision(
      tx,
      { id: row.id, enrolmentId: row.enrolmentId },
      {
        kind: 'started',
        targetCohort: await cohortName(tx, row.targetCohortId),
        rejoinOn: row.rejoinDate,
        intentContactDueOn: updated.intentContactDueOn,
      },
      { at, publicUrl },
    );
    return view(updated);
  });
}

/** 2.3.7: the participant confirmed they will return; reasonable adjustments are recorded. */
export async function confirmReturn(
  { db, clock, publicUrl }: ServiceDeps,
  actor: Actor,
  caseId: number,
  input: { reasonableAdjustments?: string | undefined; expectedVersion: number },
): Promise<DeferralCaseView> {
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    const row = await caseFor(tx, actor, caseId, input.expectedVersion, [
      'deferred',
      'intent_contact_due',
    ]);
    if (!row.rejoinDate)
      throw new ValidationError([{ path: 'rejoinDate', message: 'No restart date' }]);
    const intentContact = evaluateIntentContact(
      {
        restartOn: row.rejoinDate,
        today,
        contactedOn: today,
      },
      await registerInForce(tx, today),
    );
    if (intentContact.outcome !== 'met') throw new PolicyRefusalError(intentContact);
    const updated = await updateCase(
      tx,
      row,
      {
        status: 'confirmed',
        reasonableAdjustments: input.reasonableAdjustments?.trim() || null,
        decision: { ...storedOf(row), intentContact } satisfies StoredDeferralDecision,
      },
      at,
    );
    await tx
      .update(staffTask)
      .set({ status: 'done', completedAt: at })
      .where(
        and(
          eq(staffTask.deferralCaseId, row.id),
          eq(staffTask.kind, 'intent_contact'),
          eq(staffTask.status, 'open'),
        ),
      );
    await caseAudit(tx, 'DEFERRAL_RETURN_CONFIRMED', actor, updated, at, {
      reasonableAdjustments: updated.reasonableAdjustments,
    });
    await queueDeferralDecision(
      tx,
      { id: row.id, enrolmentId: row.enrolmentId },
      {
        kind: 'return_confirmed',
        rejoinOn: updated.rejoinDate,
        adjustments: updated.reasonableAdjustments,
      },
      { at, publicUrl },
    );
    return view(updated);
  });
}

/**
 * 2.3.6: the participant re-joins the target cohort. Engagement records belong to the participant
 * and the programme activity, not the cohort, so everything done before the deferral still counts.
 */
export async function resumeFromDeferral(
  { db, clock, publicUrl }: ServiceDeps,
  actor: Actor,
  caseId: number,
  input: { expectedVersion: number; earlyReturnReason?: string | undefined },
): Promise<DeferralCaseView> {
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    const row = await caseFor(tx, actor, caseId, input.expectedVersion, ['confirmed']);
    if (!row.rejoinDate || row.targetCohortId === null) {
      throw new ValidationError([{ path: 'targetCohortId', message: 'No re-join plan' }]);
    }
    // The version in force today decides both the timing and the return, and is stamped on each.
    const register = await registerInForce(tx, today);
    // 2.3.5: on or after the agreed date, or sooner only to cover missed content, recorded by staff.
    const timing = evaluateResumeTiming(
      { rejoinOn: row.rejoinDate, today, earlyReturnReason: input.earlyReturnReason },
      register,
    );
    if (timing.outcome !== 'allowed') throw new PolicyRefusalError(timing);
    const [before] = await queryRows<{ cohort_id: number }>(
      tx,
      sql`select cohort_id from enrolment where id = ${row.enrolmentId}`,
    );
    const returnFromDeferral = evaluateReturnFromDeferral(
      {
        restartOn: row.rejoinDate,
        today,
        intent: 'confirmed',
        returnedOn: today,
      },
      register,
    );
    if (returnFromDeferral.details.lifecycleEvent !== 'resume') {
      throw new PolicyRefusalError(returnFromDeferral);
    }
    await changeEnrolmentStatus(tx, {
      enrolmentId: row.enrolmentId,
      event: 'resume',
      who: actor,
      at,
      set: { cohortId: row.targetCohortId },
      details: {
        deferralCaseId: row.id,
        targetCohortId: row.targetCohortId,
        rejoinActivityId: row.rejoinActivityId,
      },
    });
    const updated = await updateCase(
      tx,
      row,
      {
        status: 'resumed',
        earlyReturnReason: timing.details.early ? (input.earlyReturnReason?.trim() ?? null) : null,
        decision: {
          ...storedOf(row),
          returnFromDeferral,
          resumeTiming: timing,
        } satisfies StoredDeferralDecision,
      },
      at,
    );
    await caseAudit(tx, 'DEFERRAL_RESUMED', actor, updated, at, {
      targetCohortId: row.targetCohortId,
      early: timing.details.early,
    });
    const cancelled =
      before && before.cohort_id !== row.targetCohortId
        ? await cancelOldCohortBookings(tx, {
            enrolmentId: row.enrolmentId,
            oldCohortId: before.cohort_id,
            at,
            who: actor,
            notices: { at, publicUrl },
          })
        : [];
    const [rejoinAt] =
      row.rejoinActivityId === null
        ? []
        : await queryRows<{ title: string }>(
            tx,
            sql`select title from programme_activity where id = ${row.rejoinActivityId}`,
          );
    await queueDeferralDecision(
      tx,
      { id: row.id, enrolmentId: row.enrolmentId },
      {
        kind: 'resumed',
        targetCohort: await cohortName(tx, row.targetCohortId),
        rejoinAt: rejoinAt?.title ?? null,
        cancelled,
      },
      { at, publicUrl },
    );
    return view(updated);
  });
}
