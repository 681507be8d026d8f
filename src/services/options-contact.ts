/**
 * A deferral request the policy refused at once (2.3.2, 2.3.10) is decided by no one, so it becomes
 * a task for the participant's delivery partner: tell the participant their options. Staff close
 * it by recording when they made contact and what the participant chose (continue with their
 * cohort, withdraw, or something else, described).
 *
 * Choosing to withdraw withdraws them, in the transaction that closes the task: staff give the DfE
 * withdrawal reason, the policy is asked (2.3.8), and the withdrawal service records it, reports it
 * to the DfE through its outbox and the participant is told by email. So the task can never be
 * closed as "chose to withdraw" with the enrolment still on the programme: without a reason, or
 * when the policy refuses, nothing is written.
 */
import { registerInForce } from './policy-register.js';
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import {
  DFE_WITHDRAWAL_REASONS,
  type DfeWithdrawalReason,
  type EnrolmentStatus,
} from '../domain/catalogue.js';
import { evaluateWithdrawal, isIsoDate, londonDateOf } from '../policy/index.js';
import { actorLabel, type Actor } from './actor.js';
import { audit } from './audit.js';
import { requireEnrolment } from './authorisation.js';
import {
  ConflictError,
  NotFoundError,
  PolicyRefusalError,
  ValidationError,
  type FieldError,
} from './errors.js';
import { queueDeferralDecision } from './notices/decisions.js';
import type { ServiceDeps } from './participants.js';
import { isDfeWithdrawalReason, withdrawEnrolment, type Tx } from './withdrawals.js';

export const OPTIONS_CHOICES = ['continue', 'withdraw', 'other'] as const;
export type OptionsChoice = (typeof OPTIONS_CHOICES)[number];

export const OPTIONS_CHOICE_LABELS: Record<OptionsChoice, string> = {
  continue: 'Continue with their current cohort',
  withdraw: 'Withdraw from the programme',
  other: 'Something else',
};

export interface OptionsContactTask {
  id: number;
  deferralCaseId: number;
  enrolmentId: number;
  dueOn: string;
  status: 'open' | 'done';
  outcome: OptionsContactOutcome | null;
}

export interface OptionsContactOutcome {
  contactedOn: string;
  choice: OptionsChoice;
  note: string | null;
  by: string;
  /** For "withdraw": the DfE reason the withdrawal was recorded with, and the withdrawal. */
  withdrawalReason?: DfeWithdrawalReason;
  withdrawalId?: number;
}

interface TaskRow {
  id: number;
  deferral_case_id: number;
  enrolment_id: number;
  due_on: string;
  status: 'open' | 'done';
  outcome: OptionsContactOutcome | null;
  requested_on: string;
}

async function taskRow(
  db: Parameters<typeof queryRows>[0],
  caseId: number,
  lock: boolean,
): Promise<TaskRow | undefined> {
  const [row] = await queryRows<TaskRow>(
    db,
    sql`select t.id, t.deferral_case_id, t.enrolment_id, t.due_on::text, t.status, t.outcome,
               dc.requested_on::text
        from staff_task t join deferral_case dc on dc.id = t.deferral_case_id
        where t.kind = 'options_contact' and t.deferral_case_id = ${caseId}
        ${lock ? sql`for update of t` : sql``}`,
  );
  return row;
}

function viewOf(r: TaskRow): OptionsContactTask {
  return {
    id: r.id,
    deferralCaseId: r.deferral_case_id,
    enrolmentId: r.enrolment_id,
    dueOn: r.due_on,
    status: r.status,
    outcome: r.outcome,
  };
}

/** The case's options task, if the policy refused it at once; null otherwise. */
export async function optionsContactTask(
  { db }: ServiceDeps,
  actor: Actor,
  caseId: number,
): Promise<OptionsContactTask | null> {
  const row = await taskRow(db, caseId, false);
  if (!row) return null;
  await requireEnrolment(db, actor, row.enrolment_id);
  return viewOf(row);
}

export interface OptionsContactInput {
  contactedOn: string;
  choice: string;
  note?: string | undefined;
  /** Required for "withdraw" (and only then): one of the DfE withdrawal reasons. */
  withdrawalReason?: string | undefined;
}

interface CheckedContact {
  contactedOn: string;
  choice: OptionsChoice;
  note: string | null;
  withdrawalReason: DfeWithdrawalReason | null;
}

/**
 * Checks what staff typed: a real day from the request to today, a choice, a note for "other",
 * and a DfE withdrawal reason for "withdraw".
 */
export function validateOptionsContact(
  input: OptionsContactInput,
  bounds: { requestedOn: string; today: string },
): CheckedContact {
  const errors: FieldError[] = [];
  if (!isIsoDate(input.contactedOn)) {
    errors.push({ path: 'contactedOn', message: 'Enter the date you contacted the participant' });
  } else if (input.contactedOn < bounds.requestedOn) {
    errors.push({
      path: 'contactedOn',
      message: `The date you contacted the participant must be on or after their request, ${bounds.requestedOn}`,
    });
  } else if (input.contactedOn > bounds.today) {
    errors.push({
      path: 'contactedOn',
      message: 'The date you contacted the participant must be today or in the past',
    });
  }
  const choice = OPTIONS_CHOICES.find((c) => c === input.choice);
  if (!choice) errors.push({ path: 'choice', message: 'Select what the participant chose' });
  const note = input.note?.trim() || null;
  if (choice === 'other' && note === null) {
    errors.push({ path: 'note', message: 'Describe what the participant chose' });
  }
  const reason = input.withdrawalReason?.trim() ?? '';
  if (choice === 'withdraw' && !isDfeWithdrawalReason(reason)) {
    errors.push({ path: 'withdrawalReason', message: 'Select the DfE withdrawal reason' });
  } else if (choice !== undefined && choice !== 'withdraw' && reason !== '') {
    errors.push({
      path: 'withdrawalReason',
      message: 'Give a withdrawal reason only when the participant chose to withdraw',
    });
  }
  if (errors.length > 0 || !choice) throw new ValidationError(errors);
  return {
    contactedOn: input.contactedOn,
    choice,
    note,
    withdrawalReason: choice === 'withdraw' && isDfeWithdrawalReason(reason) ? reason : null,
  };
}

