import { queueAssessmentDeferralDecision, queueEvidenceRequest } from './notices/decisions.js';
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import {
  applyAttemptEvent,
  evaluateAssessmentDeferral,
  evaluatePreWindowDeferral,
  londonDateOf,
  type AssessmentCircumstanceKind,
  type Decision,
  type EvidenceStatus,
} from '../policy/index.js';
import type { Actor } from './actor.js';
import {
  ensureEntered,
  loadAssessmentContext,
  loadWindow,
  moveEntry,
  nextWindowAfter,
  windowView,
  type AssessmentContext,
  type ServiceDeps,
  type Tx,
  type WindowRow,
} from './assessment.js';
import { audit } from './audit.js';
import { requireEnrolment } from './authorisation.js';
import { enrolmentStatusDecision } from '../policy/enrolment-status.js';
import { ConflictError, NotFoundError, PolicyRefusalError, ValidationError } from './errors.js';

/**
 * The assessment-deferral case (policy 2.5.2-2.5.4): requested -> evidence requested -> evidence
 * received -> approved (attempt kept, entered into the next window) or declined (and if the window
 * closed without a submission, the attempt is then lost). While a case is open the attempt is
 * protected at window close. Every decision takes the version the caller read.
 */

export type CaseStatus =
  'requested' | 'evidence_requested' | 'evidence_received' | 'approved' | 'declined';

interface CaseRow {
  id: number;
  enrolment_id: number;
  window_id: number;
  status: CaseStatus;
  circumstance: AssessmentCircumstanceKind;
  description: string;
  requested_at: Date | string;
  evidence_request: string | null;
  evidence_note: string | null;
  next_window_id: number | null;
  decision: (Decision & { staffReasons?: string }) | null;
  decided_at: Date | string | null;
  version: number;
}

const CASE_COLUMNS = sql`id, enrolment_id, window_id, status, circumstance, description, requested_at,
  evidence_request, evidence_note, next_window_id, decision, decided_at, version`;

export interface AssessmentDeferralCaseView {
  id: number;
  enrolmentId: number;
  windowId: number;
  status: CaseStatus;
  circumstance: string;
  description: string;
  requestedAt: string;
  evidenceRequest: string | null;
  evidenceNote: string | null;
  nextWindowId: number | null;
  decision: Decision | null;
  staffReasons: string | null;
  decidedAt: string | null;
  version: number;
}

const iso = (v: Date | string) => new Date(v).toISOString();

function caseView(r: CaseRow): AssessmentDeferralCaseView {
  return {
    id: r.id,
    enrolmentId: r.enrolment_id,
    windowId: r.window_id,
    status: r.status,
    circumstance: r.circumstance,
    description: r.description,
    requestedAt: iso(r.requested_at),
    evidenceRequest: r.evidence_request,
    evidenceNote: r.evidence_note,
    nextWindowId: r.next_window_id,
    decision: r.decision,
    staffReasons: r.decision?.staffReasons ?? null,
    decidedAt: r.decided_at === null ? null : iso(r.decided_at),
    version: r.version,
  };
}

const OPEN: readonly CaseStatus[] = ['requested', 'evidence_requested', 'evidence_received'];

async function evaluateFor(
  tx: Tx,
  ctx: AssessmentContext,
  window: WindowRow,
  input: {
    requestedOn: string;
    circumstance: AssessmentCircumstanceKind;
    description: string;
    evidence: EvidenceStatus;
    entered: boolean;
  },
) {
  const next = await nextWindowAfter(tx, window.id);
  const deadline = ctx.facts.cohort.engagementDeadline;
  const decision = evaluateAssessmentDeferral(
    {
      requestedOn: input.requestedOn,
      window: { id: String(window.id), opensOn: window.opens_on, engagementDeadline: deadline },
      engagementAtDeadline: ctx.snapshot,
      enteredWindow: input.entered,
      circumstance: { kind: input.circumstance, description: input.description },
      evidence: input.evidence,
      attemptsRemaining: ctx.attemptsRemaining,
      ...(next
        ? {
            nextWindow: {
              id: String(next.id),
              opensOn: next.opens_on,
              engagementDeadline: deadline,
            },
          }
        : {}),
    },
    ctx.register,
  );
  return { decision, next };
}

