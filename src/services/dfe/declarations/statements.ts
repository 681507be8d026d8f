/**
 * Statements, for reconciliation: the DfE's payment statements and the declaration states and
 * statement ids it reports, read with `filter[updated_since]` and pagination and stored, so staff
 * see which declarations fall in which statement. Nothing here changes a declaration's meaning:
 * only the DfE's own state and statement are copied onto our row (matched by the DfE id).
 */
import { sql } from 'drizzle-orm';
import type { Clock } from '../../../clock.js';
import { queryRows, type Db } from '../../../db/client.js';
import type { Actor } from '../../actor.js';
import { enrolmentVisibleTo } from '../../authorisation.js';
import { ForbiddenError, NotFoundError } from '../../errors.js';
import type { DfeClient } from '../client.js';

const PER_PAGE = 100;
/** Pages read in one refresh at most (100,000 declarations); the rest come at the next. */
const MAX_PAGES = 1000;

export interface StatementRefreshReport {
  statements: number;
  declarationsUpdated: number;
}

export async function refreshStatements({
  db,
  clock,
  client,
}: {
  db: Db;
  clock: Clock;
  client: DfeClient;
}): Promise<StatementRefreshReport> {
  const at = clock.now();
  const [mark] = await queryRows<{ since: string | null }>(
    db,
    sql`select to_char((max(read_at) - interval '1 hour') at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"') as since from dfe_statement`,
  );
  const since = mark?.since ?? undefined;
  const statements: Record<string, unknown>[] = [];
  for (let page = 1; page <= MAX_PAGES; page += 1) {
    const { data, response } = await client.GET('/api/v3/statements', {
      params: { query: { page: { page, per_page: PER_PAGE } } },
    });
    if (!response.ok || !data) throw new Error(`DfE statements answered ${response.status}`);
    for (const s of data.data) {
      statements.push({
        dfe_id: s.id,
        cohort: s.attributes.cohort ?? null,
        month: s.attributes.month ?? null,
        year: s.attributes.year ?? null,
        cut_off_date: s.attributes.cut_off_date?.slice(0, 10) ?? null,
        payment_date: s.attributes.payment_date?.slice(0, 10) ?? null,
        paid: s.attributes.paid ?? null,
        updated_at: s.attributes.updated_at ?? null,
      });
    }
    if (data.data.length < PER_PAGE) break;
  }
  const declarations: { dfe_id: string; state: string; statement_id: string | null }[] = [];
  for (let page = 1; page <= MAX_PAGES; page += 1) {
    const { data, response } = await client.GET('/api/v3/participant-declarations', {
      params: {
        query: {
          ...(since ? { filter: { updated_since: since } } : {}),
          page: { page, per_page: PER_PAGE },
        },
      },
    });
    if (!response.ok || !data) throw new Error(`DfE declarations answered ${response.status}`);
    for (const d of data.data) {
      declarations.push({
        dfe_id: d.id,
        state: d.attributes.state,
        statement_id: d.attributes.statement_id ?? null,
      });
    }
    if (data.data.length < PER_PAGE) break;
  }
  return db.transaction(async (tx) => {
    if (statements.length > 0) {
      await tx.execute(
        sql`insert into dfe_statement (dfe_id, cohort, month, year, cut_off_date, payment_date, paid, updated_at, read_at)
            select dfe_id, cohort, month, year, cut_off_date, payment_date, paid, updated_at, ${at}
            from jsonb_to_recordset(${JSON.stringify(statements)}::jsonb)
              as s(dfe_id text, cohort text, month text, year text, cut_off_date date, payment_date date, paid boolean, updated_at timestamptz)
            on conflict (dfe_id) do update set cohort = excluded.cohort, month = excluded.month,
              year = excluded.year, cut_off_date = excluded.cut_off_date,
              payment_date = excluded.payment_date, paid = excluded.paid,
              updated_at = excluded.updated_at, read_at = excluded.read_at`,
      );
    }
    const [updated] = await queryRows<{ n: number }>(
      tx,
      sql`with u as (
            update dfe_declaration d set dfe_state = x.state, statement_id = x.statement_id, updated_at = ${at}
            from jsonb_to_recordset(${JSON.stringify(declarations)}::jsonb)
              as x(dfe_id text, state text, statement_id text)
            where d.dfe_id = x.dfe_id
              and (d.dfe_state is distinct from x.state or d.statement_id is distinct from x.statement_id)
            returning 1)
          select count(*)::int as n from u`,
    );
    return { statements: statements.length, declarationsUpdated: updated?.n ?? 0 };
  });
}

export interface StatementView {
  dfeId: string;
  cohort: string | null;
  month: string | null;
  year: string | null;
  cutOffDate: string | null;
  paymentDate: string | null;
  paid: boolean | null;
  declarations: number;
}

const READERS: readonly Actor['role'][] = ['admin', 'programme_team'];

/** Statements with how many of our declarations fall in each (programme team and admins). */
export async function listStatements({ db }: { db: Db }, actor: Actor): Promise<StatementView[]> {
  if (!READERS.includes(actor.role)) throw new ForbiddenError();
  const rows = await queryRows<{
    dfe_id: string;
    cohort: string | null;
    month: string | null;
    year: string | null;
    cut_off_date: string | null;
    payment_date: string | null;
    paid: boolean | null;
    declarations: number;
  }>(
    db,
    sql`select s.dfe_id, s.cohort, s.month, s.year, to_char(s.cut_off_date, 'YYYY-MM-DD') as cut_off_date,
               to_char(s.payment_date, 'YYYY-MM-DD') as payment_date, s.paid,
               (select count(*)::int from dfe_declaration d join enrolment e on e.id = d.enrolment_id
                  join cohort c on c.id = e.cohort_id
                  where d.statement_id = s.dfe_id and ${enrolmentVisibleTo(actor)}) as declarations
        from dfe_statement s
        order by s.payment_date desc nulls last, s.dfe_id`,
  );
  return rows.map((r) => ({
    dfeId: r.dfe_id,
    cohort: r.cohort,
    month: r.month,
    year: r.year,
    cutOffDate: r.cut_off_date,
    paymentDate: r.payment_date,
    paid: r.paid,
    declarations: r.declarations,
  }));
}

export interface StatementDeclaration {
  participantId: number;
  fullName: string;
  course: string;
  declarationType: string;
  declarationDate: string;
  dfeState: string | null;
}

/** One statement and the declarations in it. */
export async function statementDeclarations(
  { db }: { db: Db },
  actor: Actor,
  dfeId: string,
): Promise<{ statement: StatementView; declarations: StatementDeclaration[] }> {
  const statement = (await listStatements({ db }, actor)).find((s) => s.dfeId === dfeId);
  if (!statement) throw new NotFoundError('No such statement');
  const declarations = await queryRows<StatementDeclaration>(
    db,
    sql`select p.id as "participantId", p.full_name as "fullName", d.course_identifier as course,
               d.declaration_type as "declarationType",
               to_char(d.declaration_date at time zone 'UTC', 'YYYY-MM-DD') as "declarationDate",
               d.dfe_state as "dfeState"
        from dfe_declaration d join enrolment e on e.id = d.enrolment_id
        join cohort c on c.id = e.cohort_id join participant p on p.id = d.participant_id
        where d.statement_id = ${dfeId} and ${enrolmentVisibleTo(actor)}
        order by p.full_name, d.id
        limit 1000`,
  );
  return { statement, declarations };
}
