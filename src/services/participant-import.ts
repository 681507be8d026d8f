import { createReadStream } from 'node:fs';
import { parse } from 'csv-parse';
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { arrayParam, queryRows, type Db } from '../db/client.js';
import { COURSE_IDENTIFIERS, FUNDING_ROUTES, WORKING_PATTERNS } from '../domain/catalogue.js';
import { csvCellProblem } from '../domain/text.js';
import { openParticipantAccounts } from './participant-accounts.js';

/**
 * Bulk import of participants and their enrolments from CSV. Each chunk of rows is one
 * transaction of set-based statements, so a run killed half-way keeps whole chunks only, and
 * re-running the same file skips what is already there: nothing is lost and nothing is doubled.
 */

export const PARTICIPANT_CSV_COLUMNS = [
  'trn',
  'dfe_registration_id',
  'full_name',
  'email',
  'school_urn',
  'funding_route',
  'working_pattern',
  'part_time_fraction',
  'dfe_registration_confirmed',
  'employment_confirmed',
  'course_identifier',
  'cohort_year',
  'delivery_partner',
] as const;

const yesNo = z
  .string()
  .transform((v) => v.trim().toLowerCase())
  .pipe(z.enum(['yes', 'no', 'true', 'false', 'y', 'n', '1', '0'], { message: 'Enter yes or no' }))
  .transform((v) => ['yes', 'true', 'y', '1'].includes(v));

const blankToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);

const ParticipantRow = z
  .object({
    trn: z.preprocess(
      blankToUndefined,
      z
        .string()
        .regex(/^\d{7}$/, 'TRN must be 7 digits')
        .optional(),
    ),
    dfe_registration_id: z.preprocess(
      blankToUndefined,
      z.string().max(64, 'DfE registration id must be 64 characters or fewer').optional(),
    ),
    full_name: z
      .string()
      .trim()
      .min(1, 'Enter the full name')
      .max(200, 'Full name must be 200 characters or fewer'),
    email: z
      .string()
      .trim()
      .pipe(z.email({ message: 'Enter an email address in the correct format' })),
    school_urn: z
      .string()
      .trim()
      .regex(/^\d{6,7}$/, 'School URN must be 6 or 7 digits'),
    funding_route: z.enum(FUNDING_ROUTES, {
      message: `Funding route must be one of ${FUNDING_ROUTES.join(', ')}`,
    }),
    working_pattern: z.preprocess(
      (v) => blankToUndefined(v) ?? 'full_time',
      z.enum(WORKING_PATTERNS, { message: 'Working pattern must be full_time or part_time' }),
    ),
    part_time_fraction: z.preprocess(
      blankToUndefined,
      z.coerce
        .number({ message: 'Part-time fraction must be a number' })
        .gt(0, 'Part-time fraction must be more than 0')
        .lt(1, 'Part-time fraction must be less than 1')
        .optional(),
    ),
    dfe_registration_confirmed: yesNo,
    employment_confirmed: yesNo,
    course_identifier: z.enum(COURSE_IDENTIFIERS, {
      message: 'Course identifier is not a DfE NPQ course identifier',
    }),
    cohort_year: z.coerce
      .number({ message: 'Cohort year must be a year' })
      .int('Cohort year must be a year')
      .min(2021, 'Cohort year must be 2021 or later')
      .max(2100, 'Cohort year must be a year'),
    delivery_partner: z.string().trim().min(1, 'Enter the delivery partner'),
  })
  .superRefine((row, ctx) => {
    if (!row.trn && !row.dfe_registration_id) {
      ctx.addIssue({
        code: 'custom',
        path: ['trn'],
        message: 'Enter a TRN or a DfE registration id',
      });
    }
    if (row.working_pattern === 'part_time' && row.part_time_fraction === undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['part_time_fraction'],
        message: 'Enter the part-time fraction',
      });
    }
    if (row.working_pattern === 'full_time' && row.part_time_fraction !== undefined) {
      ctx.addIssue({
        code: 'custom',
        path: ['part_time_fraction'],
        message: 'Leave blank for full-time',
      });
    }
  });

type ParticipantRow = z.infer<typeof ParticipantRow>;

