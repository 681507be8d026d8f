import { sql } from 'drizzle-orm';
import { arrayParam, queryRows, type Db } from '../db/client.js';
import { cohortEngagement } from '../db/queries/cohort-engagement.js';
import { loadEnrolmentFacts, type EnrolmentFacts } from '../db/queries/enrolment-facts.js';
import {
  applyAttemptEvent,
  evaluateAssessmentEligibility,
  evaluateAssessmentSubmission,
  evaluateEngagement,
  londonDateOf,
  type AssessmentWindow as PolicyWindow,
  type Decision,
  type EngagementSnapshot,
  type PolicyRegister,
} from '../policy/index.js';
import type { Clock } from '../clock.js';
import { SYSTEM, type Actor } from './actor.js';
import { audit } from './audit.js';
import { cohortVisibleTo, requireEnrolment } from './authorisation.js';
import { changeEnrolmentStatus } from './enrolment-status.js';
import { enrolmentStatusDecision } from '../policy/enrolment-status.js';
import { ConflictError, NotFoundError, PolicyRefusalError, ValidationError } from './errors.js';
import { registerInForce } from './policy-register.js';

/**
 * Assessment (policy 2.2.1.5, 2.5.1, 2.5.4): 8-day windows per cohort, submissions with attempt
 * numbers, outcomes from an assessor, and window-close processing. Attempts are counted on the
 * enrolment when a submission is made, so the attempt number is always attempts used + 1; the
 * window-close job then only has to count the attempts lost by not submitting.
 */

export interface ServiceDeps {
  db: Db;
  clock: Clock;
  /** config.publicUrl: links in the notices a change sends start with it. */
  publicUrl?: string | undefined;
}

export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];
type Executor = Pick<Db, 'execute'>;

/** Attempts each participant has under the version of the policy in force on `day` (2.5.1). */
export async function attemptsInForce(db: Executor, day: string): Promise<number> {
  return (await registerInForce(db, day)).parameters.assessmentAttempts;
}

export interface WindowRow {
  id: number;
  cohort_id: number;
  sequence_number: number;
  opens_on: string;
  closes_on: string;
}

export interface WindowView {
  id: number;
  cohortId: number;
  sequenceNumber: number;
  opensOn: string;
  closesOn: string;
  state: 'upcoming' | 'open' | 'closed';
}

export function windowView(w: WindowRow, today: string): WindowView {
  return {
    id: w.id,
    cohortId: w.cohort_id,
    sequenceNumber: w.sequence_number,
    opensOn: w.opens_on,
    closesOn: w.closes_on,
    state: today < w.opens_on ? 'upcoming' : today > w.closes_on ? 'closed' : 'open',
  };
}

const WINDOW_COLUMNS = sql`w.id, w.cohort_id, w.sequence_number, w.opens_on::text, w.closes_on::text`;

export async function loadWindow(db: Executor, windowId: number): Promise<WindowRow | null> {
  const [row] = await queryRows<WindowRow>(
    db,
    sql`select ${WINDOW_COLUMNS} from assessment_window w where w.id = ${windowId}`,
  );
  return row ?? null;
}

/**
 * The next window for the same programme after this one closes (2.5.2): the cohort's own next
 * window, or failing that the first window of a later cohort of the programme.
 */
export async function nextWindowAfter(db: Executor, windowId: number): Promise<WindowRow | null> {
  const [row] = await queryRows<WindowRow>(
    db,
    sql`select ${WINDOW_COLUMNS}
        from assessment_window cur
        join cohort c1 on c1.id = cur.cohort_id
        join cohort c2 on c2.programme_id = c1.programme_id and c2.lead_provider_id = c1.lead_provider_id
        join assessment_window w on w.cohort_id = c2.id
        where cur.id = ${windowId} and w.opens_on > cur.closes_on
        order by w.opens_on, w.id limit 1`,
  );
  return row ?? null;
}

