import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import { DFE_WITHDRAWAL_REASONS, type DfeWithdrawalReason } from '../../domain/catalogue.js';
import {
  evaluateWithdrawal,
  isIsoDate,
  londonDateOf,
  type AssessmentCircumstanceKind,
  type Decision,
} from '../../policy/index.js';
import { registerInForce } from '../policy-register.js';
import type { Actor } from '../actor.js';
import { requestAssessmentDeferral } from '../assessment-deferrals.js';
import { audit } from '../audit.js';
import { requireEnrolment } from '../authorisation.js';
import { bookEvent, rebookBooking } from '../bookings.js';
import { requestDeferral } from '../deferral-cases.js';
import { ForbiddenError, NotFoundError, PolicyRefusalError, ValidationError } from '../errors.js';
import type { ServiceDeps } from '../participants.js';
import { recordSchoolMove } from '../school-moves.js';
import { recordWithdrawal } from '../withdrawals.js';

/**
 * Actions partner staff and the programme team take on a participant's behalf from the participant
 * record, after a phone call or an email: raise a deferral or an assessment deferral, record a
 * school move, book or change a clinic (with a part-time accommodation to book out of sequence,
 * 2.2.1.2), withdraw with a DfE reason (2.3.8). Each is the same use case the API and the
 * participant's own pages run, so the policy decides the same way whoever asks.
 *
 * Every action is previewed first: the policy's decision is shown on a check-answers page before
 * anything is recorded. The preview runs the very use case inside a transaction that is always
 * rolled back, so the decision shown is exactly the one confirming would make (no second copy of
 * the rules), and nothing of it is kept. Confirming runs the use case and, in the same transaction,
 * an audit event on the participant naming who acted for whom.
 */

export const STAFF_ACTIONS = [
  'deferral',
  'assessment-deferral',
  'school-move',
  'clinic',
  'withdrawal',
] as const;
export type StaffActionKind = (typeof STAFF_ACTIONS)[number];

export function isStaffAction(value: string): value is StaffActionKind {
  return (STAFF_ACTIONS as readonly string[]).includes(value);
}

export type StaffActionInput =
  | {
      kind: 'deferral';
      enrolmentId: number;
      circumstance: string;
      description: string;
      requestedOn: string;
    }
  | {
      kind: 'assessment-deferral';
      enrolmentId: number;
      circumstance: AssessmentCircumstanceKind;
      description: string;
    }
  | { kind: 'school-move'; enrolmentId: number; newSchoolUrn: string; movedOn: string }
  | { kind: 'clinic'; enrolmentId: number; cohortEventId: number; accommodationNote: string }
  | {
      kind: 'withdrawal';
      enrolmentId: number;
      reason: string;
      withdrawnOn: string;
      note: string;
    };

/** One decision of the policy, with what it is about, as shown on the check-answers page. */
export interface TitledDecision {
  title: string;
  decision: Decision;
}

export interface ActionPreview {
  /** Whether confirming would do what was asked (a refused deferral is still recorded, as declined). */
  allowed: boolean;
  decisions: TitledDecision[];
  /** What confirming will do, in a sentence. */
  consequence: string;
  /** The clause the consequence rests on: the page links it to the published policy. */
  consequenceClause?: string;
}

export interface ActionOutcome extends ActionPreview {
  subjectType: string;
  subjectId: number;
  /** Shown on the confirmation, e.g. "Deferral case 12". */
  reference: string;
}

const ACTORS: readonly Actor['role'][] = ['admin', 'programme_team', 'delivery_partner_staff'];

/** Whether this role may act for participants (pages show the actions only to them). */
export function mayActForParticipants(actor: Actor): boolean {
  return ACTORS.includes(actor.role);
}

type Deps = ServiceDeps;

/** The enrolment must be this participant's and one the actor may change. */
async function requireTarget(
  deps: Deps,
  actor: Actor,
  participantId: number,
  enrolmentId: number,
): Promise<void> {
  await requireEnrolment(deps.db, actor, enrolmentId);
  const [row] = await queryRows<{ participant_id: number }>(
    deps.db,
    sql`select participant_id from enrolment where id = ${enrolmentId}`,
  );
  if (row?.participant_id !== participantId) throw new NotFoundError('Enrolment not found');
  if (!mayActForParticipants(actor)) throw new ForbiddenError();
  await requireEnrolment(deps.db, actor, enrolmentId, 'write');
}

