import { sql } from 'drizzle-orm';
import { arrayParam, queryRows } from '../../db/client.js';
import { isConnectionError } from '../../db/connection-errors.js';
import { londonDateOf } from '../../policy/index.js';
import { actorLabel, loadActor, type Actor } from '../actor.js';
import { audit } from '../audit.js';
import { COPY_CHUNK, ingestEngagement } from '../engagement/ingest.js';
import { ENGAGEMENT_CSV_COLUMNS } from '../engagement/ingest-rows.js';
import { importParticipantRecords } from '../participant-import.js';
import type { ServiceDeps } from '../participants.js';
import { participantImportScope } from '../staff-dashboard.js';
import type { ImportKind } from './upload.js';

/**
 * Processing an uploaded import: its staged rows are read a page at a time and handed to the same
 * set-based, idempotent imports as the CLI and the JSON API (participants: importParticipantRecords;
 * engagement: ingestEngagement), as the member of staff who uploaded the file, with their scope.
 * Progress and counts are written to the job as it goes; refused rows go to import_error with
 * their line, column and message. The staged rows (personal data) are deleted at the end.
 *
 * A run interrupted by a crash is run again from its first row: both imports skip what is already
 * there, so nothing is doubled (rows added by the first run then count as "already there").
 */

export interface ImportProcessDeps extends ServiceDeps {
  /** config.publicUrl: participant invitations link to it. */
  publicUrl: string;
}

/**
 * Staged rows read per page, and given to the import at once: a participant import's page. An
 * engagement import reads pages of ingestEngagement's own chunk (COPY_CHUNK, 25,000 rows), so each
 * page is one staging COPY and one transaction.
 */
export const PROCESS_PAGE = 5_000;

interface StagedRow {
  line: number;
  record: Record<string, string> & { __problem?: { field: string; message: string } };
}

interface Counts {
  processed: number;
  added: number;
  enrolled: number;
  unchanged: number;
  invited: number;
  rejected: number;
}

/**
 * Runs one queued (or interrupted) import to its end. Returns false when the job was not there to
 * run (already finished, or still receiving its file).
 */
export async function processImportJob(deps: ImportProcessDeps, jobId: number): Promise<boolean> {
  const { db, clock } = deps;
  const [job] = await queryRows<{ id: number; kind: ImportKind; started_by_user_id: number }>(
    db,
    sql`update import_job set status = 'running', started_at = ${clock.now()}, rows_processed = 0, added = 0,
          enrolled = 0, unchanged = 0, invited = 0, rejected = 0, failure = null
        where id = ${jobId} and status in ('queued', 'running')
        returning id, kind, started_by_user_id`,
  );
  if (!job) return false;
  await db.execute(sql`delete from import_error where job_id = ${jobId}`);
  const counts: Counts = {
    processed: 0,
    added: 0,
    enrolled: 0,
    unchanged: 0,
    invited: 0,
    rejected: 0,
  };
  try {
    const actor = await loadActor(db, job.started_by_user_id);
    if (!actor) {
      await finish(deps, jobId, counts, 'failed', {
        failure:
          'The account that uploaded this file was deactivated before it was processed: nothing was imported.',
      });
      return true;
    }
    if (job.kind === 'engagement') await processEngagement(deps, actor, jobId, counts);
    else await processParticipants(deps, actor, jobId, counts);
    await finish(deps, jobId, counts, 'completed', { actor });
  } catch (error) {
    // A database that went away: leave the job running for the runner to retry from the start.
    if (isConnectionError(error)) throw error;
    await finish(deps, jobId, counts, 'failed', {
      failure: `The import stopped after ${counts.processed.toLocaleString('en-GB')} rows. Upload the file again: rows already imported are not added twice.`,
    });
    throw error;
  }
  return true;
}

async function* stagedPages(
  deps: ServiceDeps,
  jobId: number,
  pageSize = PROCESS_PAGE,
): AsyncGenerator<StagedRow[]> {
  let after = 0;
  for (;;) {
    const page = await queryRows<StagedRow>(
      deps.db,
      sql`select line, record from import_row where job_id = ${jobId} and line > ${after}
          order by line limit ${pageSize}`,
    );
    if (page.length === 0) return;
    after = page[page.length - 1]!.line;
    yield page.map((r) => ({
      line: r.line,
      record: typeof r.record === 'string' ? JSON.parse(r.record) : r.record,
    }));
  }
}