/** The same lookup inside a set-based statement, for the window id in `windowIdColumn`. */
function nextWindowSql(windowIdColumn: string) {
  return sql`(select w2.id from assessment_window cur
             join cohort c1 on c1.id = cur.cohort_id
             join cohort c2 on c2.programme_id = c1.programme_id and c2.lead_provider_id = c1.lead_provider_id
             join assessment_window w2 on w2.cohort_id = c2.id
             where cur.id = ${sql.raw(windowIdColumn)} and w2.opens_on > cur.closes_on
             order by w2.opens_on, w2.id limit 1)`;
}

/** Everything the assessment rules need about one enrolment, as of `today`. */
export interface AssessmentContext {
  facts: EnrolmentFacts;
  today: string;
  attemptsUsed: number;
  attemptsRemaining: number;
  /** The window the enrolment is entered into, if any. */
  entryWindow: WindowRow | null;
  /** The entry window, or the one it would be entered into by default. */
  window: WindowRow | null;
  engagement: Decision;
  snapshot: EngagementSnapshot;
  policyWindow: PolicyWindow | null;
  eligibility: Decision<'allowed' | 'refused'> | null;
  /** The version of the policy in force on `today`: every decision about this context uses it. */
  register: PolicyRegister;
}

/**
 * Engagement is measured as it stood at the pre-communicated deadline (2.1.1, 2.5.1): activities
 * completed after it do not count towards sitting the assessment.
 */
export async function loadAssessmentContext(
  db: Executor,
  enrolmentId: number,
  today: string,
): Promise<AssessmentContext> {
  const facts = await loadEnrolmentFacts(db, enrolmentId);
  if (!facts) throw new NotFoundError('Enrolment not found');
  const deadline = facts.cohort.engagementDeadline;
  const byDeadline = await queryRows<{ activity_id: number }>(
    db,
    sql`select distinct activity_id from engagement_record
        where participant_id = ${facts.participant.id}
          and (occurred_at at time zone 'Europe/London')::date <= ${deadline}::date`,
  );
  // The version in force today decides (its threshold and attempts), and its decisions keep it.
  const register = await registerInForce(db, today);
  const engagement = evaluateEngagement(
    {
      course: facts.cohort.course,
      activities: facts.activities,
      completedActivityIds: byDeadline.map((r) => String(r.activity_id)),
      deadline,
      today,
    },
    register,
  );
  const snapshot = {
    completedWeight: engagement.details.completedWeight,
    totalWeight: engagement.details.totalWeight,
  };
  const attemptsUsed = facts.enrolment.assessmentAttemptsUsed;
  const attemptsRemaining = Math.max(0, register.parameters.assessmentAttempts - attemptsUsed);

  const [entryWindow] = await queryRows<WindowRow>(
    db,
    sql`select ${WINDOW_COLUMNS} from assessment_entry ae join assessment_window w on w.id = ae.window_id
        where ae.enrolment_id = ${enrolmentId}`,
  );
  // By default the cohort's first window; someone who has already used an attempt (e.g. imported
  // history) starts at the window for their next attempt, so a past window never claims them.
  const [defaultWindow] = entryWindow
    ? [undefined]
    : await queryRows<WindowRow>(
        db,
        sql`select ${WINDOW_COLUMNS} from assessment_window w where w.cohort_id = ${facts.cohort.id}
            order by (w.sequence_number = ${attemptsUsed + 1}) desc, w.sequence_number limit 1`,
      );
  const window = entryWindow ?? defaultWindow ?? null;
  const policyWindow = window
    ? { id: String(window.id), opensOn: window.opens_on, engagementDeadline: deadline }
    : null;
  const eligibility = policyWindow
    ? evaluateAssessmentEligibility(
        { window: policyWindow, engagementAtDeadline: snapshot, attemptsRemaining },
        register,
      )
    : null;
  return {
    facts,
    today,
    attemptsUsed,
    attemptsRemaining,
    entryWindow: entryWindow ?? null,
    window,
    engagement,
    snapshot,
    policyWindow,
    eligibility,
    register,
  };
}

/**
 * Enters an active, eligible enrolment into its default window the first time it is needed. Only
 * eligible participants are entered, so only they can lose an attempt at window close (2.5.4) or
 * ask for an assessment deferral (2.5.2).
 */
