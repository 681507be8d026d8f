import { sql } from 'drizzle-orm';
import { arrayParam, queryRows } from '../db/client.js';
import { submissionReference } from '../domain/submission-files.js';
import { formatLongDate, londonDateOf } from '../policy/index.js';
import { actorLabel, type Actor } from './actor.js';
import {
  applyOutcome,
  ASSESSORS,
  attemptsInForce,
  type OutcomeResult,
  type ServiceDeps,
  type Tx,
} from './assessment.js';
import { requireMarker } from './assessment-files.js';
import { audit } from './audit.js';
import { ConflictError, ForbiddenError, ValidationError } from './errors.js';
import { queueNotices, recipientsOf } from './notices/queue.js';

/**
 * Marking and moderation. The first mark is final at once, unless the programme team sampled the
 * submission for second marking: then a different assessor marks it independently; if the two
 * agree that outcome is final, and if they disagree the programme team decides. Only the final
 * outcome changes the enrolment (applyOutcome: pass completes it, a fail moves the participant to
 * their second attempt or completes it as failed, 2.5) and tells the participant by email.
 */

export type Outcome = 'passed' | 'failed';
export type MarkingStage = 'awaiting_mark' | 'awaiting_second_mark' | 'disagreement' | 'final';

export interface MarkInput {
  outcome: Outcome;
  feedback: string;
}

interface MarkRow {
  id: number;
  enrolment_id: number;
  outcome: Outcome | null;
  first_outcome: Outcome | null;
  first_feedback: string | null;
  first_marked_by: number | null;
  second_outcome: Outcome | null;
  second_feedback: string | null;
  second_marked_by: number | null;
  sampled: boolean;
  version: number;
}

export function stageOf(
  r: Pick<MarkRow, 'outcome' | 'first_outcome' | 'second_outcome' | 'sampled'>,
): MarkingStage {
  if (r.outcome !== null) return 'final';
  if (r.first_outcome === null) return 'awaiting_mark';
  if (r.sampled && r.second_outcome === null) return 'awaiting_second_mark';
  return 'disagreement';
}

export interface MarkResult {
  stage: MarkingStage;
  /** Set when this mark made the outcome final. */
  final: OutcomeResult | null;
}

const FEEDBACK_MAX = 5000;

function checkMark(
  input: { outcome?: unknown; feedback?: unknown },
  feedbackRequired: boolean,
): MarkInput {
  const errors: { path: string; message: string }[] = [];
  if (input.outcome !== 'passed' && input.outcome !== 'failed')
    errors.push({
      path: 'outcome',
      message: 'Select whether the submission passed or did not pass',
    });
  const feedback = typeof input.feedback === 'string' ? input.feedback.trim() : '';
  if (feedbackRequired && feedback === '')
    errors.push({ path: 'feedback', message: 'Enter feedback for the participant' });
  if (feedback.length > FEEDBACK_MAX)
    errors.push({
      path: 'feedback',
      message: `Feedback must be ${FEEDBACK_MAX} characters or fewer`,
    });
  if (errors.length) throw new ValidationError(errors);
  return { outcome: input.outcome as Outcome, feedback };
}

/** Checks a marking form before its check-answers page. */
export const validateMark = (input: { outcome?: unknown; feedback?: unknown }) =>
  checkMark(input, true);

async function lockRow(tx: Tx, submissionId: number): Promise<MarkRow> {
  const [row] = await queryRows<MarkRow>(
    tx,
    sql`select id, enrolment_id, outcome, first_outcome, first_feedback, first_marked_by,
               second_outcome, second_feedback, second_marked_by,
               moderation_requested_at is not null as sampled, version
        from assessment_submission where id = ${submissionId} for update`,
  );
  return row!;
}

/**
 * An assessor's (or the programme team's) mark. `expectedVersion`, when given, refuses a form
 * made before someone else marked. The API's outcome route calls this without feedback.
 */
