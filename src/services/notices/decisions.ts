/**
 * Every decision on a participant's requests (deferral, assessment deferral, school move, transfer)
 * is sent to them, in the transaction that makes it: the outcome, the reason that decided it, what
 * happens next and whom to contact, with a link to the page about it. Each decision is sent once
 * (its key names the case and the outcome).
 */
import type { Decision } from '../../policy/index.js';
import { formatLongDate, londonDateOf } from '../../policy/index.js';
import { queueDecisionNotice, type QueueOptions } from './queue.js';

type Executor = Parameters<typeof queueDecisionNotice>[0];

/** The reasons that decided a refusal (the unmet ones), in words with their clauses. */
export function decidingReasons(decision: Pick<Decision, 'reasons'> | null | undefined): string {
  const unmet = (decision?.reasons ?? []).filter((r) => !r.met);
  const shown = unmet.length > 0 ? unmet : (decision?.reasons ?? []);
  if (shown.length === 0) return 'See the details on the page.';
  return shown.map((r) => `${r.message} (policy ${r.clause})`).join(' ');
}

export type DeferralOutcome =
  | { kind: 'declined_by_policy'; decision: Decision }
  | { kind: 'approved'; targetCohort: string; rejoinOn: string; intentContactDueOn: string | null }
  | { kind: 'declined'; reason: string }
  | { kind: 'return_confirmed'; rejoinOn: string | null; adjustments: string | null }
  | { kind: 'not_returning' }
  /** Told their options after a refused request, they chose to withdraw (2.3.10, 2.3.8). */
  | { kind: 'withdrawn'; withdrawnOn: string }
  | {
      kind: 'started';
      targetCohort: string;
      rejoinOn: string | null;
      intentContactDueOn: string | null;
    }
  | {
      kind: 'resumed';
      targetCohort: string;
      rejoinAt: string | null;
      /** The old cohort's future bookings and coaching sessions cancelled on re-joining. */
      cancelled?: readonly { kind?: 'event' | 'coaching'; title: string; startsAt: string }[];
    };

/** The old cohort's bookings cancelled on re-joining, for the "welcome back" message. */
function cancelledText(
  cancelled: readonly { kind?: 'event' | 'coaching'; title: string; startsAt: string }[],
): string {
  if (cancelled.length === 0) return '';
  const list = cancelled
    .map(
      (c) =>
        `${c.kind === 'coaching' ? 'coaching: ' : ''}${c.title} on ${formatLongDate(londonDateOf(new Date(c.startsAt)))}`,
    )
    .join('; ');
  const events = cancelled.some((c) => c.kind !== 'coaching');
  const coaching = cancelled.some((c) => c.kind === 'coaching');
  const next = [
    ...(events ? ["Book your new cohort's clinics and events under Clinics and events."] : []),
    ...(coaching ? ['Coaching sessions can be booked again with your coach under Coaching.'] : []),
  ].join(' ');
  return ` Your ${cancelled.length === 1 ? 'booking' : `${cancelled.length} bookings`} with your previous cohort ${cancelled.length === 1 ? 'is' : 'are'} cancelled and removed from your calendar: ${list}. ${next}`;
}

