import { parse } from 'csv-parse/sync';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../db/client.js';
import { copyCell, copyText } from '../../db/copy.js';
import type { Role } from '../../domain/catalogue.js';
import type { Actor } from '../actor.js';
import { audit } from '../audit.js';
import { enrolmentVisibleTo } from '../authorisation.js';
import type { Tx } from '../bookings.js';
import { commenceDueInBulk } from '../commencement.js';
import { ForbiddenError, ValidationError } from '../errors.js';
import type { ServiceDeps } from '../participants.js';
import {
  checkRow,
  ENGAGEMENT_CSV_COLUMNS,
  type IngestFieldError,
  type IngestResult,
  type ValidRow,
} from './ingest-rows.js';

/** Roles that may feed engagement in bulk; a delivery partner only for its own participants. */
const INGEST_ROLES: readonly Role[] = ['admin', 'programme_team', 'delivery_partner_staff'];
/** Rows per staging COPY and transaction in ingestEngagement (the import runner's page, too). */
export const COPY_CHUNK = 25_000;

export function requireIngestRole(actor: Actor): void {
  if (!INGEST_ROLES.includes(actor.role)) {
    throw new ForbiddenError(
      'Only delivery partner staff, the programme team and admins can load engagement records.',
    );
  }
}

/** The staging table a chunk is copied into; dropped when its transaction ends. */
const STAGE = 'engagement_ingest_stage';
const STAGE_COLUMNS = `${STAGE} (idx, ref_by, ref_key, activity_id, kind, at_ms, source, source_event_id)`;

/**
 * The chunk as COPY text, one line a row: its position, who (trn, email or id, and the key), the
 * evidence. Kind and source are from fixed lists and the numbers are digits, so only the key and
 * the source event id can need escaping.
 */
function stageText(chunk: readonly ValidRow[]): string {
  let out = '';
  for (const v of chunk) {
    out += `${v.index}\t${v.ref.by}\t${copyCell(v.ref.key)}\t${v.activityId}\t${v.kind ?? '\\N'}\t${v.occurredAt.getTime()}\t${v.source}\t${copyCell(v.sourceEventId)}\n`;
  }
  return out;
}

interface ChunkOutcome {
  inserted: number;
  /** Rows of the chunk that passed every check (inserted or already recorded). */
  landed: ValidRow[];
  errors: IngestFieldError[];
}

/**
 * One chunk in one transaction: COPY into a temporary staging table, then one statement that
 * resolves each row's participant (TRN, email or id), checks the actor may see them, that the
 * activity is on their programme and of the kind given, and inserts the rows that pass with
 * `on conflict do nothing` (in the batch's order, so of two rows with one source event id the
 * first lands). It returns the rows that failed, with their reason, and who got evidence.
 */
async function landChunk(
  tx: Tx,
  actor: Actor,
  chunk: readonly ValidRow[],
  now: Date,
): Promise<ChunkOutcome & { participantIds: number[] }> {
  await tx.execute(
    sql.raw(`create temporary table ${STAGE} (
      idx int not null, ref_by text not null, ref_key text collate "C" not null, activity_id int not null,
      kind text, at_ms int8 not null, source text not null, source_event_id text not null
    ) on commit drop`),
  );
  await copyText(tx, STAGE_COLUMNS, stageText(chunk));
  // Its size and spread, so the statement below joins by hashing instead of sorting.
  await tx.execute(sql.raw(`analyze ${STAGE} (ref_by, ref_key, activity_id)`));
  const stage = sql.raw(STAGE);
  const [out] = await queryRows<{
    inserted: number;
    participants: number[];
    problems: [number, 'participant' | 'activityId' | 'kind', string | null, string | null][];
  }>(
    tx,
    sql`with who as (
          -- Each participant named, looked up once (an index probe) however many rows name them.
          select k.ref_by, k.ref_key,
                 case k.ref_by
                   when 'trn' then (select p.id from participant p where p.trn = k.ref_key)
                   when 'email' then (select p.id from participant p where lower(p.email) = k.ref_key)
                   else (select p.id from participant p where p.id = k.ref_key::int)
                 end as participant_id
          from (select distinct ref_by, ref_key from ${stage}) k
        ), res as (
          select s.idx, s.activity_id, s.kind, s.at_ms, s.source, s.source_event_id, w.participant_id
          from ${stage} s join who w on w.ref_by = s.ref_by and w.ref_key = s.ref_key
        ), scope as materialized (
          -- Programmes each participant is enrolled on, as far as the actor may see.
          select distinct e.participant_id, c.programme_id
          from enrolment e join cohort c on c.id = e.cohort_id
          where e.participant_id in (select participant_id from who) and (${enrolmentVisibleTo(actor)})
        ), checked as materialized (
          select res.*, a.kind as activity_kind,
                 case when seen.participant_id is null then 'participant'
                      when onp.participant_id is null then 'activityId'
                      when res.kind is not null and res.kind <> a.kind then 'kind'
                 end as problem
          from res
          left join (select distinct participant_id from scope) seen on seen.participant_id = res.participant_id
          left join programme_activity a on a.id = res.activity_id
          left join scope onp on onp.participant_id = res.participant_id and onp.programme_id = a.programme_id
        ), ins as (
          insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id, recorded_at)
          -- float8 milliseconds / 1000 is the double insertRecords sends for the same Date, so the
          -- same instant is stored.
          select participant_id, activity_id, activity_kind, to_timestamp(at_ms::float8 / 1000), source, source_event_id, ${now}
          from checked where problem is null
          order by idx
          on conflict (source, source_event_id) do nothing
          returning 1
        )
        select (select count(*)::int from ins) as inserted,
               (select coalesce(array_agg(distinct participant_id), '{}') from checked where problem is null) as participants,
               (select coalesce(json_agg(json_build_array(idx, problem, kind, activity_kind) order by idx), '[]')
                from checked where problem is not null) as problems`,
  );
  const failed = new Set<number>();
  const errors: IngestFieldError[] = out!.problems.map(([index, problem, given, actual]) => {
    failed.add(index);
    return {
      index,
      field: problem,
      message:
        problem === 'participant'
          ? 'No participant of yours matches this'
          : problem === 'activityId'
            ? "This activity is not part of the participant's programme"
            : `This activity is a ${actual}, not a ${given}`,
    };
  });
  return {
    inserted: out!.inserted,
    landed: chunk.filter((v) => !failed.has(v.index)),
    errors,
    participantIds: out!.participants.map(Number),
  };
}