export interface RowError {
  line: number;
  field: string;
  message: string;
}

export interface ImportSummary {
  rows: number;
  created: number;
  enrolled: number;
  unchanged: number;
  /** Participant accounts opened, each with an invitation email to set a password. */
  invited: number;
  errors: RowError[];
}

export interface ImportOptions {
  /** The import's calendar date (YYYY-MM-DD), the start of each new participant's employment record. */
  today: string;
  /** The app's public address (config.publicUrl): the invitation emails' links start with it. */
  publicUrl: string;
  /** When the invitations are issued (their 7 days start now); the current time if omitted. */
  now?: Date;
  /**
   * The delivery partners the importer may enrol with (staff imports); omitted means any (the CLI,
   * run by an operator). A row for another partner, or for a participant already enrolled with
   * another partner, is an error, not a silent write.
   */
  partnerScope?: readonly number[];
  /**
   * Delivery partner staff: a row that clashes with a participant or an account outside their
   * partner is answered with CLASH_REFERRED only (it must not tell them that the TRN or email is
   * someone else's), and the detail is recorded for the programme team (IMPORT_ROW_REFERRED).
   */
  referClashes?: boolean;
  chunkSize?: number;
  who?: string;
  correlationId?: string;
  onProgress?: (rowsDone: number) => void;
}

/** What delivery partner staff read when a row clashes with a record they may not see. */
export const CLASH_REFERRED = 'We could not add this row; the programme team has been told';

interface ParsedRow {
  line: number;
  row: ParticipantRow;
}

export async function importParticipantsCsv(
  db: Db,
  file: string,
  options: ImportOptions,
): Promise<ImportSummary> {
  return importParticipantRecords(db, readCsv(file), options);
}

export async function* readCsv(
  file: string,
): AsyncGenerator<{ line: number; record: Record<string, string> }> {
  const parser = createReadStream(file).pipe(
    parse({
      columns: true,
      info: true,
      skip_empty_lines: true,
      bom: true,
      relax_column_count: true,
    }),
  );
  for await (const { record, info } of parser as AsyncIterable<{
    record: Record<string, string>;
    info: { lines: number };
  }>) {
    yield { line: info.lines, record };
  }
}

export async function importParticipantRecords(
  db: Db,
  records:
    | AsyncIterable<{ line: number; record: Record<string, string> }>
    | Iterable<{ line: number; record: Record<string, string> }>,
  options: ImportOptions,
): Promise<ImportSummary> {
  const chunkSize = options.chunkSize ?? 1000;
  const summary: ImportSummary = {
    rows: 0,
    created: 0,
    enrolled: 0,
    unchanged: 0,
    invited: 0,
    errors: [],
  };
  const seenKeys = new Map<string, number>();
  let chunk: ParsedRow[] = [];

  const flush = async () => {
    if (chunk.length === 0) return;
    const result = await writeChunk(db, chunk, options);
    summary.created += result.created;
    summary.enrolled += result.enrolled;
    summary.unchanged += result.unchanged;
    summary.invited += result.invited;
    summary.errors.push(...result.errors);
    chunk = [];
    options.onProgress?.(summary.rows);
  };

  for await (const { line, record } of records) {
    summary.rows += 1;
    const bad = csvCellProblem(record);
    if (bad) {
      summary.errors.push({ line, ...bad });
      continue;
    }
    const parsed = ParticipantRow.safeParse(record);
    if (!parsed.success) {
      for (const issue of parsed.error.issues) {
        summary.errors.push({
          line,
          field: String(issue.path[0] ?? 'row'),
          message: issue.message,
        });
      }
      continue;
    }
    const duplicateOf = firstDuplicate(seenKeys, parsed.data, line);
    if (duplicateOf) {
      summary.errors.push({
        line,
        field: duplicateOf.field,
        message: `Same ${duplicateOf.field} as line ${duplicateOf.line}`,
      });
      continue;
    }
    chunk.push({ line, row: parsed.data });
    if (chunk.length >= chunkSize) await flush();
  }
  await flush();
  summary.errors.sort((a, b) => a.line - b.line);
  return summary;
}