/** The reasons staff choose from, in the DfE's order. */
export const WITHDRAWAL_REASONS: readonly DfeWithdrawalReason[] = DFE_WITHDRAWAL_REASONS;

/**
 * Closes the task: the contact and the participant's choice are recorded and audited; a choice to
 * withdraw withdraws them (2.3.8), in the same transaction.
 */
export async function recordOptionsContact(
  { db, clock, publicUrl }: ServiceDeps,
  actor: Actor,
  caseId: number,
  input: OptionsContactInput,
): Promise<OptionsContactTask> {
  const at = clock.now();
  const today = londonDateOf(at);
  return db.transaction(async (tx) => {
    const row = await taskRow(tx, caseId, true);
    if (!row) throw new NotFoundError('No options task for this case');
    await requireEnrolment(tx, actor, row.enrolment_id, 'write');
    if (row.status !== 'open') {
      throw new ConflictError('The contact with the participant has already been recorded.');
    }
    const { withdrawalReason, ...checked } = validateOptionsContact(input, {
      requestedOn: row.requested_on,
      today,
    });
    const outcome: OptionsContactOutcome = { ...checked, by: actorLabel(actor) };
    if (withdrawalReason !== null) {
      outcome.withdrawalReason = withdrawalReason;
      outcome.withdrawalId = await withdrawOnChoice(tx, actor, row, {
        reason: withdrawalReason,
        withdrawnOn: checked.contactedOn,
        note: checked.note,
        today,
        at,
        publicUrl,
      });
    }
    const [done] = await queryRows<TaskRow>(
      tx,
      sql`update staff_task set status = 'done', completed_at = ${at},
            outcome = ${JSON.stringify(outcome)}::jsonb
          where id = ${row.id} and status = 'open'
          returning id, deferral_case_id, enrolment_id, due_on::text, status, outcome`,
    );
    if (!done) throw new ConflictError();
    await audit(tx, {
      what: 'DEFERRAL_OPTIONS_CONTACT_RECORDED',
      who: actor,
      subjectType: 'deferral_case',
      subjectId: caseId,
      details: {
        enrolmentId: row.enrolment_id,
        staffTaskId: row.id,
        contactedOn: outcome.contactedOn,
        choice: outcome.choice,
        withdrawalId: outcome.withdrawalId ?? null,
        clause: '2.3.10',
      },
      at,
    });
    return viewOf(done);
  });
}

/**
 * The participant chose to withdraw: the policy is asked as for any withdrawal staff record (the
 * enrolment must still be on the programme, 2.3.8), then the withdrawal service records it with
 * its DfE reason and reports it to the DfE; the participant is told by email. Returns its id.
 */
async function withdrawOnChoice(
  tx: Tx,
  actor: Actor,
  row: TaskRow,
  w: {
    reason: DfeWithdrawalReason;
    withdrawnOn: string;
    note: string | null;
    today: string;
    at: Date;
    publicUrl?: string | undefined;
  },
): Promise<number> {
  const [enrolment] = await queryRows<{ status: string; open_case: boolean }>(
    tx,
    sql`select e.status, exists (select 1 from deferral_case d where d.enrolment_id = e.id
          and d.status in ('requested','discussed','approved','deferred','intent_contact_due','confirmed')) as open_case
        from enrolment e where e.id = ${row.enrolment_id} for update of e`,
  );
  if (!enrolment) throw new NotFoundError('Enrolment not found');
  const decision = evaluateWithdrawal(
    {
      enrolmentStatus: enrolment.status as EnrolmentStatus,
      reason: w.reason,
      withdrawnOn: w.withdrawnOn,
      today: w.today,
      openDeferralCase: enrolment.open_case,
    },
    await registerInForce(tx, w.today),
  );
  if (decision.outcome !== 'allowed') throw new PolicyRefusalError(decision);
  const withdrawal = await withdrawEnrolment(tx, {
    enrolmentId: row.enrolment_id,
    reason: w.reason,
    withdrawnOn: w.withdrawnOn,
    note:
      w.note ??
      'Chose to withdraw when told their options after a refused deferral request (policy 2.3.10).',
    who: actor,
    at: w.at,
    details: { deferralCaseId: row.deferral_case_id, staffTaskId: row.id, clause: '2.3.10' },
  });
  await queueDeferralDecision(
    tx,
    { id: row.deferral_case_id, enrolmentId: row.enrolment_id },
    { kind: 'withdrawn', withdrawnOn: w.withdrawnOn },
    { at: w.at, publicUrl: w.publicUrl },
  );
  return withdrawal.id;
}