export async function ensureEntered(tx: Tx, ctx: AssessmentContext, at: Date): Promise<boolean> {
  if (ctx.entryWindow) return true;
  if (
    !ctx.window ||
    ctx.facts.enrolment.status !== 'active' ||
    ctx.eligibility?.outcome !== 'allowed'
  ) {
    return false;
  }
  const inserted = await queryRows<{ window_id: number }>(
    tx,
    sql`insert into assessment_entry (enrolment_id, window_id, updated_at)
        values (${ctx.facts.enrolment.id}, ${ctx.window.id}, ${at}) on conflict do nothing returning window_id`,
  );
  if (inserted.length > 0) {
    await audit(tx, {
      what: 'ASSESSMENT_WINDOW_ENTERED',
      who: SYSTEM,
      subjectType: 'enrolment',
      subjectId: ctx.facts.enrolment.id,
      details: { windowId: ctx.window.id, opensOn: ctx.window.opens_on },
      at,
    });
  }
  ctx.entryWindow = ctx.window;
  return true;
}

/** Moves an enrolment's entry to another window (a failed attempt, an approved deferral). */
export async function moveEntry(
  tx: Tx,
  enrolmentId: number,
  windowId: number,
  at: Date,
): Promise<void> {
  await tx.execute(
    sql`insert into assessment_entry (enrolment_id, window_id, updated_at) values (${enrolmentId}, ${windowId}, ${at})
        on conflict (enrolment_id) do update set window_id = excluded.window_id, updated_at = excluded.updated_at`,
  );
}

// ---------------------------------------------------------------------------------------------
// Reads

export async function listCohortWindows(
  { db, clock }: ServiceDeps,
  actor: Actor,
  cohortId: number,
): Promise<WindowView[]> {
  const visible = await queryRows<{ id: number }>(
    db,
    sql`select c.id from cohort c where c.id = ${cohortId} and (${cohortVisibleTo(actor)})`,
  );
  if (visible.length === 0) throw new NotFoundError('Cohort not found');
  const rows = await queryRows<WindowRow>(
    db,
    sql`select ${WINDOW_COLUMNS} from assessment_window w where w.cohort_id = ${cohortId} order by w.sequence_number`,
  );
  const today = londonDateOf(clock.now());
  return rows.map((w) => windowView(w, today));
}

export interface SubmissionView {
  id: number;
  enrolmentId: number;
  windowId: number;
  attemptNumber: number;
  submittedAt: string;
  outcome: 'passed' | 'failed' | null;
  assessedAt: string | null;
}

interface SubmissionRow {
  id: number;
  enrolment_id: number;
  window_id: number;
  attempt_number: number;
  submitted_at: Date | string;
  outcome: 'passed' | 'failed' | null;
  assessed_at: Date | string | null;
}

const iso = (v: Date | string) => new Date(v).toISOString();

function submissionView(r: SubmissionRow): SubmissionView {
  return {
    id: r.id,
    enrolmentId: r.enrolment_id,
    windowId: r.window_id,
    attemptNumber: r.attempt_number,
    submittedAt: iso(r.submitted_at),
    outcome: r.outcome,
    assessedAt: r.assessed_at === null ? null : iso(r.assessed_at),
  };
}

/**
 * Where a participant stands for the assessment: the window they are (or would be) entered into,
 * attempts left, and whether they may sit it, with the reasons (2.1.1, 2.2.1.5, 2.5.1).
 */