export async function markSubmission(
  deps: ServiceDeps,
  actor: Actor,
  submissionId: number,
  input: { outcome?: unknown; feedback?: unknown; expectedVersion?: number },
  options: { feedbackRequired?: boolean } = {},
): Promise<MarkResult> {
  const mark = checkMark(input, options.feedbackRequired ?? true);
  const at = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    await requireMarker(tx, actor, submissionId);
    const row = await lockRow(tx, submissionId);
    if (input.expectedVersion !== undefined && input.expectedVersion !== row.version)
      throw new ConflictError('Someone else has marked this submission since you opened it.');
    const stage = stageOf(row);
    if (stage === 'final')
      throw new ConflictError('An outcome has already been recorded for this submission.');
    if (stage === 'disagreement')
      throw new ConflictError(
        'Both marks are in and they differ: the programme team decides the outcome.',
      );
    const feedback = mark.feedback === '' ? null : mark.feedback;
    if (stage === 'awaiting_mark') {
      await tx.execute(
        sql`update assessment_submission set first_outcome = ${mark.outcome}, first_feedback = ${feedback},
              first_marked_by = ${actor.userId}, first_marked_at = ${at}, version = version + 1
            where id = ${submissionId}`,
      );
    } else {
      if (row.first_marked_by === actor.userId)
        throw new ConflictError(
          'You gave the first mark: the second mark must come from a different assessor.',
        );
      await tx.execute(
        sql`update assessment_submission set second_outcome = ${mark.outcome}, second_feedback = ${feedback},
              second_marked_by = ${actor.userId}, second_marked_at = ${at}, version = version + 1
            where id = ${submissionId}`,
      );
    }
    await audit(tx, {
      what: 'ASSESSMENT_MARKED',
      who: actor,
      subjectType: 'enrolment',
      subjectId: row.enrolment_id,
      details: {
        submissionId,
        mark: stage === 'awaiting_mark' ? 'first' : 'second',
        outcome: mark.outcome,
      },
      at,
    });
    // Final now: an unsampled first mark, or a second mark that agrees with the first.
    const agreed = stage === 'awaiting_second_mark' && row.first_outcome === mark.outcome;
    if ((stage === 'awaiting_mark' && !row.sampled) || agreed) {
      const finalFeedback = agreed ? (row.first_feedback ?? feedback) : feedback;
      const final = await finalise(tx, deps, actor, submissionId, mark.outcome, finalFeedback, at);
      return { stage: 'final', final };
    }
    return {
      stage: stage === 'awaiting_mark' ? 'awaiting_second_mark' : 'disagreement',
      final: null,
    };
  });
}

async function finalise(
  tx: Tx,
  deps: ServiceDeps,
  actor: Actor,
  submissionId: number,
  outcome: Outcome,
  feedback: string | null,
  at: Date,
): Promise<OutcomeResult> {
  const result = await applyOutcome(tx, actor, submissionId, { outcome, feedback }, at);
  if (!result) throw new ConflictError('An outcome has already been recorded for this submission.');
  const enrolmentId = result.submission.enrolmentId;
  const recipient = (await recipientsOf(tx, [enrolmentId])).get(enrolmentId);
  if (recipient) {
    const next =
      outcome === 'passed'
        ? 'You have completed your programme. Well done.'
        : result.enrolmentStatus === 'completed_failed'
          ? 'You have used both of your assessment attempts, so your programme is complete without a pass (policy 2.5.1).'
          : result.nextWindow
            ? `You have one more attempt (policy 2.5.1). Your next assessment window is ${formatLongDate(result.nextWindow.opensOn)} to ${formatLongDate(result.nextWindow.closesOn)}.`
            : 'You have one more attempt (policy 2.5.1). We will tell you when your next assessment window is set.';
    await queueNotices(
      tx,
      [
        {
          template: 'notice_assessment_outcome',
          to: recipient.email,
          key: `assessment_outcome:${submissionId}`,
          linkPath: '/assessment#feedback',
          participantId: recipient.participantId,
          personalisation: {
            name: recipient.name,
            programme: recipient.programme,
            reference: submissionReference(submissionId),
            outcome: outcome === 'passed' ? 'passed' : 'not passed',
            next_steps: next,
            contact: `${recipient.deliveryPartner}: ${recipient.contact}`,
          },
        },
      ],
      { at, publicUrl: deps.publicUrl },
    );
  }
  return result;
}

const requireProgrammeTeam = (actor: Actor) => {
  if (actor.role !== 'programme_team' && actor.role !== 'admin')
    throw new ForbiddenError('Only the programme team decides moderation.');
};

/** The programme team's final outcome when the two marks differ. */
export async function decideModeration(
  deps: ServiceDeps,
  actor: Actor,
  submissionId: number,
  input: { outcome?: unknown; feedback?: unknown },
): Promise<OutcomeResult> {
  const mark = checkMark(input, true);
  const at = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    await requireMarker(tx, actor, submissionId);
    requireProgrammeTeam(actor);
    const row = await lockRow(tx, submissionId);
    if (stageOf(row) !== 'disagreement')
      throw new ConflictError('Only a submission whose two marks differ waits for your decision.');
    await audit(tx, {
      what: 'ASSESSMENT_MODERATION_DECIDED',
      who: actor,
      subjectType: 'enrolment',
      subjectId: row.enrolment_id,
      details: {
        submissionId,
        outcome: mark.outcome,
        firstOutcome: row.first_outcome,
        secondOutcome: row.second_outcome,
      },
      at,
    });
    return finalise(tx, deps, actor, submissionId, mark.outcome, mark.feedback, at);
  });
}