/**
 * Bulk ingest of engagement rows (a JSON batch or a parsed CSV). Bad rows are reported with their
 * position (and CSV line) and field; good rows land, in chunks of one transaction each, so a run
 * killed half-way keeps whole chunks and re-running it inserts only what is missing. Each chunk is
 * copied into a staging table and checked and inserted by one set-based statement (landChunk);
 * only the checks that need no database run per row here.
 */
export async function ingestEngagement(
  deps: ServiceDeps,
  actor: Actor,
  input: readonly unknown[],
  options: {
    format: 'json' | 'csv';
    lines?: readonly number[];
    /** Rows per transaction (tests use small chunks); COPY_CHUNK otherwise. */
    chunkSize?: number;
  } = { format: 'json' },
): Promise<IngestResult> {
  requireIngestRole(actor);
  const now = deps.clock.now();
  const nowMs = now.getTime();
  const chunkSize = options.chunkSize ?? COPY_CHUNK;
  const errors: IngestFieldError[] = [];
  const checked: ValidRow[] = [];
  input.forEach((raw, index) => {
    const row = checkRow(raw, index, nowMs, errors);
    if (row) checked.push(row);
  });
  let inserted = 0;
  let landed = 0;
  for (let i = 0; i < checked.length; i += chunkSize) {
    const chunk = checked.slice(i, i + chunkSize);
    const outcome = await deps.db.transaction(async (tx) => {
      const result = await landChunk(tx, actor, chunk, now);
      const first = result.landed[0];
      if (!first) return result;
      await audit(tx, {
        what: 'ENGAGEMENT_IMPORTED',
        who: actor,
        subjectType: 'engagement_import',
        subjectId: `${options.format}:${first.source}:${first.sourceEventId}`,
        details: {
          format: options.format,
          rows: result.landed.length,
          inserted: result.inserted,
          duplicates: result.landed.length - result.inserted,
        },
        at: now,
      });
      // Set-based: every enrolment this chunk brings to the start of its programme (2.3.2).
      await commenceDueInBulk(tx, {
        participantIds: result.participantIds,
        who: actor,
        at: now,
        trigger: 'engagement_imported',
      });
      return result;
    });
    inserted += outcome.inserted;
    landed += outcome.landed.length;
    errors.push(...outcome.errors);
  }
  errors.sort((a, b) => a.index - b.index);
  return {
    received: input.length,
    inserted,
    duplicates: landed - inserted,
    errors: errors.map((e) => ({
      index: e.index,
      line: options.lines?.[e.index] ?? null,
      field: options.format === 'csv' ? ENGAGEMENT_CSV_COLUMNS[e.field] : e.field,
      message: e.message,
    })),
  };
}

/**
 * Parses an engagement CSV (header: participant, activity_id, kind, occurred_at, source,
 * source_event_id) into row objects and the line each starts on.
 */
export function parseEngagementCsv(text: string): {
  rows: Record<string, string>[];
  lines: number[];
} {
  let records: { record: Record<string, string>; info: { lines: number } }[];
  try {
    records = parse(text, {
      columns: (header: string[]) => header.map((h) => h.trim().toLowerCase()),
      skip_empty_lines: true,
      trim: true,
      bom: true,
      info: true,
      relax_column_count: true,
    }) as unknown as typeof records;
  } catch (error) {
    throw new ValidationError([
      { path: 'body', message: `The CSV could not be read: ${(error as Error).message}` },
    ]);
  }
  const first = records[0]?.record;
  if (first) {
    const missing = ['participant', 'activity_id', 'occurred_at', 'source_event_id'].filter(
      (c) => !(c in first),
    );
    if (missing.length > 0) {
      throw new ValidationError(
        missing.map((c) => ({ path: `header.${c}`, message: `The CSV needs a ${c} column` })),
      );
    }
  }
  const rows = records.map(({ record }) => {
    const out: Record<string, string> = {};
    for (const [field, column] of Object.entries(ENGAGEMENT_CSV_COLUMNS)) {
      if (record[column] !== undefined) out[field] = record[column];
    }
    return out;
  });
  // info.lines is the line a record ends on; a record spanning lines is rare enough to report its end.
  return { rows, lines: records.map((r) => r.info.lines) };
}

export async function importEngagementCsv(
  deps: ServiceDeps,
  actor: Actor,
  csv: string,
): Promise<IngestResult> {
  requireIngestRole(actor);
  const { rows, lines } = parseEngagementCsv(csv);
  return ingestEngagement(deps, actor, rows, { format: 'csv', lines });
}
