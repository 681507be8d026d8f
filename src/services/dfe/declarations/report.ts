/**
 * What staff see of declarations: each participant's on their record, and the milestone report
 * (who is due, submitted, refused and why, with counts per partner and course).
 * Who: the programme team and admins see the lead provider's; delivery-partner staff see their own
 * partner's (read only: only the programme team and admins act on declarations).
 */
import { sql } from 'drizzle-orm';
import type { Clock } from '../../../clock.js';
import { queryRows, type Db } from '../../../db/client.js';
import {
  countDueByPartnerAndCourse,
  countWithoutMilestones,
  findDueDeclarations,
} from '../../../db/queries/declarations-due.js';
import { londonDateOf } from '../../../policy/index.js';
import type { Actor } from '../../actor.js';
import { enrolmentVisibleTo, requireParticipant } from '../../authorisation.js';
import { ForbiddenError } from '../../errors.js';

const REPORT_READERS: readonly Actor['role'][] = [
  'admin',
  'programme_team',
  'delivery_partner_staff',
];
export const DECLARATION_ACTORS: readonly Actor['role'][] = ['admin', 'programme_team'];

export interface DeclarationView {
  id: number;
  enrolmentId: number;
  declarationType: string;
  declarationDate: string;
  courseIdentifier: string;
  hasPassed: boolean | null;
  status: string;
  dfeId: string | null;
  dfeState: string | null;
  statementId: string | null;
  refusal: string | null;
}

/** A participant's declarations (every enrolment the actor may see), oldest first. */
export async function participantDeclarations(
  { db }: { db: Db },
  actor: Actor,
  participantId: number,
): Promise<DeclarationView[]> {
  await requireParticipant(db, actor, participantId);
  return queryRows<DeclarationView>(
    db,
    sql`select d.id::int as id, d.enrolment_id as "enrolmentId", d.declaration_type as "declarationType",
               to_char(d.declaration_date at time zone 'UTC', 'YYYY-MM-DD') as "declarationDate",
               d.course_identifier as "courseIdentifier", d.has_passed as "hasPassed", d.status,
               d.dfe_id as "dfeId", d.dfe_state as "dfeState", d.statement_id as "statementId", d.refusal
        from dfe_declaration d join enrolment e on e.id = d.enrolment_id join cohort c on c.id = e.cohort_id
        where d.participant_id = ${participantId} and ${enrolmentVisibleTo(actor)}
        order by d.declaration_date, d.id`,
  );
}

export interface ReportRow {
  partner: string;
  course: string;
  due: number;
  queued: number;
  submitted: number;
  refused: number;
  voided: number;
}

export interface ListedDeclaration {
  participantId: number;
  fullName: string;
  partner: string;
  course: string;
  declarationType: string;
  declarationDate: string;
  refusal: string | null;
}

export interface MilestoneReport {
  today: string;
  rows: ReportRow[];
  totals: Omit<ReportRow, 'partner' | 'course'>;
  due: ListedDeclaration[];
  refused: ListedDeclaration[];
  /**
   * Commenced participants whose cohort year and schedule have no DfE milestone dates yet:
   * nothing is declared for them until someone enters the dates.
   */
  withoutMilestones: { cohortYear: number; schedule: string; participants: number }[];
}

const LIST_LIMIT = 200;