export async function getEnrolmentAssessment(
  { db, clock }: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
) {
  const today = londonDateOf(clock.now());
  return db.transaction(async (tx) => {
    await requireEnrolment(tx, actor, enrolmentId);
    const ctx = await loadAssessmentContext(tx, enrolmentId, today);
    // Reads never write: being entered into a window happens in the daily job (once it opens) or
    // on an explicit action (a submission, an assessment-deferral request), not on looking.
    const entered = ctx.entryWindow !== null;
    const next = ctx.window ? await nextWindowAfter(tx, ctx.window.id) : null;
    const submissions = await queryRows<SubmissionRow>(
      tx,
      sql`select id, enrolment_id, window_id, attempt_number, submitted_at, outcome, assessed_at
          from assessment_submission where enrolment_id = ${enrolmentId} order by attempt_number`,
    );
    const cases = await queryRows<{
      id: number;
      window_id: number;
      status: string;
      version: number;
    }>(
      tx,
      sql`select id, window_id, status, version from assessment_deferral_case
          where enrolment_id = ${enrolmentId} order by id`,
    );
    return {
      enrolmentId,
      enrolmentStatus: ctx.facts.enrolment.status,
      attemptsUsed: ctx.attemptsUsed,
      attemptsRemaining: ctx.attemptsRemaining,
      entered,
      window: ctx.window ? windowView(ctx.window, today) : null,
      nextWindow: next ? windowView(next, today) : null,
      eligibility: ctx.eligibility,
      engagementAtDeadline: ctx.engagement,
      submissions: submissions.map(submissionView),
      deferralCases: cases.map((c) => ({
        id: c.id,
        windowId: c.window_id,
        status: c.status,
        version: c.version,
      })),
      /** The version in force today, which decided the above: its numbers for the page's words. */
      register: ctx.register,
    };
  });
}

// ---------------------------------------------------------------------------------------------
// Submissions and outcomes

/**
 * A submission by the participant, or by staff on their behalf: only inside the window, only if
 * eligible, and one per window (2.2.1.5, 2.1.1, 2.5.1). It uses the next attempt.
 */
export async function submitAssessment(
  { db, clock }: ServiceDeps,
  actor: Actor,
  input: { enrolmentId: number },
): Promise<{ submission: SubmissionView; decision: Decision }> {
  const at = clock.now();
  return db.transaction((tx) => createSubmission(tx, actor, input.enrolmentId, at));
}

/** submitAssessment inside the caller's transaction (an upload creates the submission with its file). */
export async function createSubmission(
  tx: Tx,
  actor: Actor,
  enrolmentId: number,
  at: Date,
): Promise<{ submission: SubmissionView; decision: Decision }> {
  const today = londonDateOf(at);
  const input = { enrolmentId };
  {
    await requireEnrolment(tx, actor, input.enrolmentId, 'write', { participantMayWrite: true });
    // Serialises submissions for one enrolment, so two at once cannot take the same attempt.
    await tx.execute(sql`select id from enrolment where id = ${input.enrolmentId} for update`);
    const ctx = await loadAssessmentContext(tx, input.enrolmentId, today);
    const onProgramme = enrolmentStatusDecision(
      ctx.facts.enrolment.status,
      'submit_assessment',
      ctx.register,
    );
    if (onProgramme.outcome !== 'allowed') throw new PolicyRefusalError(onProgramme);
    if (!ctx.window || !ctx.policyWindow) {
      throw new ValidationError([
        { path: 'enrolmentId', message: 'No assessment window is scheduled for this cohort yet.' },
      ]);
    }
    const decision = evaluateAssessmentSubmission(
      {
        window: ctx.policyWindow,
        engagementAtDeadline: ctx.snapshot,
        attemptsRemaining: ctx.attemptsRemaining,
        submittedOn: today,
      },
      ctx.register,
    );
    if (decision.outcome !== 'allowed') throw new PolicyRefusalError(decision);
    await ensureEntered(tx, ctx, at);
    const window = ctx.window;
    const existing = await queryRows<{ id: number }>(
      tx,
      sql`select id from assessment_submission where enrolment_id = ${input.enrolmentId} and window_id = ${window.id}`,
    );
    if (existing.length > 0) {
      throw new ConflictError('An assessment has already been submitted in this window.');
    }
    const attemptNumber = ctx.attemptsUsed + 1;
    const [row] = await queryRows<SubmissionRow>(
      tx,
      sql`insert into assessment_submission (enrolment_id, window_id, attempt_number, submitted_at)
          values (${input.enrolmentId}, ${window.id}, ${attemptNumber}, ${at})
          returning id, enrolment_id, window_id, attempt_number, submitted_at, outcome, assessed_at`,
    );
    await tx.execute(
      sql`update enrolment set assessment_attempts_used = ${attemptNumber}, version = version + 1
          where id = ${input.enrolmentId}`,
    );
    await audit(tx, {
      what: 'ASSESSMENT_SUBMITTED',
      who: actor,
      subjectType: 'enrolment',
      subjectId: input.enrolmentId,
      details: { submissionId: row!.id, windowId: window.id, attemptNumber, decision },
      at,
    });
    return { submission: submissionView(row!), decision };
  }
}