/** Opens a case for the window the participant is entered into; refused unless 2.5.2 is met. */
export async function requestAssessmentDeferral(
  { db, clock }: ServiceDeps,
  actor: Actor,
  input: { enrolmentId: number; circumstance: AssessmentCircumstanceKind; description: string },
): Promise<AssessmentDeferralCaseView> {
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    await requireEnrolment(tx, actor, input.enrolmentId, 'write', { participantMayWrite: true });
    const ctx = await loadAssessmentContext(tx, input.enrolmentId, today);
    // Only a participant on the programme asks (a deferred place already waits for its new cohort).
    const onProgramme = enrolmentStatusDecision(
      ctx.facts.enrolment.status,
      'request_assessment_deferral',
      ctx.register,
    );
    if (onProgramme.outcome !== 'allowed') throw new PolicyRefusalError(onProgramme);
    if (!ctx.window) {
      throw new ValidationError([
        { path: 'enrolmentId', message: 'No assessment window is scheduled for this cohort yet.' },
      ]);
    }
    const entered = await ensureEntered(tx, ctx, at);
    const window = ctx.window;
    const { decision } = await evaluateFor(tx, ctx, window, {
      requestedOn: today,
      circumstance: input.circumstance,
      description: input.description,
      evidence: 'not_requested',
      entered,
    });
    if (decision.outcome === 'refused') throw new PolicyRefusalError(decision);
    const [row] = await queryRows<CaseRow>(
      tx,
      sql`insert into assessment_deferral_case
            (enrolment_id, window_id, status, circumstance, description, requested_at, requested_by, decision)
          values (${input.enrolmentId}, ${window.id}, 'requested', ${input.circumstance}, ${input.description},
                  ${at}, ${actor.userId}, ${JSON.stringify(decision)}::jsonb)
          on conflict do nothing
          returning ${CASE_COLUMNS}`,
    );
    if (!row) {
      throw new ConflictError(
        'An assessment deferral request for this window is already being considered.',
      );
    }
    const protection = applyAttemptEvent(
      { attemptsRemaining: ctx.attemptsRemaining, pendingRequest: false },
      { type: 'circumstances_notified' },
      ctx.register,
    );
    await audit(tx, {
      what: 'ASSESSMENT_DEFERRAL_REQUESTED',
      who: actor,
      subjectType: 'assessment_deferral_case',
      subjectId: row.id,
      details: {
        enrolmentId: input.enrolmentId,
        windowId: window.id,
        circumstance: input.circumstance,
        decision,
        attempt: protection,
      },
      at,
    });
    return caseView(row);
  });
}

/**
 * Whether an assessment deferral asked for today could be granted (2.5.2), before the participant
 * says what happened: the form is offered only when it could. Reads only: it does not enter the
 * participant into the window (the request does). Null when no window is scheduled.
 */
export async function previewAssessmentDeferral(
  { db, clock }: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
): Promise<{ decision: Decision; openCaseId: number | null } | null> {
  const today = londonDateOf(clock.now());
  return db.transaction(async (tx) => {
    await requireEnrolment(tx, actor, enrolmentId);
    const ctx = await loadAssessmentContext(tx, enrolmentId, today);
    if (!ctx.window) return null;
    const onProgramme = enrolmentStatusDecision(
      ctx.facts.enrolment.status,
      'request_assessment_deferral',
      ctx.register,
    );
    // As ensureEntered would decide, without writing the entry.
    const entered =
      ctx.entryWindow !== null ||
      (ctx.facts.enrolment.status === 'active' && ctx.eligibility?.outcome === 'allowed');
    const { decision } = await evaluateFor(tx, ctx, ctx.window, {
      requestedOn: today,
      // A circumstance the policy accepts: what happened is asked on the form, after this.
      circumstance: 'unforeseen_illness_or_health',
      description: '',
      evidence: 'not_requested',
      entered,
    });
    const [open] = await queryRows<{ id: number }>(
      tx,
      sql`select id from assessment_deferral_case where enrolment_id = ${enrolmentId}
          and window_id = ${ctx.window.id}
          and status in ('requested', 'evidence_requested', 'evidence_received')
          order by id desc limit 1`,
    );
    // A place not on the programme is answered by the status rule, as the request would be.
    return {
      decision: onProgramme.outcome === 'allowed' ? decision : onProgramme,
      openCaseId: open?.id ?? null,
    };
  });
}

