import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { arrayParam, queryRows, type Db } from '../../db/client.js';
import {
  ACTIVITY_KINDS,
  ENGAGEMENT_SOURCES,
  type ActivityKind,
  type EngagementSource,
} from '../../domain/catalogue.js';
import { csvCellProblem } from '../../domain/text.js';

/**
 * Engagement evidence (policy 2.1.1, 2.1.3, 2.2.1.1): study sessions completed in sequence,
 * attendance at clinics, community sessions, conferences and coaching, and bulk feeds (JSON, CSV,
 * xAPI). Every record is keyed by (source, source_event_id), so a retry, a re-sent statement or a
 * re-run import lands once.
 *
 * This folder, by use case: completion.ts (study sessions), attendance.ts (events and coaching),
 * ingest-rows.ts (this file: the record's shape, its keyed insert and the checks of one row),
 * ingest.ts (JSON and CSV batches through COPY), xapi.ts (xAPI statements), read.ts (where an
 * enrolment stands).
 */

type Executor = Pick<Db, 'execute'>;

export interface EngagementRow {
  participantId: number;
  activityId: number;
  kind: ActivityKind;
  occurredAt: Date;
  source: EngagementSource;
  sourceEventId: string;
}

/** Set-based insert; rows already there (same source and source event id) are skipped. */
export async function insertRecords(
  tx: Executor,
  rows: readonly EngagementRow[],
  now: Date,
): Promise<number> {
  if (rows.length === 0) return 0;
  const [result] = await queryRows<{ n: number }>(
    tx,
    sql`with ins as (
          insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id, recorded_at)
          select u.participant_id, u.activity_id, u.kind, to_timestamp(u.at), u.source, u.source_event_id, ${now}
          from unnest(
            ${arrayParam(rows.map((r) => r.participantId))}::int[],
            ${arrayParam(rows.map((r) => r.activityId))}::int[],
            ${arrayParam(rows.map((r) => r.kind))}::text[],
            ${arrayParam(rows.map((r) => r.occurredAt.getTime() / 1000))}::float8[],
            ${arrayParam(rows.map((r) => r.source))}::text[],
            ${arrayParam(rows.map((r) => r.sourceEventId))}::text[]
          ) as u(participant_id, activity_id, kind, at, source, source_event_id)
          on conflict (source, source_event_id) do nothing
          returning 1)
        select count(*)::int as n from ins`,
  );
  return result?.n ?? 0;
}

/**
 * Who a row is about. `trn:`, `email:` or `id:` say it outright; otherwise an address with @ is
 * an email, seven digits a TRN, and any other whole number a participant id.
 */
export function parseParticipantRef(
  value: string,
): { by: 'trn' | 'email' | 'id'; key: string } | null {
  const v = value.trim();
  const prefixed = /^(trn|email|id):(.+)$/i.exec(v);
  if (prefixed) {
    const by = prefixed[1]!.toLowerCase() as 'trn' | 'email' | 'id';
    const key = prefixed[2]!.trim();
    if (by === 'trn' && !/^\d{7}$/.test(key)) return null;
    if (by === 'id' && !/^\d{1,9}$/.test(key)) return null;
    return { by, key: by === 'email' ? key.toLowerCase() : key };
  }
  if (v.includes('@')) return { by: 'email', key: v.toLowerCase() };
  if (/^\d{7}$/.test(v)) return { by: 'trn', key: v };
  if (/^\d{1,9}$/.test(v)) return { by: 'id', key: v };
  return null;
}

export const IngestRowSchema = z.object({
  participant: z
    .string({ message: 'Enter the participant (TRN, email or participant id)' })
    .trim()
    .min(1, 'Enter the participant (TRN, email or participant id)')
    .refine(
      (v) => parseParticipantRef(v) !== null,
      'Enter a TRN (7 digits), an email address or a participant id',
    ),
  activityId: z.coerce
    .number({ message: 'Activity id must be a whole number' })
    .int('Activity id must be a whole number')
    .positive('Activity id must be a whole number')
    .max(2_147_483_647, 'Activity id must be a whole number'),
  kind: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z
      .enum(ACTIVITY_KINDS, { message: `Kind must be one of ${ACTIVITY_KINDS.join(', ')}` })
      .optional(),
  ),
  occurredAt: z.iso.datetime({
    offset: true,
    message: 'Enter when it happened as a date and time, e.g. 2026-03-01T10:00:00Z',
  }),
  source: z.preprocess(
    (v) => (typeof v === 'string' && v.trim() === '' ? undefined : v),
    z
      .enum(ENGAGEMENT_SOURCES, {
        message: `Source must be one of ${ENGAGEMENT_SOURCES.join(', ')}`,
      })
      .default('import'),
  ),
  sourceEventId: z
    .string({ message: 'Enter the source event id' })
    .trim()
    .min(1, 'Enter the source event id')
    .max(200, 'The source event id must be 200 characters or fewer'),
});

export type IngestRowInput = z.input<typeof IngestRowSchema>;

export interface IngestError {
  /** 0-based position in the batch. */
  index: number;
  /** The CSV line (the header is line 1); null for JSON. */
  line: number | null;
  field: string;
  message: string;
}

export interface IngestResult {
  received: number;
  inserted: number;
  /** Valid rows already recorded (the same source and source event id), e.g. on a re-run. */
  duplicates: number;
  errors: IngestError[];
}

