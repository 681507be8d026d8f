import { sql } from 'drizzle-orm';
import { arrayParam, queryRows, type Db } from '../db/client.js';
import { findSchools, type SchoolMatch } from '../db/queries/schools.js';
import { ENGLISH_REGIONS, regionKey } from '../domain/regions.js';
import { actorLabel, SYSTEM, type Actor } from './actor.js';
import type { ServiceDeps } from './assessment.js';
import { audit } from './audit.js';
import { NotFoundError } from './errors.js';
import { GiasFileError, readGias, type GiasRowError, type GiasSchool } from './gias-csv.js';
import { requireOrganiserRead, requireOrganiserWrite } from './organisations/access.js';

/**
 * Schools from the DfE's GIAS establishment CSV. Rows are checked one by one but written a chunk
 * at a time (one INSERT … SELECT FROM unnest … ON CONFLICT per chunk, never row by row), each
 * chunk in its own transaction with the import's progress, so others see it move and a failure
 * keeps what was done. Re-importing updates renamed or closed schools and changes nothing else.
 */
export const SCHOOL_IMPORT_CHUNK = 5_000;
/** The largest file accepted by upload (the GIAS establishment file is about 60 MB). */
export const SCHOOL_UPLOAD_LIMIT_BYTES = 200 * 1024 * 1024;
/** Bad rows kept on the import's report; the count of bad rows is always exact. */
export const MAX_REPORTED_ERRORS = 5_000;

export interface SchoolImportSummary {
  id: number;
  fileName: string;
  status: 'running' | 'completed' | 'failed';
  rowsRead: number;
  created: number;
  updated: number;
  unchanged: number;
  /** Rows not imported. */
  rejected: number;
  errors: GiasRowError[];
  startedBy: string;
  startedAt: string;
  finishedAt: string | null;
}

export interface SchoolImportOptions {
  fileName: string;
  chunkSize?: number;
  /** Called as rows are read (after each chunk is written). */
  onProgress?: (rowsRead: number) => void;
}

type Who = Actor | typeof SYSTEM;

/** Admins and the programme team import schools (403 for other staff, 404 for anyone else). */
export function requireSchoolImporter(actor: Actor): void {
  requireOrganiserWrite(actor);
}

export async function importSchools(
  { db, clock }: ServiceDeps,
  who: Who,
  source: AsyncIterable<Uint8Array | string>,
  options: SchoolImportOptions,
): Promise<SchoolImportSummary> {
  if (who !== SYSTEM) requireOrganiserWrite(who);
  const chunkSize = options.chunkSize ?? SCHOOL_IMPORT_CHUNK;
  const [created] = await queryRows<{ id: number }>(
    db,
    sql`insert into school_import (file_name, started_by, started_at)
        values (${options.fileName.slice(0, 255)}, ${actorLabel(who)}, ${clock.now()}) returning id`,
  );
  const importId = created!.id;
  const regions = await ensureRegions(db);
  const errors: GiasRowError[] = [];
  let rowsRead = 0;
  let rejected = 0;
  let chunk: GiasSchool[] = [];
  // While one chunk is written the next is read and checked: parsing and the database overlap.
  let writing: Promise<void> = Promise.resolve();
  const flush = async () => {
    const rows = chunk;
    const read = rowsRead;
    chunk = [];
    await writing;
    writing = writeChunk(db, importId, rows, regions, read).then(() => options.onProgress?.(read));
    writing.catch(() => undefined); // awaited at the next flush or at the end
  };
  const reject = (rowErrors: GiasRowError[]) => {
    rejected += 1;
    for (const e of rowErrors) if (errors.length < MAX_REPORTED_ERRORS) errors.push(e);
  };
  let status: 'completed' | 'failed' = 'completed';
  let failure: unknown = null;
  try {
    for await (const record of readGias(source)) {
      rowsRead += 1;
      if ('errors' in record) reject(record.errors);
      else chunk.push(record.school);
      if (chunk.length >= chunkSize) await flush();
    }
    await flush();
    await writing;
  } catch (error) {
    await writing.catch(() => undefined);
    status = 'failed';
    if (error instanceof GiasFileError) {
      errors.unshift({ line: error.line, field: error.field, message: error.message });
    } else {
      failure = error;
      errors.unshift({
        line: rowsRead + 1,
        field: 'file',
        message:
          'The import stopped before the end of the file; the rows before this line were imported.',
      });
    }
  }
  const summary = await db.transaction(async (tx) => {
    await tx.execute(
      sql`update school_import set status = ${status}, rows_read = ${rowsRead},
            errors = ${JSON.stringify(errors)}::jsonb, finished_at = ${clock.now()}
          where id = ${importId}`,
    );
    const s = await loadImport(tx, importId, rejected);
    await audit(tx, {
      what: status === 'completed' ? 'SCHOOLS_IMPORTED' : 'SCHOOL_IMPORT_FAILED',
      who,
      subjectType: 'school_import',
      subjectId: importId,
      details: {
        fileName: s.fileName,
        rowsRead,
        created: s.created,
        updated: s.updated,
        unchanged: s.unchanged,
        rejected,
      },
      at: clock.now(),
    });
    return s;
  });
  options.onProgress?.(rowsRead);
  if (failure) throw failure;
  return summary;
}

