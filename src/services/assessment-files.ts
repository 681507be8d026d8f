import { randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import {
  checkSubmissionFile,
  safeFileName,
  SUBMISSION_CONTENT_TYPES,
  submissionReference,
  type SubmissionFileType,
} from '../domain/submission-files.js';
import { formatLongDate, londonDateOf } from '../policy/index.js';
import type { Actor } from './actor.js';
import { ASSESSORS, createSubmission, type ServiceDeps, type Tx } from './assessment.js';
import { audit } from './audit.js';
import { requireEnrolment } from './authorisation.js';
import { ConflictError, ForbiddenError, NotFoundError, ValidationError } from './errors.js';
import type { ObjectStore, StoredObject } from './storage/index.js';
import { postgresObjectStore } from './storage/postgres.js';

/**
 * Assessment submission files: the participant uploads a PDF or Word document inside their
 * window (2.2.1.5), may replace it until the window closes or it is marked, and the file is kept
 * with the enrolment and attempt. Files are stored as data in the object store and served only
 * to whoever marks it (the assessors assigned to the cohort or participant, the programme team,
 * admins), always as an attachment.
 */

export interface FileDeps extends ServiceDeps {
  objectStore?: ObjectStore | undefined;
}

export const storeOf = (deps: FileDeps): ObjectStore =>
  deps.objectStore ?? postgresObjectStore(deps.db);

export interface UploadResult {
  submissionId: number;
  reference: string;
  attemptNumber: number;
  replaced: boolean;
}

const fileError = (message: string) => new ValidationError([{ path: 'file', message }]);

/** The participant's upload (or staff's on their behalf): a new submission, or a replacement. */
export async function uploadSubmissionFile(
  deps: FileDeps,
  actor: Actor,
  input: { enrolmentId: number; fileName: string; bytes: Buffer },
): Promise<UploadResult> {
  const check = checkSubmissionFile(input.fileName, input.bytes);
  if (!check.ok) throw fileError(check.message);
  const store = storeOf(deps);
  const key = `assessment/${input.enrolmentId}/${randomUUID()}`;
  await store.put(key, input.bytes, SUBMISSION_CONTENT_TYPES[check.type]);
  const at = deps.clock.now();
  let result: UploadResult & { oldKey: string | null };
  try {
    result = await deps.db.transaction((tx) =>
      attachFile(tx, actor, input, { key, type: check.type }, at),
    );
  } catch (error) {
    await store.delete(key);
    throw error;
  }
  // The file it replaced is no longer kept (the submission keeps only its latest file).
  if (result.oldKey) await store.delete(result.oldKey);
  const { oldKey: _, ...answer } = result;
  return answer;
}

async function attachFile(
  tx: Tx,
  actor: Actor,
  input: { enrolmentId: number; fileName: string; bytes: Buffer },
  file: { key: string; type: SubmissionFileType },
  at: Date,
): Promise<UploadResult & { oldKey: string | null }> {
  await requireEnrolment(tx, actor, input.enrolmentId, 'write', { participantMayWrite: true });
  await tx.execute(sql`select id from enrolment where id = ${input.enrolmentId} for update`);
  const today = londonDateOf(at);
  // A submission in the window the enrolment is entered into can be replaced while it is open.
  const [current] = await queryRows<{
    id: number;
    attempt_number: number;
    file_key: string | null;
    first_outcome: string | null;
    outcome: string | null;
    closes_on: string;
  }>(
    tx,
    sql`select s.id, s.attempt_number, s.file_key, s.first_outcome, s.outcome, w.closes_on::text
        from assessment_submission s
        join assessment_entry ae on ae.enrolment_id = s.enrolment_id and ae.window_id = s.window_id
        join assessment_window w on w.id = s.window_id
        where s.enrolment_id = ${input.enrolmentId}`,
  );
  let submissionId: number;
  let attemptNumber: number;
  let oldKey: string | null = null;
  if (current) {
    if (today > current.closes_on)
      throw fileError(
        `Your assessment window closed on ${formatLongDate(current.closes_on)} (policy 2.2.1.5), so your submission can no longer be replaced`,
      );
    if (current.first_outcome !== null || current.outcome !== null)
      throw new ConflictError('Your submission is being marked, so it can no longer be replaced.');
    submissionId = current.id;
    attemptNumber = current.attempt_number;
    oldKey = current.file_key;
  } else {
    const created = await createSubmission(tx, actor, input.enrolmentId, at);
    submissionId = created.submission.id;
    attemptNumber = created.submission.attemptNumber;
  }
  await tx.execute(
    sql`update assessment_submission set file_key = ${file.key}, file_name = ${input.fileName.slice(0, 200)},
          file_type = ${file.type}, file_bytes = ${input.bytes.length}, file_uploaded_at = ${at},
          version = version + 1
        where id = ${submissionId}`,
  );
  await audit(tx, {
    what: current ? 'ASSESSMENT_FILE_REPLACED' : 'ASSESSMENT_FILE_UPLOADED',
    who: actor,
    subjectType: 'enrolment',
    subjectId: input.enrolmentId,
    details: { submissionId, attemptNumber, fileType: file.type, bytes: input.bytes.length },
    at,
  });
  return {
    submissionId,
    reference: submissionReference(submissionId),
    attemptNumber,
    replaced: current !== undefined,
    oldKey,
  };
}

export interface SubmissionFileInfo {
  submissionId: number;
  reference: string;
  fileName: string;
  fileType: SubmissionFileType;
  bytes: number;
  uploadedAt: string;
}

/** The participant's own files, by submission (names and sizes only; they get no download). */
export async function submissionFilesOf(
  deps: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
): Promise<Map<number, SubmissionFileInfo & { feedback: string | null }>> {
  await requireEnrolment(deps.db, actor, enrolmentId);
  const rows = await queryRows<{
    id: number;
    file_name: string;
    file_type: SubmissionFileType;
    file_bytes: number;
    file_uploaded_at: Date | string;
    feedback: string | null;
  }>(
    deps.db,
    sql`select id, file_name, file_type, file_bytes, file_uploaded_at, feedback
        from assessment_submission where enrolment_id = ${enrolmentId} and file_key is not null`,
  );
  return new Map(
    rows.map((r) => [
      r.id,
      {
        submissionId: r.id,
        reference: submissionReference(r.id),
        fileName: r.file_name,
        fileType: r.file_type,
        bytes: r.file_bytes,
        uploadedAt: new Date(r.file_uploaded_at).toISOString(),
        feedback: r.feedback,
      },
    ]),
  );
}

/**
 * Only those who mark may read a submission: assessors assigned to its cohort or participant,
 * the programme team and admins. Anyone who cannot see the enrolment is told it does not exist;
 * staff who can see it but do not mark are refused.
 */
export async function requireMarker(
  db: ServiceDeps['db'] | Tx,
  actor: Actor,
  submissionId: number,
): Promise<{ enrolmentId: number }> {
  const [row] = await queryRows<{ enrolment_id: number }>(
    db,
    sql`select enrolment_id from assessment_submission where id = ${submissionId}`,
  );
  if (!row) throw new NotFoundError('Submission not found');
  await requireEnrolment(db, actor, row.enrolment_id);
  if (!ASSESSORS.includes(actor.role))
    throw new ForbiddenError('Only assessors and the programme team can open submissions.');
  return { enrolmentId: row.enrolment_id };
}

/** The file to download, with a safe name; never shown inline. */
export async function openSubmissionFile(
  deps: FileDeps,
  actor: Actor,
  submissionId: number,
): Promise<{ object: StoredObject; downloadName: string; contentType: string }> {
  await requireMarker(deps.db, actor, submissionId);
  const [row] = await queryRows<{
    file_key: string | null;
    file_name: string | null;
    file_type: SubmissionFileType | null;
  }>(
    deps.db,
    sql`select file_key, file_name, file_type from assessment_submission where id = ${submissionId}`,
  );
  if (!row?.file_key || !row.file_type) throw new NotFoundError('No file was uploaded');
  const object = await storeOf(deps).get(row.file_key);
  if (!object) throw new NotFoundError('The file is missing from storage');
  return {
    object,
    downloadName: safeFileName(
      submissionReference(submissionId),
      row.file_name ?? '',
      row.file_type,
    ),
    contentType: SUBMISSION_CONTENT_TYPES[row.file_type],
  };
}

/** The enrolment's submissions that an assessor has started marking (no replacing them then). */
export async function submissionsBeingMarked(
  deps: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
): Promise<Set<number>> {
  await requireEnrolment(deps.db, actor, enrolmentId);
  const rows = await queryRows<{ id: number }>(
    deps.db,
    sql`select id from assessment_submission where enrolment_id = ${enrolmentId}
        and (first_outcome is not null or outcome is not null)`,
  );
  return new Set(rows.map((r) => r.id));
}
