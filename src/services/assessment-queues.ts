import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import { submissionReference, type SubmissionFileType } from '../domain/submission-files.js';
import type { Actor } from './actor.js';
import type { ServiceDeps } from './assessment.js';
import { requireMarker } from './assessment-files.js';
import { stageOf, type MarkingStage, type Outcome } from './assessment-marking.js';
import { enrolmentVisibleTo } from './authorisation.js';
import { NotFoundError } from './errors.js';

/** Reads for marking: one submission as its marker sees it, and the programme team's moderation lists. */

export interface MarkView {
  outcome: Outcome;
  feedback: string | null;
  by: string;
  at: string;
}

export interface SubmissionForMarking {
  id: number;
  reference: string;
  version: number;
  participantName: string;
  participantId: number;
  cohortName: string;
  windowNumber: number;
  windowOpensOn: string;
  windowClosesOn: string;
  attemptNumber: number;
  submittedAt: string;
  file: { name: string; type: SubmissionFileType; bytes: number; uploadedAt: string } | null;
  sampled: boolean;
  stage: MarkingStage;
  outcome: Outcome | null;
  feedback: string | null;
  /** Marks this person may see: their own; all of them for the programme team or once final. */
  firstMark: MarkView | null;
  secondMark: MarkView | null;
  canMark: boolean;
  /** Which mark this person would give. */
  markKind: 'first' | 'second' | null;
  canDecide: boolean;
}

const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());

interface Row {
  id: number;
  version: number;
  participant_name: string;
  participant_id: number;
  cohort_name: string;
  window_number: number;
  opens_on: string;
  closes_on: string;
  attempt_number: number;
  submitted_at: Date | string;
  file_name: string | null;
  file_type: SubmissionFileType | null;
  file_bytes: number | null;
  file_uploaded_at: Date | string | null;
  sampled: boolean;
  outcome: Outcome | null;
  feedback: string | null;
  first_outcome: Outcome | null;
  first_feedback: string | null;
  first_marked_by: number | null;
  first_by: string | null;
  first_marked_at: Date | string | null;
  second_outcome: Outcome | null;
  second_feedback: string | null;
  second_marked_by: number | null;
  second_by: string | null;
  second_marked_at: Date | string | null;
}

export async function submissionForMarking(
  deps: ServiceDeps,
  actor: Actor,
  submissionId: number,
): Promise<SubmissionForMarking> {
  await requireMarker(deps.db, actor, submissionId);
  const [r] = await queryRows<Row>(
    deps.db,
    sql`select s.id, s.version, p.full_name as participant_name, p.id as participant_id,
               c.name as cohort_name, w.sequence_number as window_number, w.opens_on::text, w.closes_on::text,
               s.attempt_number, s.submitted_at, s.file_name, s.file_type, s.file_bytes, s.file_uploaded_at,
               s.moderation_requested_at is not null as sampled, s.outcome, s.feedback,
               s.first_outcome, s.first_feedback, s.first_marked_by, u1.display_name as first_by, s.first_marked_at,
               s.second_outcome, s.second_feedback, s.second_marked_by, u2.display_name as second_by, s.second_marked_at
        from assessment_submission s join enrolment e on e.id = s.enrolment_id
        join participant p on p.id = e.participant_id join cohort c on c.id = e.cohort_id
        join assessment_window w on w.id = s.window_id
        left join app_user u1 on u1.id = s.first_marked_by
        left join app_user u2 on u2.id = s.second_marked_by
        where s.id = ${submissionId}`,
  );
  if (!r) throw new NotFoundError('Submission not found');
  const stage = stageOf(r);
  const team = actor.role === 'programme_team' || actor.role === 'admin';
  const seeAll = team || stage === 'final';
  const mark = (
    outcome: Outcome | null,
    feedback: string | null,
    byId: number | null,
    by: string | null,
    at: Date | string | null,
  ): MarkView | null =>
    outcome !== null && (seeAll || byId === actor.userId)
      ? { outcome, feedback, by: by ?? 'Unknown', at: iso(at)! }
      : null;
  const markKind =
    stage === 'awaiting_mark'
      ? 'first'
      : stage === 'awaiting_second_mark' && r.first_marked_by !== actor.userId
        ? 'second'
        : null;
  return {
    id: r.id,
    reference: submissionReference(r.id),
    version: r.version,
    participantName: r.participant_name,
    participantId: r.participant_id,
    cohortName: r.cohort_name,
    windowNumber: r.window_number,
    windowOpensOn: r.opens_on,
    windowClosesOn: r.closes_on,
    attemptNumber: r.attempt_number,
    submittedAt: iso(r.submitted_at)!,
    file:
      r.file_name !== null && r.file_type !== null
        ? {
            name: r.file_name,
            type: r.file_type,
            bytes: r.file_bytes ?? 0,
            uploadedAt: iso(r.file_uploaded_at)!,
          }
        : null,
    sampled: r.sampled,
    stage,
    outcome: r.outcome,
    feedback: r.feedback,
    firstMark: mark(
      r.first_outcome,
      r.first_feedback,
      r.first_marked_by,
      r.first_by,
      r.first_marked_at,
    ),
    secondMark: mark(
      r.second_outcome,
      r.second_feedback,
      r.second_marked_by,
      r.second_by,
      r.second_marked_at,
    ),
    canMark: markKind !== null,
    markKind,
    canDecide: team && stage === 'disagreement',
  };
}