async function processEngagement(
  deps: ImportProcessDeps,
  actor: Actor,
  jobId: number,
  counts: Counts,
): Promise<void> {
  for await (const page of stagedPages(deps, jobId, COPY_CHUNK)) {
    const errors: { line: number; field: string; message: string }[] = [];
    const rows: Record<string, string>[] = [];
    const lines: number[] = [];
    for (const { line, record } of page) {
      if (record.__problem) {
        errors.push({ line, ...record.__problem });
        continue;
      }
      const out: Record<string, string> = {};
      for (const [field, column] of Object.entries(ENGAGEMENT_CSV_COLUMNS)) {
        const v = record[column];
        if (typeof v === 'string') out[field] = v.trim();
      }
      rows.push(out);
      lines.push(line);
    }
    const result = await ingestEngagement(deps, actor, rows, { format: 'csv', lines });
    for (const e of result.errors)
      errors.push({ line: e.line ?? 0, field: e.field, message: e.message });
    counts.processed += page.length;
    counts.added += result.inserted;
    counts.unchanged += result.duplicates;
    counts.rejected += new Set(errors.map((e) => e.line)).size;
    await saveProgress(deps, jobId, counts, errors);
  }
}

async function processParticipants(
  deps: ImportProcessDeps,
  actor: Actor,
  jobId: number,
  counts: Counts,
): Promise<void> {
  const problems: { line: number; field: string; message: string }[] = [];
  let processed = 0;
  async function* records() {
    for await (const page of stagedPages(deps, jobId)) {
      for (const { line, record } of page) {
        if (record.__problem) problems.push({ line, ...record.__problem });
        else yield { line, record };
      }
      processed += page.length;
    }
  }
  let progress: Promise<unknown> = Promise.resolve();
  const summary = await importParticipantRecords(deps.db, records(), {
    today: londonDateOf(deps.clock.now()),
    now: deps.clock.now(),
    publicUrl: deps.publicUrl,
    who: actorLabel(actor),
    ...(await participantImportScope(deps, actor)),
    onProgress: () => {
      const done = processed;
      progress = progress.then(() =>
        deps.db.execute(
          sql`update import_job set rows_processed = greatest(rows_processed, ${done}) where id = ${jobId}`,
        ),
      );
    },
  });
  await progress;
  counts.processed = processed;
  counts.added = summary.created;
  counts.enrolled = summary.enrolled;
  counts.unchanged = summary.unchanged;
  counts.invited = summary.invited;
  const errors = [...problems, ...summary.errors].sort((a, b) => a.line - b.line);
  counts.rejected = new Set(errors.map((e) => e.line)).size;
  for (let i = 0; i < errors.length; i += PROCESS_PAGE)
    await saveProgress(deps, jobId, counts, errors.slice(i, i + PROCESS_PAGE));
  if (errors.length === 0) await saveProgress(deps, jobId, counts, []);
}

/** The counts so far and a page of refused rows, set-based, in one transaction. */
async function saveProgress(
  { db }: ServiceDeps,
  jobId: number,
  counts: Counts,
  errors: readonly { line: number; field: string; message: string }[],
): Promise<void> {
  await db.transaction(async (tx) => {
    if (errors.length > 0)
      await tx.execute(sql`insert into import_error (job_id, line, field, message)
        select ${jobId}, u.line, u.field, u.message
        from unnest(${arrayParam(errors.map((e) => e.line))}::int[], ${arrayParam(errors.map((e) => e.field))}::text[],
                    ${arrayParam(errors.map((e) => e.message))}::text[]) as u(line, field, message)`);
    await tx.execute(sql`update import_job set rows_processed = ${counts.processed}, added = ${counts.added},
        enrolled = ${counts.enrolled}, unchanged = ${counts.unchanged}, invited = ${counts.invited},
        rejected = ${counts.rejected}
      where id = ${jobId}`);
  });
}

async function finish(
  { db, clock }: ServiceDeps,
  jobId: number,
  counts: Counts,
  status: 'completed' | 'failed',
  extra: { actor?: Actor; failure?: string },
): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`update import_job set status = ${status}, failure = ${extra.failure ?? null},
        finished_at = ${clock.now()}, rows_processed = ${counts.processed}
      where id = ${jobId}`);
    // Staged rows hold personal data: they go once processed, whatever the outcome.
    await tx.execute(sql`delete from import_row where job_id = ${jobId}`);
    if (extra.actor)
      await audit(tx, {
        what: 'IMPORT_PROCESSED',
        who: extra.actor,
        subjectType: 'import_job',
        subjectId: jobId,
        details: { status, ...counts },
        at: clock.now(),
      });
  });
}