/** CSV column for each row field, so CSV errors name the column the user wrote. */
export const ENGAGEMENT_CSV_COLUMNS = {
  participant: 'participant',
  activityId: 'activity_id',
  kind: 'kind',
  occurredAt: 'occurred_at',
  source: 'source',
  sourceEventId: 'source_event_id',
} as const;

export interface ValidRow {
  index: number;
  ref: { by: 'trn' | 'email' | 'id'; key: string };
  activityId: number;
  kind: ActivityKind | undefined;
  occurredAt: Date;
  source: EngagementSource;
  sourceEventId: string;
}

export interface Resolved {
  rows: EngagementRow[];
  errors: { index: number; field: keyof typeof ENGAGEMENT_CSV_COLUMNS; message: string }[];
}

export type IngestFieldError = Resolved['errors'][number];

const ISO_DATETIME = z.regexes.datetime({ offset: true });
const KIND_SET: ReadonlySet<string> = new Set(ACTIVITY_KINDS);
const SOURCE_SET: ReadonlySet<string> = new Set(ENGAGEMENT_SOURCES);
/** Any NUL or UTF-16 surrogate at all (paired or not): only then can csvCellProblem find something. */
const MAYBE_BAD_TEXT = /[\0\uD800-\uDFFF]/;
const WHOLE_NUMBER_TEXT = /^[1-9][0-9]{0,9}$/;

/**
 * What IngestRowSchema gives for a row that is plainly valid (the usual case in a large import),
 * without building zod's issue machinery per row; null sends the row through zod and csvCellProblem
 * for their messages. It accepts only what they accept and returns exactly their output (a
 * property test holds it to that, test/services/ingest-row.test.ts).
 */
export function quickIngestRow(raw: object): z.output<typeof IngestRowSchema> | null {
  return quickRow(raw)?.data ?? null;
}

type ParticipantRef = NonNullable<ReturnType<typeof parseParticipantRef>>;

function quickRow(
  raw: object,
): { data: z.output<typeof IngestRowSchema>; ref: ParticipantRef } | null {
  const r = raw as Record<string, unknown>;
  for (const key of Object.keys(r)) {
    const v = r[key];
    if (MAYBE_BAD_TEXT.test(key) || (typeof v === 'string' && MAYBE_BAD_TEXT.test(v))) return null;
  }
  const { participant, activityId, kind, occurredAt, source, sourceEventId } = r;
  if (
    typeof participant !== 'string' ||
    typeof occurredAt !== 'string' ||
    typeof sourceEventId !== 'string'
  ) {
    return null;
  }
  const who = participant.trim();
  const ref = parseParticipantRef(who);
  if (ref === null) return null;
  const id =
    typeof activityId === 'number'
      ? activityId
      : typeof activityId === 'string' && WHOLE_NUMBER_TEXT.test(activityId)
        ? Number(activityId)
        : Number.NaN;
  if (!Number.isInteger(id) || id <= 0 || id > 2_147_483_647) return null;
  let kindOut: ActivityKind | undefined;
  if (kind !== undefined) {
    if (typeof kind !== 'string') return null;
    if (kind.trim() !== '') {
      if (!KIND_SET.has(kind)) return null;
      kindOut = kind as ActivityKind;
    }
  }
  let sourceOut: EngagementSource = 'import';
  if (source !== undefined) {
    if (typeof source !== 'string') return null;
    if (source.trim() !== '') {
      if (!SOURCE_SET.has(source)) return null;
      sourceOut = source as EngagementSource;
    }
  }
  if (!ISO_DATETIME.test(occurredAt)) return null;
  const eventId = sourceEventId.trim();
  if (eventId.length < 1 || eventId.length > 200) return null;
  return {
    data: {
      participant: who,
      activityId: id,
      kind: kindOut,
      occurredAt,
      source: sourceOut,
      sourceEventId: eventId,
    },
    ref,
  };
}

/**
 * The checks of one row that need no database, in order: text that cannot be stored, the fields'
 * shapes (IngestRowSchema), then a time in the future. Pushes its field errors, or returns the row.
 */
export function checkRow(
  raw: unknown,
  index: number,
  nowMs: number,
  errors: IngestFieldError[],
): ValidRow | null {
  const isRecord = raw !== null && typeof raw === 'object' && !Array.isArray(raw);
  const quick = isRecord ? quickRow(raw) : null;
  let data = quick?.data;
  if (!data) {
    const bad = isRecord ? csvCellProblem(raw as Record<string, string>) : null;
    if (bad) {
      const field = bad.field as keyof typeof ENGAGEMENT_CSV_COLUMNS;
      errors.push({
        index,
        field: field in ENGAGEMENT_CSV_COLUMNS ? field : 'participant',
        message: bad.message,
      });
      return null;
    }
    const parsed = IngestRowSchema.safeParse(raw);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        const field = String(issue.path[0] ?? 'participant') as keyof typeof ENGAGEMENT_CSV_COLUMNS;
        errors.push({
          index,
          field: field in ENGAGEMENT_CSV_COLUMNS ? field : 'participant',
          message: issue.message,
        });
      }
      return null;
    }
    data = parsed.data;
  }
  const occurredAt = new Date(data.occurredAt);
  if (occurredAt.getTime() > nowMs) {
    errors.push({
      index,
      field: 'occurredAt',
      message: 'This is in the future; record engagement once it has happened',
    });
    return null;
  }
  return {
    index,
    ref: quick?.ref ?? parseParticipantRef(data.participant)!,
    activityId: data.activityId,
    kind: data.kind,
    occurredAt,
    source: data.source,
    sourceEventId: data.sourceEventId,
  };
}