export interface QueueItem {
  id: number;
  reference: string;
  participantName: string;
  cohortName: string;
  attemptNumber: number;
  submittedAt: string;
  hasFile: boolean;
  stage: MarkingStage;
  firstOutcome: Outcome | null;
  secondOutcome: Outcome | null;
}

const QUEUE_COLUMNS = sql`s.id, p.full_name as "participantName", c.name as "cohortName",
  s.attempt_number as "attemptNumber", s.submitted_at as "submittedAt", s.file_key is not null as "hasFile",
  s.outcome, s.first_outcome as "firstOutcome", s.second_outcome as "secondOutcome",
  s.moderation_requested_at is not null as sampled`;

type QueueRow = Omit<QueueItem, 'reference' | 'stage' | 'submittedAt'> & {
  submittedAt: Date | string;
  outcome: Outcome | null;
  sampled: boolean;
};

const item = (r: QueueRow): QueueItem => ({
  id: r.id,
  reference: submissionReference(r.id),
  participantName: r.participantName,
  cohortName: r.cohortName,
  attemptNumber: r.attemptNumber,
  submittedAt: iso(r.submittedAt)!,
  hasFile: r.hasFile,
  stage: stageOf({
    outcome: r.outcome,
    first_outcome: r.firstOutcome,
    second_outcome: r.secondOutcome,
    sampled: r.sampled,
  }),
  firstOutcome: r.firstOutcome,
  secondOutcome: r.secondOutcome,
});

/**
 * What this assessor has to mark, oldest first: unmarked submissions of their cohorts and
 * participants, and sampled ones another assessor marked first (second marking).
 */
export async function markingQueue(deps: ServiceDeps, actor: Actor): Promise<QueueItem[]> {
  if (actor.role !== 'assessor') throw new NotFoundError('Marking');
  const rows = await queryRows<QueueRow>(
    deps.db,
    sql`select ${QUEUE_COLUMNS}
        from assessment_submission s join enrolment e on e.id = s.enrolment_id
        join cohort c on c.id = e.cohort_id join participant p on p.id = e.participant_id
        where (${enrolmentVisibleTo(actor)}) and s.outcome is null
          and (s.first_outcome is null
               or (s.moderation_requested_at is not null and s.second_outcome is null
                   and s.first_marked_by <> ${actor.userId}))
        order by s.submitted_at, s.id
        limit 200`,
  );
  return rows.map(item);
}

export interface ModerationOverview {
  cohorts: { id: number; name: string; unmarked: number }[];
  candidates: QueueItem[];
  sampled: QueueItem[];
  disagreements: QueueItem[];
}

/** The programme team's moderation page: what can be sampled, what is sampled, what disagrees. */
export async function moderationOverview(
  deps: ServiceDeps,
  actor: Actor,
): Promise<ModerationOverview> {
  if (actor.role !== 'programme_team' && actor.role !== 'admin')
    throw new NotFoundError('Moderation');
  const rows = await queryRows<QueueRow & { cohortId: number }>(
    deps.db,
    sql`select ${QUEUE_COLUMNS}, c.id as "cohortId"
        from assessment_submission s join enrolment e on e.id = s.enrolment_id
        join cohort c on c.id = e.cohort_id join participant p on p.id = e.participant_id
        where (${enrolmentVisibleTo(actor)}) and s.outcome is null
        order by s.submitted_at, s.id
        limit 1000`,
  );
  const items = rows.map((r) => ({ ...item(r), cohortId: r.cohortId, sampled: r.sampled }));
  const candidates = items.filter((i) => i.stage === 'awaiting_mark' && !i.sampled);
  const cohorts = new Map<number, { id: number; name: string; unmarked: number }>();
  for (const c of candidates) {
    const entry = cohorts.get(c.cohortId) ?? { id: c.cohortId, name: c.cohortName, unmarked: 0 };
    entry.unmarked += 1;
    cohorts.set(c.cohortId, entry);
  }
  const strip = ({ cohortId: _c, sampled: _s, ...i }: (typeof items)[number]): QueueItem => i;
  return {
    cohorts: [...cohorts.values()],
    candidates: candidates.map(strip),
    sampled: items.filter((i) => i.sampled && i.stage !== 'disagreement').map(strip),
    disagreements: items.filter((i) => i.stage === 'disagreement').map(strip),
  };
}