/** Who may mark a submission they can see (assessors see only their cohorts and participants). */
export const ASSESSORS: readonly Actor['role'][] = ['admin', 'programme_team', 'assessor'];

export interface OutcomeResult {
  submission: SubmissionView;
  enrolmentStatus: string;
  attemptsRemaining: number;
  nextWindow: WindowView | null;
}

/**
 * The final outcome of a submission, inside the caller's transaction (marking, moderation).
 * Passed completes the enrolment; failed with no attempt left completes it as failed; failed with
 * an attempt left enters the participant into the programme's next window (2.5.1, 2.5.4).
 * Null when the submission already has a final outcome.
 */
export async function applyOutcome(
  tx: Tx,
  actor: Actor,
  submissionId: number,
  input: { outcome: 'passed' | 'failed'; feedback: string | null },
  at: Date,
): Promise<OutcomeResult | null> {
  const today = londonDateOf(at);
  const [row] = await queryRows<SubmissionRow>(
    tx,
    sql`update assessment_submission set outcome = ${input.outcome}, assessed_by = ${actor.userId}, assessed_at = ${at},
          feedback = ${input.feedback}, version = version + 1
        where id = ${submissionId} and outcome is null
        returning id, enrolment_id, window_id, attempt_number, submitted_at, outcome, assessed_at`,
  );
  if (!row) return null;
  const [enrolment] = await queryRows<{ assessment_attempts_used: number }>(
    tx,
    sql`select assessment_attempts_used from enrolment where id = ${row.enrolment_id}`,
  );
  const maxAttempts = await attemptsInForce(tx, today);
  const attemptsRemaining = Math.max(
    0,
    maxAttempts - (enrolment?.assessment_attempts_used ?? maxAttempts),
  );
  let nextWindow: WindowRow | null = null;
  let status: string;
  if (input.outcome === 'passed') {
    status = (
      await changeEnrolmentStatus(tx, {
        enrolmentId: row.enrolment_id,
        event: 'complete_passed',
        who: actor,
        at,
        details: { submissionId, attemptNumber: row.attempt_number },
      })
    ).to;
  } else if (attemptsRemaining === 0) {
    status = (
      await changeEnrolmentStatus(tx, {
        enrolmentId: row.enrolment_id,
        event: 'complete_failed',
        who: actor,
        at,
        details: { submissionId, attemptNumber: row.attempt_number },
      })
    ).to;
  } else {
    nextWindow = await nextWindowAfter(tx, row.window_id);
    if (nextWindow) await moveEntry(tx, row.enrolment_id, nextWindow.id, at);
    status = 'active';
  }
  await audit(tx, {
    what: 'ASSESSMENT_OUTCOME_RECORDED',
    who: actor,
    subjectType: 'enrolment',
    subjectId: row.enrolment_id,
    details: {
      submissionId,
      outcome: input.outcome,
      attemptNumber: row.attempt_number,
      attemptsRemaining,
      nextWindowId: nextWindow?.id ?? null,
    },
    at,
  });
  return {
    submission: submissionView(row),
    enrolmentStatus: status,
    attemptsRemaining,
    nextWindow: nextWindow ? windowView(nextWindow, today) : null,
  };
}

// ---------------------------------------------------------------------------------------------
// Window close (2.5.4)

type CloseResult = 'submitted' | 'protected' | 'attempt_lost';

/**
 * The decision stored for each (result, attempts used) pair, worked out by the policy once per run
 * so the SQL can stay set-based. Attempts used already includes a submission's own attempt.
 */
function closeDecisions(register: PolicyRegister): Record<string, Decision> {
  const out: Record<string, Decision> = {};
  const max = register.parameters.assessmentAttempts;
  for (let used = 0; used <= max; used++) {
    const remaining = max - used;
    if (used >= 1) {
      out[`submitted:${used}`] = applyAttemptEvent(
        { attemptsRemaining: remaining + 1, pendingRequest: false },
        { type: 'window_closed', submitted: true },
        register,
      );
    }
    const result: CloseResult[] = ['protected', 'attempt_lost'];
    for (const r of result) {
      out[`${r}:${used}`] = applyAttemptEvent(
        { attemptsRemaining: remaining, pendingRequest: r === 'protected' },
        { type: 'window_closed', submitted: false },
        register,
      );
    }
  }
  return out;
}