/** Participants may write only where `participantMayWrite` (sending evidence); staff decide. */
async function loadCase(
  tx: Tx,
  actor: Actor,
  caseId: number,
  access: 'read' | 'write',
  participantMayWrite = false,
) {
  const [row] = await queryRows<CaseRow>(
    tx,
    sql`select ${CASE_COLUMNS} from assessment_deferral_case where id = ${caseId}`,
  );
  if (!row) throw new NotFoundError('Assessment deferral case not found');
  try {
    await requireEnrolment(tx, actor, row.enrolment_id, access, { participantMayWrite });
  } catch (e) {
    if (e instanceof NotFoundError) throw new NotFoundError('Assessment deferral case not found');
    throw e;
  }
  return row;
}

export async function getAssessmentDeferralCase(
  { db }: ServiceDeps,
  actor: Actor,
  caseId: number,
): Promise<AssessmentDeferralCaseView> {
  return db.transaction(async (tx) => caseView(await loadCase(tx, actor, caseId, 'read')));
}

/** The participant's assessment-deferral requests on an enrolment, newest first, with decisions. */
export async function listAssessmentDeferralCases(
  { db }: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
): Promise<AssessmentDeferralCaseView[]> {
  await requireEnrolment(db, actor, enrolmentId);
  const rows = await queryRows<CaseRow>(
    db,
    sql`select ${CASE_COLUMNS} from assessment_deferral_case
        where enrolment_id = ${enrolmentId} order by id desc`,
  );
  return rows.map(caseView);
}

function requireStatus(row: CaseRow, allowed: readonly CaseStatus[], action: string): void {
  if (!allowed.includes(row.status)) {
    throw new ConflictError(
      `This request is ${row.status.replace('_', ' ')}, so it cannot be ${action} now.`,
    );
  }
}

/** Optimistic concurrency: the update lands only on the version the caller read. */
async function updateCase(
  tx: Tx,
  row: CaseRow,
  expectedVersion: number,
  set: ReturnType<typeof sql>,
): Promise<CaseRow> {
  if (row.version !== expectedVersion) throw new ConflictError();
  const [updated] = await queryRows<CaseRow>(
    tx,
    sql`update assessment_deferral_case set ${set}, version = version + 1
        where id = ${row.id} and version = ${expectedVersion}
        returning ${CASE_COLUMNS}`,
  );
  if (!updated) throw new ConflictError();
  return updated;
}

async function contextFor(tx: Tx, row: CaseRow, today: string) {
  const ctx = await loadAssessmentContext(tx, row.enrolment_id, today);
  const window = await loadWindow(tx, row.window_id);
  if (!window) throw new NotFoundError('Assessment window not found');
  return { ctx, window };
}

/** Staff ask for supporting evidence (2.5.2); the attempt stays protected meanwhile. */
export async function requestEvidence(
  { db, clock, publicUrl }: ServiceDeps,
  actor: Actor,
  caseId: number,
  input: { request: string; expectedVersion: number },
): Promise<AssessmentDeferralCaseView> {
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    const row = await loadCase(tx, actor, caseId, 'write');
    requireStatus(row, ['requested'], 'asked for evidence');
    const { ctx, window } = await contextFor(tx, row, today);
    const { decision } = await evaluateFor(tx, ctx, window, {
      requestedOn: londonDateOf(new Date(row.requested_at)),
      circumstance: row.circumstance,
      description: row.description,
      evidence: 'requested',
      entered: true,
    });
    const updated = await updateCase(
      tx,
      row,
      input.expectedVersion,
      sql`status = 'evidence_requested', evidence_request = ${input.request}, decision = ${JSON.stringify(decision)}::jsonb`,
    );
    await audit(tx, {
      what: 'ASSESSMENT_DEFERRAL_EVIDENCE_REQUESTED',
      who: actor,
      subjectType: 'assessment_deferral_case',
      subjectId: caseId,
      details: { request: input.request, decision },
      at,
    });
    await queueEvidenceRequest(
      tx,
      { id: caseId, enrolmentId: row.enrolment_id, request: input.request },
      { at, publicUrl },
    );
    return caseView(updated);
  });
}

