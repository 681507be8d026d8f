/**
 * 2.3.7-2.3.8 from the participant's side: before their restart date a deferred participant is
 * asked (by email, and on the page it links to) whether they will return. Yes, with any reasonable
 * adjustments, confirms the return; no withdraws them (2.3.8: the NPQ Withdrawal policy applies).
 * Either answer is recorded on the case, audited, confirmed to the participant and sent to their
 * delivery partner, in one transaction.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import {
  evaluateIntentContact,
  evaluateReturnFromDeferral,
  formatLongDate,
  londonDateOf,
  type Decision,
} from '../policy/index.js';
import { registerInForce } from './policy-register.js';
import type { Actor } from './actor.js';
import { audit } from './audit.js';
import { requireEnrolment } from './authorisation.js';
import { ConflictError, ForbiddenError, PolicyRefusalError, ValidationError } from './errors.js';
import { queueDeferralDecision } from './notices/decisions.js';
import { queueNotices, recipientsOf } from './notices/queue.js';
import type { ServiceDeps } from './participants.js';
import { withdrawEnrolment, type Tx } from './withdrawals.js';

/** Statuses in which the participant can still answer (before the restart date). */
const ANSWERABLE = ['deferred', 'intent_contact_due'];

export interface ReturnQuestion {
  caseId: number;
  enrolmentId: number;
  version: number;
  status: string;
  /** The restart date (YYYY-MM-DD). */
  rejoinDate: string;
  targetCohort: string | null;
  intentContactDueOn: string | null;
  reasonableAdjustments: string | null;
  /** True while the participant may answer: deferred and the restart date not passed. */
  answerable: boolean;
}

interface CaseRow {
  id: number;
  enrolment_id: number;
  version: number;
  status: string;
  rejoin_date: string | null;
  target_cohort: string | null;
  intent_contact_due_on: string | null;
  reasonable_adjustments: string | null;
  decision: Record<string, unknown> | null;
}

async function latestCase(tx: Pick<Tx, 'execute'>, participantId: number, lock = false) {
  const [row] = await queryRows<CaseRow>(
    tx,
    sql`select dc.id, dc.enrolment_id, dc.version, dc.status, dc.rejoin_date::text,
               c.name as target_cohort, dc.intent_contact_due_on::text, dc.reasonable_adjustments, dc.decision
        from deferral_case dc left join cohort c on c.id = dc.target_cohort_id
        where dc.participant_id = ${participantId}
          and dc.status in ('deferred', 'intent_contact_due', 'confirmed', 'withdrawn', 'resumed')
          and dc.rejoin_date is not null
        order by dc.id desc limit 1${lock ? sql` for update of dc` : sql``}`,
  );
  return row;
}

function questionOf(row: CaseRow, today: string): ReturnQuestion {
  return {
    caseId: row.id,
    enrolmentId: row.enrolment_id,
    version: row.version,
    status: row.status,
    rejoinDate: row.rejoin_date!,
    targetCohort: row.target_cohort,
    intentContactDueOn: row.intent_contact_due_on,
    reasonableAdjustments: row.reasonable_adjustments,
    answerable: ANSWERABLE.includes(row.status) && row.rejoin_date! >= today,
  };
}

/** The participant's deferral and whether they may answer the 2.3.7 question; null if none. */
export async function getReturnQuestion(
  { db, clock }: ServiceDeps,
  actor: Actor,
): Promise<ReturnQuestion | null> {
  if (actor.role !== 'participant' || actor.participantId === null) throw new ForbiddenError();
  const row = await latestCase(db, actor.participantId);
  if (!row) return null;
  await requireEnrolment(db, actor, row.enrolment_id);
  return questionOf(row, londonDateOf(clock.now()));
}

export type ReturnAnswer =
  { returning: true; reasonableAdjustments?: string | undefined } | { returning: false };