function firstDuplicate(seen: Map<string, number>, row: ParticipantRow, line: number) {
  const keys: [string, string | undefined][] = [
    ['trn', row.trn],
    ['dfe_registration_id', row.dfe_registration_id],
    ['email', row.email.toLowerCase()],
  ];
  for (const [field, value] of keys) {
    if (value === undefined) continue;
    const earlier = seen.get(`${field}:${value}`);
    if (earlier !== undefined) return { field, line: earlier };
  }
  for (const [field, value] of keys) if (value !== undefined) seen.set(`${field}:${value}`, line);
  return undefined;
}

interface ChunkResult {
  created: number;
  enrolled: number;
  unchanged: number;
  invited: number;
  errors: RowError[];
}

async function writeChunk(
  db: Db,
  chunk: ParsedRow[],
  options: ImportOptions,
): Promise<ChunkResult> {
  return db.transaction(async (tx) => {
    const errors: RowError[] = [];
    const urns = unique(chunk.map((c) => c.row.school_urn));
    const partners = unique(chunk.map((c) => c.row.delivery_partner));
    const schools = new Map(
      (
        await queryRows<{ id: number; urn: string }>(
          tx,
          sql`select id, urn from school where urn = any(${arrayParam(urns)}::text[])`,
        )
      ).map((r) => [r.urn, r.id]),
    );
    const partnerIds = new Map(
      (
        await queryRows<{ id: number; slug: string }>(
          tx,
          sql`select id, slug from delivery_partner where slug = any(${arrayParam(partners)}::text[])`,
        )
      ).map((r) => [r.slug, r.id]),
    );
    const cohorts = new Map(
      (
        await queryRows<{ id: number; identifier: string; year: number }>(
          tx,
          sql`select c.id, co.identifier, c.year from cohort c
              join programme p on p.id = c.programme_id join course co on co.id = p.course_id`,
        )
      ).map((r) => [`${r.identifier}/${r.year}`, r.id]),
    );
    const existing = await queryRows<{
      id: number;
      trn: string | null;
      dfe_registration_id: string | null;
      email: string;
      partner_ids: number[];
    }>(
      tx,
      sql`select p.id, p.trn, p.dfe_registration_id, lower(p.email) as email,
                 coalesce((select array_agg(distinct e.delivery_partner_id) from enrolment e where e.participant_id = p.id), '{}') as partner_ids
          from participant p
          where trn = any(${arrayParam(chunk.map((c) => c.row.trn ?? ''))}::text[])
             or dfe_registration_id = any(${arrayParam(chunk.map((c) => c.row.dfe_registration_id ?? ''))}::text[])
             or lower(email) = any(${arrayParam(chunk.map((c) => c.row.email.toLowerCase()))}::text[])`,
    );
    // Sign-ins are unique by email: one held by staff (or another participant) cannot be reused.
    const accountEmails = new Map(
      (
        await queryRows<{ email: string; participant_id: number | null }>(
          tx,
          sql`select lower(email) as email, participant_id from app_user
              where lower(email) = any(${arrayParam(chunk.map((c) => c.row.email.toLowerCase()))}::text[])`,
        )
      ).map((u) => [u.email, u.participant_id]),
    );

    const referrals: Referral[] = [];
    const toCreate: (ParsedRow & { schoolId: number })[] = [];
    const toEnrol: { key: string; participantId?: number; cohortId: number; partnerId: number }[] =
      [];
    let unchanged = 0;
    for (const item of chunk) {
      const { row, line } = item;
      const schoolId = schools.get(row.school_urn);
      const partnerId = partnerIds.get(row.delivery_partner);
      const cohortId = cohorts.get(`${row.course_identifier}/${row.cohort_year}`);
      const rowErrors: RowError[] = [];
      if (schoolId === undefined)
        rowErrors.push({
          line,
          field: 'school_urn',
          message: `No school with URN ${row.school_urn}`,
        });
      const scope = options.partnerScope;
      if (partnerId === undefined)
        rowErrors.push({
          line,
          field: 'delivery_partner',
          message: `No delivery partner "${row.delivery_partner}"`,
        });
      else if (scope && !scope.includes(partnerId))
        rowErrors.push({
          line,
          field: 'delivery_partner',
          message: `You cannot enrol participants with the delivery partner "${row.delivery_partner}"`,
        });
      if (cohortId === undefined)
        rowErrors.push({
          line,
          field: 'cohort_year',
          message: `No ${row.course_identifier} cohort in ${row.cohort_year}`,
        });
      const match = existing.find(
        (p) =>
          (row.trn !== undefined && p.trn === row.trn) ||
          (row.dfe_registration_id !== undefined &&
            p.dfe_registration_id === row.dfe_registration_id),
      );
      const clashes: { field: string; message: string; participantId: number | null }[] = [];
      if (
        match &&
        options.partnerScope &&
        match.partner_ids.some((id) => !options.partnerScope!.includes(id))
      )
        clashes.push({
          field: row.trn !== undefined ? 'trn' : 'dfe_registration_id',
          message:
            'This participant is enrolled with another delivery partner: ask the programme team',
          participantId: match.id,
        });
      const emailOwner = existing.find((p) => p.email === row.email.toLowerCase());
      if (emailOwner && emailOwner !== match)
        clashes.push({
          field: 'email',
          message: 'This email address belongs to another participant',
          participantId: emailOwner.id,
        });
      else if (
        accountEmails.has(row.email.toLowerCase()) &&
        (accountEmails.get(row.email.toLowerCase()) ?? -1) !== match?.id
      )
        clashes.push({
          field: 'email',
          message: 'This email address is already used to sign in to another account',
          participantId: accountEmails.get(row.email.toLowerCase()) ?? null,
        });
      if (clashes.length > 0 && options.referClashes) {
        rowErrors.push({ line, field: 'row', message: CLASH_REFERRED });
        referrals.push(...clashes.map((c) => ({ line, ...c })));
      } else rowErrors.push(...clashes.map((c) => ({ line, field: c.field, message: c.message })));
      if (
        rowErrors.length > 0 ||
        schoolId === undefined ||
        partnerId === undefined ||
        cohortId === undefined
      ) {
        errors.push(...rowErrors);
        continue;
      }
      if (match) unchanged += 1;
      else toCreate.push({ ...item, schoolId });
      toEnrol.push({ key: identityKey(row), participantId: match?.id, cohortId, partnerId });
    }

    const now = options.now ?? new Date();
    const created = await insertParticipants(tx, toCreate, options.today);
    const createdIds = new Map(created.map((c) => [c.key, c.id]));
    const enrolledParticipants = await insertEnrolments(
      tx,
      toEnrol.flatMap((e) => {
        const participantId = e.participantId ?? createdIds.get(e.key);
        return participantId === undefined ? [] : [{ ...e, participantId }];
      }),
      now,
    );
    const invited = await openParticipantAccounts(tx, {
      participantIds: [...new Set(enrolledParticipants)],
      publicUrl: options.publicUrl,
      createdBy: options.who ?? 'system:import',
      now,
    });
    if (created.length > 0) {
      await tx.execute(sql`insert into audit_event (what, who, subject_type, subject_id, details, correlation_id)
        select 'PARTICIPANT_IMPORTED', ${options.who ?? 'system:import'}, 'participant', id::text,
               jsonb_build_object('line', line), ${options.correlationId ?? null}
        from unnest(${arrayParam(created.map((c) => c.id))}::int[], ${arrayParam(created.map((c) => c.line))}::int[]) as u(id, line)`);
    }
    await referToProgrammeTeam(tx, referrals, options, now);
    return {
      created: created.length,
      enrolled: enrolledParticipants.length,
      unchanged,
      invited,
      errors,
    };
  });
}