/** England's regions exist (an empty database gets them here), keyed by name for GOR (name). */
async function ensureRegions(db: Db): Promise<Map<string, number>> {
  await db.execute(
    sql`insert into region (code, name)
        select * from unnest(${arrayParam(ENGLISH_REGIONS.map((r) => r.code))}::text[],
                             ${arrayParam(ENGLISH_REGIONS.map((r) => r.name))}::text[])
        on conflict (code) do nothing`,
  );
  const rows = await queryRows<{ id: number; name: string }>(db, sql`select id, name from region`);
  return new Map(rows.map((r) => [regionKey(r.name), r.id]));
}

async function writeChunk(
  db: Db,
  importId: number,
  rows: GiasSchool[],
  regions: Map<string, number>,
  rowsRead: number,
): Promise<void> {
  const regionOf = (s: GiasSchool) =>
    s.region === null ? null : (regions.get(regionKey(s.region)) ?? null);
  const las = new Map<string, { name: string; region: number | null }>();
  for (const s of rows)
    if (!las.has(s.laCode)) las.set(s.laCode, { name: s.laName, region: regionOf(s) });
  const col = <T>(f: (s: GiasSchool) => T) => arrayParam(rows.map(f));
  await db.transaction(async (tx) => {
    if (rows.length > 0) {
      await tx.execute(
        sql`insert into local_authority (code, name, region_id)
            select * from unnest(${arrayParam([...las.keys()])}::text[],
                                 ${arrayParam([...las.values()].map((l) => l.name))}::text[],
                                 ${arrayParam([...las.values()].map((l) => l.region))}::int[])
            on conflict (code) do update
              set name = excluded.name, region_id = coalesce(excluded.region_id, local_authority.region_id)
              where local_authority.name is distinct from excluded.name
                 or (excluded.region_id is not null and local_authority.region_id is distinct from excluded.region_id)`,
      );
    }
    const [counts] =
      rows.length === 0
        ? [{ created: 0, updated: 0 }]
        : await queryRows<{ created: number; updated: number }>(
            tx,
            sql`with input as (
                  select i.*, la.id as local_authority_id
                  from unnest(${col((s) => s.urn)}::text[], ${col((s) => s.name)}::text[],
                              ${col((s) => s.town)}::text[], ${col((s) => s.postcode)}::text[],
                              ${col((s) => s.laCode)}::text[], ${col((s) => s.status)}::text[],
                              ${col((s) => s.type)}::text[], ${col((s) => s.phase)}::text[],
                              ${col(regionOf)}::int[])
                    as i(urn, name, town, postcode, la_code, status, establishment_type, phase, region_id)
                  left join local_authority la on la.code = i.la_code
                ), upserted as (
                  insert into school (urn, name, town, postcode, local_authority_id, status, establishment_type, phase, region_id, updated_at)
                  select urn, name, town, postcode, local_authority_id, status, establishment_type, phase, region_id, now()
                  from input
                  on conflict (urn) do update set
                    name = excluded.name, town = excluded.town, postcode = excluded.postcode,
                    local_authority_id = excluded.local_authority_id, status = excluded.status,
                    establishment_type = excluded.establishment_type, phase = excluded.phase,
                    region_id = excluded.region_id, updated_at = now()
                  where (school.name, school.town, school.postcode, school.local_authority_id, school.status,
                         school.establishment_type, school.phase, school.region_id)
                        is distinct from
                        (excluded.name, excluded.town, excluded.postcode, excluded.local_authority_id, excluded.status,
                         excluded.establishment_type, excluded.phase, excluded.region_id)
                  returning (xmax = 0) as inserted
                )
                select count(*) filter (where inserted)::int as created,
                       count(*) filter (where not inserted)::int as updated
                from upserted`,
          );
    const created = counts!.created;
    const updated = counts!.updated;
    await tx.execute(
      sql`update school_import set rows_read = ${rowsRead}, created = created + ${created},
            updated = updated + ${updated}, unchanged = unchanged + ${rows.length - created - updated}
          where id = ${importId}`,
    );
  });
}