/** A deferral request decided (2.3). */
export async function queueDeferralDecision(
  tx: Executor,
  c: { id: number; enrolmentId: number },
  outcome: DeferralOutcome,
  options: QueueOptions,
): Promise<number> {
  const base = { enrolmentId: c.enrolmentId, linkPath: '/changes' };
  const key = `decision:deferral:${c.id}:${outcome.kind}`;
  switch (outcome.kind) {
    case 'declined_by_policy':
      return queueDecisionNotice(
        tx,
        {
          ...base,
          key,
          request: 'Your request to defer',
          outcome: 'deferral is not possible',
          reason: decidingReasons(outcome.decision),
          nextSteps:
            'Your programme continues with your cohort. Your delivery partner will talk to you about the options open to you (policy 2.3.10).',
        },
        options,
      );
    case 'approved':
      return queueDecisionNotice(
        tx,
        {
          ...base,
          key,
          request: 'Your request to defer',
          outcome: 'approved',
          reason:
            'You and your delivery partner agreed that deferral is the right step (policy 2.3.5).',
          nextSteps: `You will re-join with ${outcome.targetCohort} on ${formatLongDate(outcome.rejoinOn)}, at the point you last engaged (policy 2.3.6).${outcome.intentContactDueOn ? ` By ${formatLongDate(outcome.intentContactDueOn)} we will ask you to confirm you are returning (policy 2.3.7).` : ''}`,
        },
        options,
      );
    case 'declined':
      return queueDecisionNotice(
        tx,
        {
          ...base,
          key,
          request: 'Your request to defer',
          outcome: 'declined',
          reason: outcome.reason,
          nextSteps:
            'Your programme continues with your cohort. If your circumstances change, talk to your delivery partner about the options open to you (policy 2.3.10).',
        },
        options,
      );
    case 'return_confirmed':
      return queueDecisionNotice(
        tx,
        {
          ...base,
          key,
          request: 'Your return from deferral',
          outcome: 'confirmed',
          reason: `You told us you will return${outcome.adjustments ? `, with these reasonable adjustments: ${outcome.adjustments}` : ''} (policy 2.3.7).`,
          nextSteps: outcome.rejoinOn
            ? `You re-join your new cohort on ${formatLongDate(outcome.rejoinOn)}.`
            : 'You re-join your new cohort on your restart date.',
        },
        options,
      );
    case 'not_returning':
      return queueDecisionNotice(
        tx,
        {
          ...base,
          key,
          request: 'Your return from deferral',
          outcome: 'you are withdrawn from the programme',
          reason: 'You told us you will not return to the programme (policy 2.3.8).',
          nextSteps:
            'You are classed as withdrawing and the NPQ Withdrawal policy applies. If this is a mistake, contact your delivery partner straight away.',
        },
        options,
      );
    case 'withdrawn':
      return queueDecisionNotice(
        tx,
        {
          ...base,
          key,
          request: 'Your request to defer',
          outcome: 'you are withdrawn from the programme',
          reason: `Deferral was not possible, and when your delivery partner told you your options you chose to withdraw, from ${formatLongDate(outcome.withdrawnOn)} (policy 2.3.10).`,
          nextSteps:
            'You are classed as withdrawing and the NPQ Withdrawal policy applies (policy 2.3.8). If this is a mistake, contact your delivery partner straight away.',
        },
        options,
      );
    case 'started':
      return queueDecisionNotice(
        tx,
        {
          ...base,
          key,
          request: 'Your deferral',
          outcome: 'it has started',
          reason:
            'The deferral you agreed with your delivery partner now takes effect, and counts as your deferral (policy 2.3.3).',
          nextSteps: `${outcome.rejoinOn ? `You re-join ${outcome.targetCohort} on ${formatLongDate(outcome.rejoinOn)}, at the point you last engaged (policy 2.3.6).` : `You re-join ${outcome.targetCohort} at the point you last engaged (policy 2.3.6).`} Until then everything already released stays open to you, and what you have done still counts.${outcome.intentContactDueOn ? ` By ${formatLongDate(outcome.intentContactDueOn)} we will ask you to confirm you are returning (policy 2.3.7); you can tell us sooner on the Changes page.` : ''}`,
        },
        options,
      );
    case 'resumed':
      return queueDecisionNotice(
        tx,
        {
          ...base,
          linkPath: '/my-programme',
          key,
          request: 'Your return from deferral',
          outcome: 'welcome back',
          reason: `You confirmed you would return and your restart date has come, so you are now in ${outcome.targetCohort} (policy 2.3.6).`,
          nextSteps: `${outcome.rejoinAt ? `Pick up from ${outcome.rejoinAt} on My programme.` : 'Pick up where you left off on My programme.'} Everything you did before your deferral still counts.${cancelledText(outcome.cancelled ?? [])}`,
        },
        options,
      );
  }
}