interface Referral {
  line: number;
  field: string;
  message: string;
  participantId: number | null;
}

/**
 * The detail of each clash withheld from a delivery partner, as an audit event the programme team
 * reads (listImportReferrals): the line, the field, what it clashed with (a participant id, or
 * none for another kind of account), and the partner that tried. No TRN or email is copied.
 */
async function referToProgrammeTeam(
  tx: Tx,
  referrals: readonly Referral[],
  options: ImportOptions,
  now: Date,
): Promise<void> {
  if (referrals.length === 0) return;
  const who = options.who ?? 'system:import';
  await tx.execute(sql`insert into audit_event (what, who, subject_type, subject_id, details, correlation_id, occurred_at)
    select 'IMPORT_ROW_REFERRED', ${who}, 'import_referral', coalesce(participant_id::text, 'account'),
           jsonb_build_object('line', line, 'field', field, 'reason', reason, 'participantId', participant_id,
                              'deliveryPartnerIds', ${JSON.stringify(options.partnerScope ?? [])}::jsonb),
           ${options.correlationId ?? null}, ${now}
    from unnest(${arrayParam(referrals.map((r) => r.line))}::int[], ${arrayParam(referrals.map((r) => r.field))}::text[],
                ${arrayParam(referrals.map((r) => r.message))}::text[], ${arrayParam(referrals.map((r) => r.participantId))}::int[])
         as u(line, field, reason, participant_id)`);
}