/** The participant (or staff for them) sends the evidence asked for. */
export async function provideEvidence(
  { db, clock }: ServiceDeps,
  actor: Actor,
  caseId: number,
  input: { note: string; expectedVersion: number },
): Promise<AssessmentDeferralCaseView> {
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    const row = await loadCase(tx, actor, caseId, 'write', true);
    requireStatus(row, ['evidence_requested'], 'given evidence');
    const { ctx, window } = await contextFor(tx, row, today);
    const { decision } = await evaluateFor(tx, ctx, window, {
      requestedOn: londonDateOf(new Date(row.requested_at)),
      circumstance: row.circumstance,
      description: row.description,
      evidence: 'provided',
      entered: true,
    });
    const updated = await updateCase(
      tx,
      row,
      input.expectedVersion,
      sql`status = 'evidence_received', evidence_note = ${input.note}, decision = ${JSON.stringify(decision)}::jsonb`,
    );
    await audit(tx, {
      what: 'ASSESSMENT_DEFERRAL_EVIDENCE_RECEIVED',
      who: actor,
      subjectType: 'assessment_deferral_case',
      subjectId: caseId,
      details: { note: input.note, decision },
      at,
    });
    return caseView(updated);
  });
}

/**
 * Approval (2.5.2): the attempt is kept and the participant is entered into the next window for
 * their programme. The policy is asked again with today's facts; it must still allow it.
 */
export async function approveAssessmentDeferral(
  { db, clock, publicUrl }: ServiceDeps,
  actor: Actor,
  caseId: number,
  input: { expectedVersion: number },
) {
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    const row = await loadCase(tx, actor, caseId, 'write');
    requireStatus(row, ['requested', 'evidence_received'], 'approved');
    const { ctx, window } = await contextFor(tx, row, today);
    const submitted = await queryRows<{ id: number }>(
      tx,
      sql`select id from assessment_submission where enrolment_id = ${row.enrolment_id} and window_id = ${row.window_id}`,
    );
    if (submitted.length > 0) {
      throw new ConflictError(
        'An assessment was submitted in this window, so there is no attempt to defer.',
      );
    }
    const { decision, next } = await evaluateFor(tx, ctx, window, {
      requestedOn: londonDateOf(new Date(row.requested_at)),
      circumstance: row.circumstance,
      description: row.description,
      evidence: row.status === 'evidence_received' ? 'provided' : 'not_requested',
      entered: true,
    });
    if (decision.outcome !== 'allowed' || !next) throw new PolicyRefusalError(decision);
    const attempt = applyAttemptEvent(
      { attemptsRemaining: ctx.attemptsRemaining, pendingRequest: true },
      { type: 'request_decided', approved: true },
      ctx.register,
    );
    const updated = await updateCase(
      tx,
      row,
      input.expectedVersion,
      sql`status = 'approved', next_window_id = ${next.id}, decision = ${JSON.stringify(decision)}::jsonb,
          decided_by = ${actor.userId}, decided_at = ${at}`,
    );
    await moveEntry(tx, row.enrolment_id, next.id, at);
    await audit(tx, {
      what: 'ASSESSMENT_DEFERRAL_APPROVED',
      who: actor,
      subjectType: 'assessment_deferral_case',
      subjectId: caseId,
      details: { enrolmentId: row.enrolment_id, nextWindowId: next.id, decision, attempt },
      at,
    });
    await queueAssessmentDeferralDecision(
      tx,
      { id: caseId, enrolmentId: row.enrolment_id },
      { kind: 'approved', nextWindowOpens: next.opens_on, nextWindowCloses: next.closes_on },
      { at, publicUrl },
    );
    return {
      case: caseView(updated),
      attempt,
      nextWindow: windowView(next, today),
      attemptsRemaining: ctx.attemptsRemaining,
    };
  });
}

/**
 * Declined, with the staff's reasons. If the window has already closed without a submission, the
 * non-submission now counts and the attempt is lost (2.5.2, 2.5.4); the window's result records
 * it, so the window-close job cannot count it a second time.
 */