/**
 * The programme team samples submissions for second marking: the ones chosen, or a percentage
 * (rounded up) of a cohort's unmarked ones. Only submissions nobody has marked yet can be
 * sampled, so the second mark is always independent. One statement, audited per submission.
 */
export async function sampleForModeration(
  deps: ServiceDeps,
  actor: Actor,
  input: { submissionIds?: number[]; cohortId?: number; percentage?: number },
): Promise<{ sampled: number }> {
  requireProgrammeTeam(actor);
  const ids = input.submissionIds ?? [];
  const pct = input.percentage;
  if (ids.length === 0 && pct === undefined)
    throw new ValidationError([
      { path: 'submissionIds', message: 'Select submissions, or give a percentage of a cohort' },
    ]);
  if (pct !== undefined && (!Number.isInteger(pct) || pct < 1 || pct > 100))
    throw new ValidationError([
      { path: 'percentage', message: 'Enter a whole-number percentage from 1 to 100' },
    ]);
  if (pct !== undefined && input.cohortId === undefined)
    throw new ValidationError([{ path: 'cohortId', message: 'Select the cohort to sample' }]);
  const at = deps.clock.now();
  const leadProvider =
    actor.role === 'admin' ? sql`true` : sql`c.lead_provider_id = ${actor.leadProviderId ?? -1}`;
  const chosen =
    pct === undefined ? sql`s.id = any(${arrayParam(ids)}::int[])` : sql`c.id = ${input.cohortId!}`;
  return deps.db.transaction(async (tx) => {
    const rows = await queryRows<{ id: number }>(
      tx,
      sql`with cand as (
            select s.id, e.id as enrolment_id,
                   row_number() over (order by md5(s.id::text || ${at.toISOString()})) as n,
                   count(*) over () as total
            from assessment_submission s join enrolment e on e.id = s.enrolment_id
            join cohort c on c.id = e.cohort_id
            where (${leadProvider}) and (${chosen}) and s.outcome is null and s.first_outcome is null
              and s.moderation_requested_at is null
          ), upd as (
            update assessment_submission s set moderation_requested_at = ${at},
              moderation_requested_by = ${actor.userId}, version = s.version + 1
            from cand where cand.id = s.id
              and (${pct === undefined ? sql`true` : sql`cand.n <= ceil(cand.total * ${pct}::numeric / 100)`})
            returning s.id, cand.enrolment_id
          ), audited as (
            insert into audit_event (what, who, subject_type, subject_id, occurred_at, details)
            select 'ASSESSMENT_SAMPLED_FOR_MODERATION', ${actorLabel(actor)}, 'enrolment', enrolment_id::text, ${at},
                   jsonb_build_object('submissionId', id)
            from upd returning id
          )
          select id from upd`,
    );
    if (rows.length === 0)
      throw new ValidationError([
        {
          path: pct === undefined ? 'submissionIds' : 'percentage',
          message:
            'None of those submissions can be sampled: only submissions nobody has marked yet can be',
        },
      ]);
    return { sampled: rows.length };
  });
}

export { ASSESSORS };

/**
 * The JSON API's outcome: a mark without required feedback. When the submission is sampled for
 * moderation the outcome is not final yet, and the enrolment is unchanged.
 */
export async function recordOutcome(
  deps: ServiceDeps,
  actor: Actor,
  submissionId: number,
  input: { outcome: Outcome; feedback?: string | undefined },
): Promise<OutcomeResult & { stage: MarkingStage }> {
  const result = await markSubmission(deps, actor, submissionId, input, {
    feedbackRequired: false,
  });
  if (result.final) return { ...result.final, stage: 'final' };
  const [row] = await queryRows<{
    id: number;
    enrolment_id: number;
    window_id: number;
    attempt_number: number;
    submitted_at: Date | string;
    status: string;
    used: number;
  }>(
    deps.db,
    sql`select s.id, s.enrolment_id, s.window_id, s.attempt_number, s.submitted_at, e.status,
               e.assessment_attempts_used as used
        from assessment_submission s join enrolment e on e.id = s.enrolment_id where s.id = ${submissionId}`,
  );
  const maxAttempts = await attemptsInForce(deps.db, londonDateOf(deps.clock.now()));
  return {
    stage: result.stage,
    submission: {
      id: row!.id,
      enrolmentId: row!.enrolment_id,
      windowId: row!.window_id,
      attemptNumber: row!.attempt_number,
      submittedAt: new Date(row!.submitted_at).toISOString(),
      outcome: null,
      assessedAt: null,
    },
    enrolmentStatus: row!.status,
    attemptsRemaining: Math.max(0, maxAttempts - row!.used),
    nextWindow: null,
  };
}