function identityKey(row: {
  trn?: string | undefined;
  dfe_registration_id?: string | undefined;
}): string {
  return row.trn ? `trn:${row.trn}` : `dfe:${row.dfe_registration_id}`;
}

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

async function insertParticipants(
  tx: Tx,
  rows: (ParsedRow & { schoolId: number })[],
  today: string,
) {
  if (rows.length === 0) return [];
  const col = <T>(f: (r: ParticipantRow) => T) => rows.map((r) => f(r.row));
  const inserted = await queryRows<{
    id: number;
    trn: string | null;
    dfe_registration_id: string | null;
  }>(
    tx,
    sql`insert into participant (trn, dfe_registration_id, full_name, email, dfe_registration_confirmed,
          employment_confirmed, current_school_id, funding_route, working_pattern, part_time_fraction)
        select * from unnest(
          ${arrayParam(col((r) => r.trn ?? null))}::text[], ${arrayParam(col((r) => r.dfe_registration_id ?? null))}::text[],
          ${arrayParam(col((r) => r.full_name))}::text[], ${arrayParam(col((r) => r.email))}::text[],
          ${arrayParam(col((r) => r.dfe_registration_confirmed))}::boolean[], ${arrayParam(col((r) => r.employment_confirmed))}::boolean[],
          ${arrayParam(rows.map((r) => r.schoolId))}::int[], ${arrayParam(col((r) => r.funding_route))}::text[],
          ${arrayParam(col((r) => r.working_pattern))}::text[], ${arrayParam(col((r) => r.part_time_fraction ?? null))}::numeric[])
        returning id, trn, dfe_registration_id`,
  );
  const lineByKey = new Map(rows.map((r) => [identityKey(r.row), r.line]));
  const created = inserted.map((p) => {
    const key = identityKey({
      trn: p.trn ?? undefined,
      dfe_registration_id: p.dfe_registration_id ?? undefined,
    });
    return { id: p.id, key, line: lineByKey.get(key) ?? 0 };
  });
  await tx.execute(sql`insert into participant_employment (participant_id, school_id, started_on)
    select id, current_school_id, ${today}::date from participant where id = any(${arrayParam(created.map((c) => c.id))}::int[])`);
  return created;
}

/**
 * Inserts the enrolments not already there, created (and accepted) at `now`, the import's time;
 * returns the participant of each one inserted.
 */
async function insertEnrolments(
  tx: Tx,
  rows: { participantId: number; cohortId: number; partnerId: number }[],
  now: Date,
): Promise<number[]> {
  if (rows.length === 0) return [];
  const inserted = await queryRows<{ participant_id: number }>(
    tx,
    sql`insert into enrolment (participant_id, cohort_id, delivery_partner_id, status, status_changed_at, created_at)
        select participant_id, cohort_id, partner_id, 'accepted', ${now}, ${now}
        from unnest(${arrayParam(rows.map((r) => r.participantId))}::int[], ${arrayParam(rows.map((r) => r.cohortId))}::int[],
                    ${arrayParam(rows.map((r) => r.partnerId))}::int[]) as u(participant_id, cohort_id, partner_id)
        on conflict (participant_id, cohort_id) do nothing
        returning participant_id`,
  );
  return inserted.map((r) => r.participant_id);
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}