export async function declineAssessmentDeferral(
  { db, clock, publicUrl }: ServiceDeps,
  actor: Actor,
  caseId: number,
  input: { reasons: string; expectedVersion: number },
) {
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    const row = await loadCase(tx, actor, caseId, 'write');
    requireStatus(row, OPEN, 'declined');
    await tx.execute(sql`select id from enrolment where id = ${row.enrolment_id} for update`);
    const { ctx, window } = await contextFor(tx, row, today);
    const submitted = await queryRows<{ id: number }>(
      tx,
      sql`select id from assessment_submission where enrolment_id = ${row.enrolment_id} and window_id = ${row.window_id}`,
    );
    const closedUnsubmitted = window.closes_on < today && submitted.length === 0;
    let attempt: Decision | null = null;
    let decision: Decision;
    let nextWindow: WindowRow | null = null;
    if (closedUnsubmitted) {
      attempt = applyAttemptEvent(
        { attemptsRemaining: ctx.attemptsRemaining, pendingRequest: true },
        { type: 'request_decided', approved: false },
        ctx.register,
      );
      decision = attempt;
    } else {
      decision = (
        await evaluateFor(tx, ctx, window, {
          requestedOn: londonDateOf(new Date(row.requested_at)),
          circumstance: row.circumstance,
          description: row.description,
          evidence: row.status === 'evidence_requested' ? 'requested' : 'provided',
          entered: true,
        })
      ).decision;
    }
    const stored = { ...decision, staffReasons: input.reasons };
    const updated = await updateCase(
      tx,
      row,
      input.expectedVersion,
      sql`status = 'declined', decision = ${JSON.stringify(stored)}::jsonb,
          decided_by = ${actor.userId}, decided_at = ${at}`,
    );
    let attemptsRemaining = ctx.attemptsRemaining;
    if (attempt) {
      const max = ctx.register.parameters.assessmentAttempts;
      const used = Math.min(ctx.attemptsUsed + 1, max);
      attemptsRemaining = max - used;
      await tx.execute(
        sql`update enrolment set assessment_attempts_used = ${used}, version = version + 1 where id = ${row.enrolment_id}`,
      );
      await tx.execute(
        sql`insert into assessment_window_result (enrolment_id, window_id, result, decision, processed_at)
            values (${row.enrolment_id}, ${row.window_id}, 'attempt_lost', ${JSON.stringify(attempt)}::jsonb, ${at})
            on conflict (enrolment_id, window_id) do update
              set result = 'attempt_lost', decision = excluded.decision, processed_at = excluded.processed_at
              where assessment_window_result.result = 'protected'`,
      );
      if (attemptsRemaining > 0) {
        nextWindow = await nextWindowAfter(tx, row.window_id);
        if (nextWindow) await moveEntry(tx, row.enrolment_id, nextWindow.id, at);
      }
    }
    await audit(tx, {
      what: 'ASSESSMENT_DEFERRAL_DECLINED',
      who: actor,
      subjectType: 'assessment_deferral_case',
      subjectId: caseId,
      details: {
        enrolmentId: row.enrolment_id,
        reasons: input.reasons,
        attemptLost: attempt !== null,
        attemptsRemaining,
        nextWindowId: nextWindow?.id ?? null,
        decision,
      },
      at,
    });
    await queueAssessmentDeferralDecision(
      tx,
      { id: caseId, enrolmentId: row.enrolment_id },
      {
        kind: 'declined',
        reasons: input.reasons,
        attemptLost: attempt !== null,
        attemptsRemaining,
      },
      { at, publicUrl },
    );
    return {
      case: caseView(updated),
      attempt,
      nextWindow: nextWindow ? windowView(nextWindow, today) : null,
      attemptsRemaining,
    };
  });
}

/**
 * 2.5.1 preview: asked today, would a deferral before the window keep both attempts? It does not
 * open a case; the ordinary deferral process (section 2.3) does that.
 */
export async function checkPreWindowDeferral(
  { db, clock }: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
) {
  const today = londonDateOf(clock.now());
  return db.transaction(async (tx) => {
    await requireEnrolment(tx, actor, enrolmentId);
    const ctx = await loadAssessmentContext(tx, enrolmentId, today);
    if (!ctx.window || !ctx.policyWindow) {
      throw new ValidationError([
        { path: 'id', message: 'No assessment window is scheduled for this cohort yet.' },
      ]);
    }
    const decision = evaluatePreWindowDeferral(
      {
        requestedOn: today,
        window: ctx.policyWindow,
        attemptsRemaining: ctx.attemptsRemaining,
      },
      ctx.register,
    );
    return {
      enrolmentId,
      window: windowView(ctx.window, today),
      decision,
      deferralProcess: decision.details.followDeferralProcess
        ? {
            how: 'Ask for a deferral through the deferral process (policy 2.3).',
            endpoint: '/api/v1/deferral-cases',
          }
        : null,
    };
  });
}