/**
 * The daily job's window-close step. For every window closed before `today`, each enrolment
 * entered in it and not yet processed gets a result: submitted; protected by a pending assessment
 * deferral (kept until decided, 2.5.2); or attempt lost (2.5.4), with the participant entered into
 * the programme's next window if they have an attempt left. One statement: the result table's key
 * makes it idempotent, and a concurrent run waits on that key and then inserts nothing.
 */
export async function closeDueAssessmentWindows(
  deps: { db: Db; clock: Clock },
  today?: string,
): Promise<{ processed: number; attemptsLost: number; protected: number }> {
  const at = deps.clock.now();
  const day = today ?? londonDateOf(at);
  return deps.db.transaction(async (tx) => {
    // The version in force on the day the windows are processed decides; each stored result keeps it.
    const register = await registerInForce(tx, day);
    const MAX_ATTEMPTS = register.parameters.assessmentAttempts;
    const decisions = JSON.stringify(closeDecisions(register));
    const rows = await queryRows<{ result: CloseResult; n: number }>(
      tx,
      sql`with cand as (
            select ae.enrolment_id, ae.window_id, e.assessment_attempts_used as used,
                   case when s.id is not null then 'submitted'
                        when exists (select 1 from assessment_deferral_case d
                                     where d.enrolment_id = ae.enrolment_id and d.window_id = ae.window_id
                                       and d.status in ('requested', 'evidence_requested', 'evidence_received'))
                          then 'protected'
                        else 'attempt_lost' end as result
            from assessment_entry ae
            join assessment_window w on w.id = ae.window_id and w.closes_on < ${day}::date
            join enrolment e on e.id = ae.enrolment_id
            left join assessment_submission s on s.enrolment_id = ae.enrolment_id and s.window_id = ae.window_id
            where (s.id is not null or e.status = 'active')
              and not exists (select 1 from assessment_window_result r
                              where r.enrolment_id = ae.enrolment_id and r.window_id = ae.window_id)
          ),
          ins as (
            insert into assessment_window_result (enrolment_id, window_id, result, decision, processed_at)
            select enrolment_id, window_id, result,
                   ${decisions}::jsonb -> (result || ':' || case when result = 'submitted' then greatest(used, 1) else used end),
                   ${at}
            from cand
            -- One key order for every run, so racing runs wait on each other instead of deadlocking.
            order by enrolment_id, window_id
            on conflict (enrolment_id, window_id) do nothing
            returning enrolment_id, window_id, result
          ),
          lost as (
            update enrolment e
            set assessment_attempts_used = least(e.assessment_attempts_used + 1, ${MAX_ATTEMPTS}),
                version = e.version + 1
            from ins where ins.enrolment_id = e.id and ins.result = 'attempt_lost'
            returning e.id, ins.window_id, e.assessment_attempts_used as used
          ),
          moved as (
            update assessment_entry ae
            set window_id = nxt.next_id, updated_at = ${at}
            from (select l.id, ${nextWindowSql('l.window_id')} as next_id from lost l where l.used < ${MAX_ATTEMPTS}) nxt
            where ae.enrolment_id = nxt.id and nxt.next_id is not null
            returning ae.enrolment_id, ae.window_id
          ),
          audited as (
            insert into audit_event (what, who, subject_type, subject_id, occurred_at, details)
            select 'ASSESSMENT_ATTEMPT_LOST', ${SYSTEM}, 'enrolment', l.id::text, ${at},
                   jsonb_build_object('windowId', l.window_id, 'attemptsUsed', l.used,
                                      'attemptsRemaining', ${MAX_ATTEMPTS} - l.used,
                                      'nextWindowId', m.window_id, 'clause', '2.5.4')
            from lost l left join moved m on m.enrolment_id = l.id
            returning id
          )
          -- Data-modifying CTEs always run to completion, read or not.
          select result, count(*)::int as n from ins group by result`,
    );
    const count = (r: CloseResult) => rows.find((x) => x.result === r)?.n ?? 0;
    return {
      processed: rows.reduce((sum, r) => sum + r.n, 0),
      attemptsLost: count('attempt_lost'),
      protected: count('protected'),
    };
  });
}