interface ImportRow {
  id: number;
  file_name: string;
  status: SchoolImportSummary['status'];
  rows_read: number;
  created: number;
  updated: number;
  unchanged: number;
  errors: GiasRowError[] | string;
  started_by: string;
  started_at: Date | string;
  finished_at: Date | string | null;
}

const iso = (v: Date | string | null) => (v === null ? null : new Date(v).toISOString());

function summaryOf(r: ImportRow, rejected?: number): SchoolImportSummary {
  const errors = (typeof r.errors === 'string' ? JSON.parse(r.errors) : r.errors) as GiasRowError[];
  return {
    id: r.id,
    fileName: r.file_name,
    status: r.status,
    rowsRead: r.rows_read,
    created: r.created,
    updated: r.updated,
    unchanged: r.unchanged,
    // Rows read but not written; a failed file's own error is not a row.
    rejected: rejected ?? Math.max(0, r.rows_read - r.created - r.updated - r.unchanged),
    errors,
    startedBy: r.started_by,
    startedAt: iso(r.started_at)!,
    finishedAt: iso(r.finished_at),
  };
}

async function loadImport(
  db: Pick<Db, 'execute'>,
  id: number,
  rejected?: number,
): Promise<SchoolImportSummary> {
  const [row] = await queryRows<ImportRow>(db, sql`select * from school_import where id = ${id}`);
  if (!row) throw new NotFoundError('School import');
  return summaryOf(row, rejected);
}

export async function getSchoolImport(
  { db }: ServiceDeps,
  actor: Actor,
  id: number,
): Promise<SchoolImportSummary> {
  requireOrganiserRead(actor);
  return loadImport(db, id);
}

export interface SchoolsOverview {
  schools: number;
  open: number;
  closed: number;
  localAuthorities: number;
  imports: Omit<SchoolImportSummary, 'errors'>[];
}

export async function schoolsOverview({ db }: ServiceDeps, actor: Actor): Promise<SchoolsOverview> {
  requireOrganiserRead(actor);
  const [counts] = await queryRows<{ schools: number; closed: number; las: number }>(
    db,
    sql`select (select count(*)::int from school) as schools,
               (select count(*)::int from school where status = 'Closed') as closed,
               (select count(*)::int from local_authority) as las`,
  );
  const imports = await queryRows<ImportRow>(
    db,
    sql`select id, file_name, status, rows_read, created, updated, unchanged, '[]'::jsonb as errors,
               started_by, started_at, finished_at
        from school_import order by id desc limit 10`,
  );
  return {
    schools: counts!.schools,
    open: counts!.schools - counts!.closed,
    closed: counts!.closed,
    localAuthorities: counts!.las,
    imports: imports.map((r) => {
      const { errors: _errors, ...rest } = summaryOf(r);
      return rest;
    }),
  };
}

/** School search for anyone signed in (school names and URNs are public): by name, town or URN. */
export async function searchSchools(
  { db }: ServiceDeps,
  _actor: Actor,
  query: string,
  options: { limit?: number; includeClosed?: boolean } = {},
): Promise<SchoolMatch[]> {
  return findSchools(db, query, options.limit ?? 20, {
    includeClosed: options.includeClosed ?? true,
  });
}