export async function milestoneReport(
  { db, clock }: { db: Db; clock: Clock },
  actor: Actor,
): Promise<MilestoneReport> {
  if (!REPORT_READERS.includes(actor.role)) throw new ForbiddenError();
  const today = londonDateOf(clock.now());
  const scope = enrolmentVisibleTo(actor);
  const [partners, due, states, dueList, refused, missing] = await Promise.all([
    queryRows<{ id: number; name: string }>(db, sql`select id, name from delivery_partner`),
    countDueByPartnerAndCourse(db, today, scope),
    queryRows<{
      delivery_partner_id: number;
      course_identifier: string;
      status: string;
      n: number;
    }>(
      db,
      sql`select e.delivery_partner_id, d.course_identifier, d.status, count(*)::int as n
          from dfe_declaration d join enrolment e on e.id = d.enrolment_id join cohort c on c.id = e.cohort_id
          where ${scope}
          group by e.delivery_partner_id, d.course_identifier, d.status`,
    ),
    findDueDeclarations(db, today, scope),
    queryRows<ListedDeclaration & { delivery_partner_id: number }>(
      db,
      sql`select p.id as "participantId", p.full_name as "fullName", e.delivery_partner_id,
                 d.course_identifier as course, d.declaration_type as "declarationType",
                 to_char(d.declaration_date at time zone 'UTC', 'YYYY-MM-DD') as "declarationDate", d.refusal
          from dfe_declaration d join enrolment e on e.id = d.enrolment_id join cohort c on c.id = e.cohort_id
          join participant p on p.id = d.participant_id
          where d.status = 'refused' and ${scope}
          order by d.updated_at desc, d.id limit ${LIST_LIMIT}`,
    ),
    countWithoutMilestones(db, scope),
  ]);
  const partnerName = new Map(partners.map((p) => [p.id, p.name]));
  const byKey = new Map<string, ReportRow>();
  const rowFor = (partnerId: number, course: string) => {
    const key = `${partnerId}|${course}`;
    let row = byKey.get(key);
    if (!row) {
      row = {
        partner: partnerName.get(partnerId) ?? '',
        course,
        due: 0,
        queued: 0,
        submitted: 0,
        refused: 0,
        voided: 0,
      };
      byKey.set(key, row);
    }
    return row;
  };
  for (const d of due) rowFor(d.delivery_partner_id, d.course_identifier).due += d.n;
  for (const s of states) {
    const row = rowFor(s.delivery_partner_id, s.course_identifier);
    if (s.status === 'queued') row.queued += s.n;
    else if (s.status === 'submitted' || s.status === 'voiding') row.submitted += s.n;
    else if (s.status === 'refused') row.refused += s.n;
    else if (s.status === 'voided') row.voided += s.n;
  }
  const rows = [...byKey.values()].sort(
    (a, b) => a.partner.localeCompare(b.partner) || a.course.localeCompare(b.course),
  );
  const totals = rows.reduce(
    (t, r) => ({
      due: t.due + r.due,
      queued: t.queued + r.queued,
      submitted: t.submitted + r.submitted,
      refused: t.refused + r.refused,
      voided: t.voided + r.voided,
    }),
    { due: 0, queued: 0, submitted: 0, refused: 0, voided: 0 },
  );
  const shown = dueList.slice(0, LIST_LIMIT);
  const names = shown.length
    ? await queryRows<{ id: number; full_name: string; delivery_partner_id: number }>(
        db,
        sql`select p.id, p.full_name, e.delivery_partner_id from participant p join enrolment e on e.participant_id = p.id
            where e.id in (${sql.join(
              shown.map((d) => sql`${d.enrolment_id}`),
              sql`, `,
            )})`,
      )
    : [];
  const person = new Map(names.map((n) => [n.id, n]));
  return {
    today,
    rows,
    totals,
    due: shown.map((d) => ({
      participantId: d.participant_id,
      fullName: person.get(d.participant_id)?.full_name ?? '',
      partner: partnerName.get(person.get(d.participant_id)?.delivery_partner_id ?? -1) ?? '',
      course: d.course_identifier,
      declarationType: d.declaration_type,
      declarationDate: new Date(d.declaration_date).toISOString().slice(0, 10),
      refusal: null,
    })),
    refused: refused.map(({ delivery_partner_id, ...r }) => ({
      ...r,
      partner: partnerName.get(delivery_partner_id) ?? '',
    })),
    withoutMilestones: missing.map((m) => ({
      cohortYear: m.cohort_year,
      schedule: m.schedule_identifier,
      participants: m.enrolments,
    })),
  };
}

/** The milestone report through the JSON API: the programme team and admins only. */
export async function milestoneReportForTeam(
  deps: { db: Db; clock: Clock },
  actor: Actor,
): Promise<MilestoneReport> {
  if (!DECLARATION_ACTORS.includes(actor.role)) throw new ForbiddenError();
  return milestoneReport(deps, actor);
}