/**
 * 2.5.4 applies to everyone who may sit the assessment, not only to those who opened their
 * assessment page: while a window is open, every active enrolment of its cohort that met 90% by
 * the deadline and has an attempt left is entered into the window for its next attempt. Then a
 * silent non-submission loses the attempt at close, as the policy says.
 */
export async function enterEligibleIntoOpenWindows(
  tx: Tx,
  today: string,
  at: Date,
): Promise<number> {
  const cohorts = await queryRows<{ id: number; deadline: string }>(
    tx,
    sql`select distinct c.id, c.engagement_deadline::text as deadline
        from cohort c join assessment_window w on w.cohort_id = c.id
        where w.opens_on <= ${today}::date and w.closes_on >= ${today}::date
        order by c.id`,
  );
  let entered = 0;
  const register = await registerInForce(tx, today);
  const MAX_ATTEMPTS = register.parameters.assessmentAttempts;
  for (const cohort of cohorts) {
    const rows = await cohortEngagement(tx, {
      cohortId: cohort.id,
      today,
      register,
      completedBy: cohort.deadline,
      visibleTo: sql`e.status = 'active' and e.assessment_attempts_used < ${MAX_ATTEMPTS}
                     and not exists (select 1 from assessment_entry ae where ae.enrolment_id = e.id)`,
    });
    const eligible = rows.filter((r) => r.meetsThreshold).map((r) => r.enrolmentId);
    if (eligible.length === 0) continue;
    const inserted = await queryRows<{ enrolment_id: number; window_id: number }>(
      tx,
      sql`with target as (
            select e.id as enrolment_id,
                   (select w.id from assessment_window w where w.cohort_id = e.cohort_id
                    order by (w.sequence_number = e.assessment_attempts_used + 1) desc, w.sequence_number limit 1) as window_id
            from enrolment e where e.id = any(${arrayParam(eligible)}::int[])
          ), ins as (
            insert into assessment_entry (enrolment_id, window_id, updated_at)
            select t.enrolment_id, t.window_id, ${at} from target t
            join assessment_window w on w.id = t.window_id
            where w.opens_on <= ${today}::date and w.closes_on >= ${today}::date
            on conflict (enrolment_id) do nothing
            returning enrolment_id, window_id
          ), audited as (
            insert into audit_event (what, who, subject_type, subject_id, occurred_at, details)
            select 'ASSESSMENT_WINDOW_ENTERED', ${SYSTEM}, 'enrolment', enrolment_id::text, ${at},
                   jsonb_build_object('windowId', window_id, 'clause', '2.5.4')
            from ins returning id
          )
          select enrolment_id, window_id from ins`,
    );
    entered += inserted.length;
  }
  return entered;
}

/**
 * Someone with no attempts left and nothing awaiting an outcome has completed the programme
 * without passing. Rare on any one day, so each goes through the lifecycle state machine.
 */
export async function completeExhaustedAttempts(tx: Tx, at: Date): Promise<number> {
  const MAX_ATTEMPTS = await attemptsInForce(tx, londonDateOf(at));
  const exhausted = await queryRows<{ id: number }>(
    tx,
    sql`select e.id from enrolment e
        where e.status = 'active' and e.assessment_attempts_used >= ${MAX_ATTEMPTS}
          and not exists (select 1 from assessment_submission s where s.enrolment_id = e.id and s.outcome is null)
          and not exists (select 1 from assessment_submission s where s.enrolment_id = e.id and s.outcome = 'passed')
        order by e.id`,
  );
  for (const { id } of exhausted) {
    await changeEnrolmentStatus(tx, {
      enrolmentId: id,
      event: 'complete_failed',
      who: SYSTEM,
      at,
      details: { clause: '2.5.4', reason: 'No assessment attempts left' },
    });
  }
  return exhausted.length;
}