async function withdrawalDecision(
  deps: Deps,
  input: Extract<StaffActionInput, { kind: 'withdrawal' }>,
): Promise<Decision> {
  const errors = [];
  if (!(DFE_WITHDRAWAL_REASONS as readonly string[]).includes(input.reason)) {
    errors.push({ path: 'reason', message: 'Select the DfE withdrawal reason' });
  }
  if (!isIsoDate(input.withdrawnOn)) {
    errors.push({ path: 'withdrawnOn', message: 'Enter the date they withdrew' });
  }
  if (errors.length > 0) throw new ValidationError(errors);
  const [row] = await queryRows<{ status: string; open_case: boolean }>(
    deps.db,
    sql`select e.status, exists (select 1 from deferral_case d where d.enrolment_id = e.id
          and d.status in ('requested','discussed','approved','deferred','intent_contact_due','confirmed')) as open_case
        from enrolment e where e.id = ${input.enrolmentId}`,
  );
  return evaluateWithdrawal(
    {
      enrolmentStatus: row!.status as Parameters<typeof evaluateWithdrawal>[0]['enrolmentStatus'],
      reason: input.reason as DfeWithdrawalReason,
      withdrawnOn: input.withdrawnOn,
      today: londonDateOf(deps.clock.now()),
      openDeferralCase: row!.open_case,
    },
    await registerInForce(deps.db, londonDateOf(deps.clock.now())),
  );
}

/** Runs the use case for the action; called for real, or inside the rolled-back preview. */
async function perform(deps: Deps, actor: Actor, input: StaffActionInput): Promise<ActionOutcome> {
  switch (input.kind) {
    case 'deferral': {
      const c = await requestDeferral(deps, actor, input);
      const declined = c.status === 'declined';
      const d = c.decision;
      return {
        allowed: !declined,
        decisions: [
          ...(d ? [{ title: 'Deferral', decision: d.deferral }] : []),
          ...(d?.preWindow
            ? [{ title: 'Timing before the assessment', decision: d.preWindow }]
            : []),
          ...(d ? [{ title: 'Funding if they defer', decision: d.funding }] : []),
        ],
        consequence: declined
          ? 'The request is recorded as declined by the policy, with these reasons, so the options open to them can be discussed.'
          : 'A deferral case is opened in the deferrals queue, to be discussed and decided.',
        ...(declined ? { consequenceClause: '2.3.10' } : {}),
        subjectType: 'deferral_case',
        subjectId: c.id,
        reference: `Deferral case ${c.id}`,
      };
    }
    case 'assessment-deferral': {
      const c = await requestAssessmentDeferral(deps, actor, input);
      return {
        allowed: true,
        decisions: c.decision ? [{ title: 'Assessment deferral', decision: c.decision }] : [],
        consequence:
          'An assessment deferral case is opened; while it is open their attempt is protected.',
        consequenceClause: '2.5.4',
        subjectType: 'assessment_deferral_case',
        subjectId: c.id,
        reference: `Assessment deferral case ${c.id}`,
      };
    }
    case 'school-move': {
      const m = await recordSchoolMove(deps, actor, input);
      return {
        allowed: true,
        decisions: m.decision ? [{ title: 'School move', decision: m.decision }] : [],
        consequence: m.insideNetwork
          ? `Their school becomes ${m.toSchool.name} from the move date, and they continue with their cohort.`
          : `Their school becomes ${m.toSchool.name}, outside our network: a transfer case is opened.`,
        consequenceClause: m.insideNetwork ? '2.6.2' : '2.6.4',
        subjectType: 'school_move',
        subjectId: m.id,
        reference: `School move ${m.id}`,
      };
    }
    case 'clinic': {
      const note = input.accommodationNote.trim();
      const accommodation = note === '' ? undefined : { note };
      const [current] = await queryRows<{ id: number }>(
        deps.db,
        sql`select b.id from event_booking b join cohort_event ce on ce.id = b.cohort_event_id
            where b.enrolment_id = ${input.enrolmentId} and b.status = 'booked'
              and ce.activity_id = (select activity_id from cohort_event where id = ${input.cohortEventId})
              and b.cohort_event_id <> ${input.cohortEventId}`,
      );
      const result = current
        ? await rebookBooking(deps, actor, current.id, {
            cohortEventId: input.cohortEventId,
            accommodation,
          })
        : await bookEvent(deps, actor, {
            enrolmentId: input.enrolmentId,
            cohortEventId: input.cohortEventId,
            accommodation,
          });
      const byAccommodation =
        (result.decision.details as { allowedByAccommodation?: boolean }).allowedByAccommodation ===
        true;
      return {
        allowed: true,
        decisions: [{ title: 'Clinic booking', decision: result.decision }],
        consequence:
          (current
            ? 'Their booking moves to this date; the old place is released.'
            : 'They are booked on this date.') +
          (byAccommodation ? ' The accommodation is recorded with the booking.' : ''),
        ...(byAccommodation ? { consequenceClause: '2.2.1.2' } : {}),
        subjectType: 'event_booking',
        subjectId: result.booking.id,
        reference: `Booking ${result.booking.id}`,
      };
    }
    case 'withdrawal': {
      const decision = await withdrawalDecision(deps, input);
      if (decision.outcome !== 'allowed') throw new PolicyRefusalError(decision);
      const w = await recordWithdrawal(deps, actor, {
        enrolmentId: input.enrolmentId,
        reason: input.reason,
        withdrawnOn: input.withdrawnOn,
        note: input.note,
      });
      return {
        allowed: true,
        decisions: [{ title: 'Withdrawal', decision }],
        consequence:
          'The enrolment is withdrawn, and the DfE is told with this reason. They can no longer book or study.',
        subjectType: 'withdrawal',
        subjectId: w.id,
        reference: `Withdrawal ${w.id}`,
      };
    }
  }
}

