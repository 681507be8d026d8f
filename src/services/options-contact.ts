/**
 * A deferral request the policy refused at once (2.3.2, 2.3.10) is decided by no one, so it becomes
 * a task for the participant's delivery partner: tell the participant their options. Staff close
 * it by recording when they made contact and what the participant chose (continue with their
 * cohort, withdraw, or something else, described). Withdrawing itself is its own action with its
 * own reasons and consequences (participant record, "Withdraw"); this records the choice.
 */
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import { isIsoDate, londonDateOf } from '../policy/index.js';
import { actorLabel, type Actor } from './actor.js';
import { audit } from './audit.js';
import { requireEnrolment } from './authorisation.js';
import { ConflictError, NotFoundError, ValidationError, type FieldError } from './errors.js';
import type { ServiceDeps } from './participants.js';

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
}

/** Checks what staff typed: a real day from the request to today, a choice, a note for "other". */
export function validateOptionsContact(
  input: OptionsContactInput,
  bounds: { requestedOn: string; today: string },
): { contactedOn: string; choice: OptionsChoice; note: string | null } {
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
  if (errors.length > 0 || !choice) throw new ValidationError(errors);
  return { contactedOn: input.contactedOn, choice, note };
}

/** Closes the task: the contact and the participant's choice are recorded and audited. */
export async function recordOptionsContact(
  { db, clock }: ServiceDeps,
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
    const checked = validateOptionsContact(input, { requestedOn: row.requested_on, today });
    const outcome: OptionsContactOutcome = { ...checked, by: actorLabel(actor) };
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
        clause: '2.3.10',
      },
      at,
    });
    return viewOf(done);
  });
}