/** Staff ask for supporting evidence for an assessment deferral (2.5.2): what, and how to send it. */
export async function queueEvidenceRequest(
  tx: Executor,
  c: { id: number; enrolmentId: number; request: string },
  options: QueueOptions,
): Promise<number> {
  return queueDecisionNotice(
    tx,
    {
      enrolmentId: c.enrolmentId,
      linkPath: '/changes',
      key: `decision:assessment_deferral:${c.id}:evidence_requested`,
      request: 'Your request to defer your assessment',
      outcome: 'we need supporting evidence',
      reason: `Before we decide, we need: ${c.request} (policy 2.5.2).`,
      nextSteps:
        'Send the evidence to your delivery partner. While we wait for it your attempt is protected, even if the window closes (policy 2.5.4).',
    },
    options,
  );
}

/** An assessment deferral request decided (2.5.2). */
export async function queueAssessmentDeferralDecision(
  tx: Executor,
  c: { id: number; enrolmentId: number },
  outcome:
    | { kind: 'approved'; nextWindowOpens: string; nextWindowCloses: string }
    | {
        kind: 'declined';
        reasons: string;
        attemptLost: boolean;
        attemptsRemaining: number;
      },
  options: QueueOptions,
): Promise<number> {
  const common = {
    enrolmentId: c.enrolmentId,
    linkPath: '/assessment',
    key: `decision:assessment_deferral:${c.id}:${outcome.kind}`,
    request: 'Your request to defer your assessment',
  };
  if (outcome.kind === 'approved') {
    return queueDecisionNotice(
      tx,
      {
        ...common,
        outcome: 'approved',
        reason: 'Your circumstances meet the policy for deferring an assessment (policy 2.5.2).',
        nextSteps: `You keep this attempt. You are entered into the next window, ${formatLongDate(outcome.nextWindowOpens)} to ${formatLongDate(outcome.nextWindowCloses)}.`,
      },
      options,
    );
  }
  return queueDecisionNotice(
    tx,
    {
      ...common,
      outcome: 'declined',
      reason: outcome.reasons,
      nextSteps: outcome.attemptLost
        ? `The window closed without a submission, so this attempt counts (policy 2.5.4). You have ${outcome.attemptsRemaining} attempt${outcome.attemptsRemaining === 1 ? '' : 's'} left.`
        : 'Submit your assessment in the current window.',
    },
    options,
  );
}

/** A school move recorded and decided (2.6): continue inside the network, or a transfer opens. */
export async function queueSchoolMoveDecision(
  tx: Executor,
  move: { id: number; enrolmentId: number; insideNetwork: boolean; decision: Decision },
  options: QueueOptions,
): Promise<number> {
  return queueDecisionNotice(
    tx,
    {
      enrolmentId: move.enrolmentId,
      linkPath: '/changes',
      key: `decision:school_move:${move.id}`,
      request: 'Your school move',
      outcome: move.insideNetwork ? 'you continue your programme' : 'a transfer has been opened',
      reason: move.decision.reasons.map((r) => `${r.message} (policy ${r.clause})`).join(' '),
      nextSteps: move.insideNetwork
        ? 'Nothing changes in your programme: carry on as before.'
        : 'Your delivery partner will contact you about moving to a lead provider that serves your new school, and will ask your consent before sharing your record (policy 2.6).',
    },
    options,
  );
}

/** A transfer to another lead provider confirmed (2.6). */
export async function queueTransferDecision(
  tx: Executor,
  transfer: { id: number; enrolmentId: number; receivingLeadProvider: string | null },
  options: QueueOptions,
): Promise<number> {
  return queueDecisionNotice(
    tx,
    {
      enrolmentId: transfer.enrolmentId,
      linkPath: '/changes',
      key: `decision:transfer:${transfer.id}:confirmed`,
      request: 'Your transfer',
      outcome: 'confirmed',
      reason: `Your new school is outside our network, so your programme moves to ${transfer.receivingLeadProvider ?? 'another lead provider'} (policy 2.6).`,
      nextSteps: `${transfer.receivingLeadProvider ?? 'Your new lead provider'} will contact you to continue your programme. Your record of engagement goes with you.`,
    },
    options,
  );
}