/** Records the participant's answer (once: a second answer is a conflict). */
export async function answerReturnQuestion(
  { db, clock, publicUrl }: ServiceDeps,
  actor: Actor,
  input: ReturnAnswer & { expectedVersion: number },
): Promise<{ question: ReturnQuestion; decision: Decision }> {
  if (actor.role !== 'participant' || actor.participantId === null) throw new ForbiddenError();
  const participantId = actor.participantId;
  const at = clock.now();
  const today = londonDateOf(at);
  const adjustments = input.returning ? input.reasonableAdjustments?.trim() || null : null;
  if (adjustments && adjustments.length > 2000) {
    throw new ValidationError([
      { path: 'reasonableAdjustments', message: 'Adjustments must be 2,000 characters or fewer' },
    ]);
  }
  return db.transaction(async (tx) => {
    const row = await latestCase(tx, participantId, true);
    if (!row) throw new ConflictError('You do not have a deferral to return from.');
    await requireEnrolment(tx, actor, row.enrolment_id, 'write', { participantMayWrite: true });
    const question = questionOf(row, today);
    if (!question.answerable) {
      throw new ConflictError(
        row.status === 'confirmed'
          ? 'You have already told us you are returning.'
          : 'This question can no longer be answered here. Contact your delivery partner.',
      );
    }
    if (row.version !== input.expectedVersion) throw new ConflictError();
    const restart = question.rejoinDate;
    let decision: Decision;
    if (input.returning) {
      decision = evaluateIntentContact(
        { restartOn: restart, today, contactedOn: today },
        await registerInForce(tx, today),
      );
      if (decision.outcome !== 'met') throw new PolicyRefusalError(decision);
      await tx.execute(
        sql`update deferral_case set status = 'confirmed', version = version + 1, updated_at = ${at},
              reasonable_adjustments = ${adjustments},
              decision = coalesce(decision, '{}'::jsonb) || jsonb_build_object('intentContact', ${JSON.stringify(decision)}::jsonb)
            where id = ${row.id}`,
      );
      await tx.execute(
        sql`update staff_task set status = 'done', completed_at = ${at}
            where deferral_case_id = ${row.id} and kind = 'intent_contact' and status = 'open'`,
      );
      await audit(tx, {
        what: 'DEFERRAL_RETURN_CONFIRMED',
        who: actor,
        subjectType: 'deferral_case',
        subjectId: row.id,
        details: {
          enrolmentId: row.enrolment_id,
          answeredBy: 'participant',
          reasonableAdjustments: adjustments,
          clause: '2.3.7',
        },
        at,
      });
      await queueDeferralDecision(
        tx,
        { id: row.id, enrolmentId: row.enrolment_id },
        { kind: 'return_confirmed', rejoinOn: restart, adjustments },
        { at, publicUrl, immediately: true },
      );
    } else {
      decision = evaluateReturnFromDeferral(
        { restartOn: restart, today, intent: 'declined' },
        await registerInForce(tx, today),
      );
      await tx.execute(
        sql`update deferral_case set
              decision = coalesce(decision, '{}'::jsonb) || jsonb_build_object('returnFromDeferral', ${JSON.stringify(decision)}::jsonb)
            where id = ${row.id}`,
      );
      await audit(tx, {
        what: 'DEFERRAL_NOT_RETURNING',
        who: actor,
        subjectType: 'deferral_case',
        subjectId: row.id,
        details: { enrolmentId: row.enrolment_id, answeredBy: 'participant', clause: '2.3.8' },
        at,
      });
      // 2.3.8: classed as withdrawing; this also closes the deferral case as withdrawn.
      await withdrawEnrolment(tx, {
        enrolmentId: row.enrolment_id,
        reason: 'other',
        withdrawnOn: today,
        note: 'Told us they will not return from deferral (policy 2.3.8).',
        who: actor,
        at,
        details: { deferralCaseId: row.id, clause: '2.3.8' },
      });
      await tx.execute(
        sql`update staff_task set status = 'done', completed_at = ${at}
            where deferral_case_id = ${row.id} and status = 'open'`,
      );
      await queueDeferralDecision(
        tx,
        { id: row.id, enrolmentId: row.enrolment_id },
        { kind: 'not_returning' },
        { at, publicUrl, immediately: true },
      );
    }
    // The delivery partner is told either way (2.3.7: they make the contact).
    const who = (await recipientsOf(tx, [row.enrolment_id])).get(row.enrolment_id);
    if (who?.partnerEmail) {
      await queueNotices(
        tx,
        [
          {
            template: 'notice_intent_answer_partner',
            to: who.partnerEmail,
            key: `intent_answer_partner:${row.id}`,
            linkPath: `/cases/deferrals/${row.id}`,
            participantId: who.participantId,
            personalisation: {
              participant: who.name,
              programme: who.programme,
              answer: input.returning
                ? 'will return'
                : 'will not return and is withdrawn (policy 2.3.8)',
              answered_on: formatLongDate(today),
              restart: formatLongDate(restart),
              adjustments: adjustments ?? 'none asked for',
            },
          },
        ],
        { at, publicUrl },
      );
    }
    const after = await latestCase(tx, participantId);
    return { question: questionOf(after!, today), decision };
  });
}
