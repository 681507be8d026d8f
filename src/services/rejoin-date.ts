/**
 * 2.3.5: the re-join date is provisionally agreed when the deferral is approved (the plan's date).
 * Staff may agree another date with the participant, with a reason, within the new cohort's
 * timeline; the intent-to-return contact date (2.3.7) moves with it.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import {
  evaluateAgreedRejoinDate,
  evaluateIntentContact,
  isIsoDate,
  londonDateOf,
} from '../policy/index.js';
import { registerInForce } from './policy-register.js';
import type { Actor } from './actor.js';
import {
  caseAudit,
  caseFor,
  storedOf,
  updateCase,
  type DeferralCaseView,
  type StoredDeferralDecision,
} from './deferral-cases.js';
import { ValidationError } from './errors.js';
import type { ServiceDeps } from './participants.js';

export interface AgreeRejoinDateInput {
  rejoinOn: string;
  reason?: string | undefined;
  expectedVersion: number;
}

export async function agreeRejoinDate(
  { db, clock }: ServiceDeps,
  actor: Actor,
  caseId: number,
  input: AgreeRejoinDateInput,
): Promise<DeferralCaseView> {
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    // Who may act on the case first: someone who may not learn of it gets 403/404, not a field error.
    const row = await caseFor(tx, actor, caseId, input.expectedVersion, [
      'approved',
      'deferred',
      'intent_contact_due',
      'confirmed',
    ]);
    if (!isIsoDate(input.rejoinOn)) {
      throw new ValidationError([{ path: 'rejoinOn', message: 'Enter a real date' }]);
    }
    const plan = row.rejoinPlan as { rejoinOn?: string } | null;
    if (row.targetCohortId === null || !plan?.rejoinOn) {
      throw new ValidationError([{ path: 'rejoinOn', message: 'This case has no re-join plan' }]);
    }
    const [cohort] = await queryRows<{ name: string; start_date: string; deadline: string }>(
      tx,
      sql`select name, start_date::text, engagement_deadline::text as deadline
          from cohort where id = ${row.targetCohortId}`,
    );
    if (!cohort) throw new ValidationError([{ path: 'rejoinOn', message: 'No new cohort' }]);
    // The version in force today decides the date and the intent contact, and is stamped on both.
    const register = await registerInForce(tx, today);
    const decision = evaluateAgreedRejoinDate(
      {
        rejoinOn: input.rejoinOn,
        provisionalOn: plan.rejoinOn,
        cohortStartsOn: cohort.start_date,
        cohortDeadline: cohort.deadline,
        cohortName: cohort.name,
        reason: input.reason ?? '',
      },
      register,
    );
    if (decision.outcome !== 'allowed') {
      // The date and the reason are fields a person typed: say which one is wrong.
      const r = decision.reasons.find((x) => !x.met);
      throw new ValidationError([
        {
          path:
            r?.code === 'DEFERRAL.REJOIN_DATE_REASON_REQUIRED' ? 'rejoinDateReason' : 'rejoinOn',
          message: r?.message ?? 'Check the re-join date',
        },
      ]);
    }
    if (input.rejoinOn < today) {
      throw new ValidationError([
        { path: 'rejoinOn', message: 'The re-join date must be today or later' },
      ]);
    }
    const intentContactDueOn = evaluateIntentContact({ restartOn: input.rejoinOn, today }, register)
      .details.dueOn;
    const updated = await updateCase(
      tx,
      row,
      {
        rejoinDate: input.rejoinOn,
        rejoinDateReason: decision.details.changed ? (input.reason ?? '').trim() : null,
        intentContactDueOn,
        decision: {
          ...storedOf(row),
          agreedRejoinDate: decision,
        } satisfies StoredDeferralDecision,
      },
      at,
    );
    await tx.execute(
      sql`update staff_task set due_on = ${intentContactDueOn}::date
          where deferral_case_id = ${row.id} and kind = 'intent_contact' and status = 'open'`,
    );
    await caseAudit(tx, 'DEFERRAL_REJOIN_DATE_AGREED', actor, updated, at, {
      rejoinOn: input.rejoinOn,
      provisionalOn: plan.rejoinOn,
      reason: updated.rejoinDateReason,
      clause: '2.3.5',
    });
    return {
      ...updated,
      status: updated.status as DeferralCaseView['status'],
      decision: updated.decision as StoredDeferralDecision,
      alternativesOffered: updated.alternativesOffered as DeferralCaseView['alternativesOffered'],
    };
  });
}