/** Thrown to roll the preview's transaction back, carrying what the use case answered. */
class PreviewRollback extends Error {
  constructor(readonly outcome: ActionOutcome) {
    super('preview');
  }
}

/**
 * What the policy would decide if the action were confirmed now. Nothing is kept: the use case runs
 * in a transaction that is rolled back. A refusal comes back as a preview that is not allowed; form
 * mistakes (ValidationError) and conflicts are thrown as the use case threw them.
 */
export async function previewStaffAction(
  deps: Deps,
  actor: Actor,
  participantId: number,
  input: StaffActionInput,
): Promise<ActionPreview> {
  await requireTarget(deps, actor, participantId, input.enrolmentId);
  try {
    await deps.db.transaction(async (tx) => {
      throw new PreviewRollback(await perform({ ...deps, db: tx }, actor, input));
    });
  } catch (error) {
    if (error instanceof PreviewRollback) {
      const { allowed, decisions, consequence } = error.outcome;
      return { allowed, decisions, consequence };
    }
    if (error instanceof PolicyRefusalError) {
      return {
        allowed: false,
        decisions: [{ title: TITLES[input.kind], decision: error.decision }],
        consequence: 'The policy does not allow this, so it cannot be confirmed.',
      };
    }
    throw error;
  }
  /* c8 ignore next */
  throw new Error('unreachable: the preview transaction always rolls back');
}

const TITLES: Record<StaffActionKind, string> = {
  deferral: 'Deferral',
  'assessment-deferral': 'Assessment deferral',
  'school-move': 'School move',
  clinic: 'Clinic booking',
  withdrawal: 'Withdrawal',
};

/**
 * Does it: the use case, and in the same transaction the audit event on the participant that
 * records who acted for whom (actor and role, on behalf of the participant) and the decision.
 */
export async function confirmStaffAction(
  deps: Deps,
  actor: Actor,
  participantId: number,
  input: StaffActionInput,
): Promise<ActionOutcome> {
  await requireTarget(deps, actor, participantId, input.enrolmentId);
  const at = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    const outcome = await perform({ ...deps, db: tx }, actor, input);
    await audit(tx, {
      what: 'ACTED_FOR_PARTICIPANT',
      who: actor,
      subjectType: 'participant',
      subjectId: participantId,
      details: {
        action: input.kind,
        actorRole: actor.role,
        onBehalfOf: { participantId },
        enrolmentId: input.enrolmentId,
        subjectType: outcome.subjectType,
        subjectId: outcome.subjectId,
        outcomes: outcome.decisions.map((d) => ({
          title: d.title,
          outcome: d.decision.outcome,
          clauses: [...new Set(d.decision.reasons.map((r) => r.clause))],
        })),
      },
      at,
    });
    return outcome;
  });
}
