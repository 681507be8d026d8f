import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../src/db/client.js';

/**
 * A hand-built cohort for the report tests, added to a demo world: eight participants whose every
 * figure is known (see test/web/reports.test.ts for the expected counts). "Today" is the demo's
 * 2026-03-16, so the at-risk series runs weekly from 2025-12-29.
 *
 *  A1 north full time   accepted, not commenced
 *  A2 north part time   active, commenced; retained-1 submitted; two deferral requests declined
 *                       (illness); behind from 2026-03-02; moved school inside the network
 *  A3 north full time   completed and passed (status only); retained-1 and retained-2 live;
 *                       assessment deferral approved (bereavement)
 *  A4 south part time   completed, failed; no commenced_at (counted by status); retained-1 refused;
 *                       assessment deferral declined (bereavement)
 *  A5 south full time   withdrawn after commencing (moving school); deferral declined (other);
 *                       unreachable 2026-01-05, cleared 2026-02-02
 *  A6 south full time   withdrawn, never commenced (started in error)
 *  A7 south full time   applied: not accepted, in no figure
 *  A8 north full time   deferred (illness); behind from 2026-03-16; moved outside the network,
 *                       transfer opened
 */
export interface ReportWorld {
  cohortId: number;
  otherCohortId: number;
  north: number;
  south: number;
  enrolment: Record<string, number>;
  participant: Record<string, number>;
}

/** `db`: a demo database (createDemoWorld's, or a browser world's). */
export async function buildReportWorld(db: Db): Promise<ReportWorld> {
  const [base] = await queryRows<{
    lead_provider_id: number;
    programme_id: number;
    other_cohort: number;
  }>(
    db,
    sql`select lead_provider_id, programme_id, id as other_cohort from cohort order by id limit 1`,
  );
  const [cohort] = await queryRows<{ id: number }>(
    db,
    sql`insert into cohort (lead_provider_id, programme_id, year, name, start_date, engagement_deadline, end_date)
        values (${base!.lead_provider_id}, ${base!.programme_id}, 2031, 'Report test cohort', '2025-09-01', '2026-06-30', '2026-12-31')
        returning id`,
  );
  const cohortId = cohort!.id;
  const [window] = await queryRows<{ id: number }>(
    db,
    sql`insert into assessment_window (cohort_id, sequence_number, opens_on, closes_on)
        values (${cohortId}, 1, '2026-07-01', '2026-07-08') returning id`,
  );
  const partners = await queryRows<{ id: number; slug: string }>(
    db,
    sql`select id, slug from delivery_partner where slug in ('north', 'south')`,
  );
  const north = partners.find((p) => p.slug === 'north')!.id;
  const south = partners.find((p) => p.slug === 'south')!.id;
  const [staff] = await queryRows<{ id: number }>(
    db,
    sql`select id from app_user where role = 'programme_team' order by id limit 1`,
  );
  const schools = await queryRows<{ id: number }>(
    db,
    sql`select id from school order by id limit 2`,
  );

  const people: [string, number, 'full_time' | 'part_time', string, boolean][] = [
    ['A1', north, 'full_time', 'accepted', false],
    ['A2', north, 'part_time', 'active', true],
    ['A3', north, 'full_time', 'completed_passed', false],
    ['A4', south, 'part_time', 'completed_failed', false],
    ['A5', south, 'full_time', 'withdrawn', true],
    ['A6', south, 'full_time', 'withdrawn', false],
    ['A7', south, 'full_time', 'applied', false],
    ['A8', north, 'full_time', 'deferred', true],
  ];
  const enrolment: Record<string, number> = {};
  const participant: Record<string, number> = {};
  for (const [i, [name, partner, pattern, status, commenced]] of people.entries()) {
    const [p] = await queryRows<{ id: number }>(
      db,
      sql`insert into participant (trn, full_name, email, funding_route, working_pattern, part_time_fraction)
          values (${String(9900000 + i)}, ${`Report ${name}`}, ${`report.${name.toLowerCase()}@example.test`},
                  'school', ${pattern}, ${pattern === 'part_time' ? '0.50' : null})
          returning id`,
    );
    const [e] = await queryRows<{ id: number }>(
      db,
      sql`insert into enrolment (participant_id, cohort_id, delivery_partner_id, status, commenced_at)
          values (${p!.id}, ${cohortId}, ${partner}, ${status}, ${commenced ? sql`'2025-09-10T09:00:00Z'::timestamptz` : null})
          returning id`,
    );
    participant[name] = p!.id;
    enrolment[name] = e!.id;
  }
  const declare = (name: string, type: string, status: string) =>
    db.execute(
      sql`insert into dfe_declaration (enrolment_id, participant_id, declaration_type, declaration_date, course_identifier, status)
          values (${enrolment[name]!}, ${participant[name]!}, ${type}, '2026-01-10T09:00:00Z', 'npq-senior-leadership', ${status})`,
    );
  await declare('A2', 'retained-1', 'submitted');
  await declare('A3', 'retained-1', 'submitted');
  await declare('A3', 'retained-2', 'queued');
  await declare('A4', 'retained-1', 'refused');

  const deferral = (name: string, circumstance: string, status: string) =>
    db.execute(
      sql`insert into deferral_case (enrolment_id, participant_id, status, circumstance, description, dfe_reason, requested_on, requested_by)
          values (${enrolment[name]!}, ${participant[name]!}, ${status}, ${circumstance}, 'Test', 'other', '2026-01-05', ${staff!.id})`,
    );
  await deferral('A2', 'illness_or_health', 'declined');
  await deferral('A2', 'illness_or_health', 'declined');
  await deferral('A5', 'other', 'declined');
  await deferral('A8', 'illness_or_health', 'deferred');

  const assessmentDeferral = (name: string, status: string) =>
    db.execute(
      sql`insert into assessment_deferral_case (enrolment_id, window_id, status, circumstance, description, requested_at, requested_by)
          values (${enrolment[name]!}, ${window!.id}, ${status}, 'bereavement', 'Test', '2026-03-01T09:00:00Z', ${staff!.id})`,
    );
  await assessmentDeferral('A3', 'approved');
  await assessmentDeferral('A4', 'declined');

  const withdraw = (name: string, reason: string) =>
    db.execute(
      sql`insert into withdrawal (enrolment_id, reason, withdrawn_on, recorded_by)
          values (${enrolment[name]!}, ${reason}, '2026-02-01', 'user:1')`,
    );
  await withdraw('A5', 'personal-reason-moving-school');
  await withdraw('A6', 'started-in-error');

  const alert = (name: string, kind: string, raised: string, cleared: string | null) =>
    db.execute(
      sql`insert into engagement_alert (kind, enrolment_id, raised_on, details, cleared_on)
          values (${kind}, ${enrolment[name]!}, ${raised}, '{}'::jsonb, ${cleared})`,
    );
  await alert('A2', 'engagement_behind', '2026-03-02', null);
  await alert('A5', 'engagement_unreachable', '2026-01-05', '2026-02-02');
  await alert('A8', 'engagement_behind', '2026-03-16', null);

  const move = async (name: string, inside: boolean) => {
    const [m] = await queryRows<{ id: number }>(
      db,
      sql`insert into school_move (participant_id, enrolment_id, from_school_id, to_school_id, moved_on, inside_network, notified_by, decision)
          values (${participant[name]!}, ${enrolment[name]!}, ${schools[0]!.id}, ${schools[1]!.id}, '2026-02-20', ${inside}, ${staff!.id}, '{}'::jsonb)
          returning id`,
    );
    return m!.id;
  };
  await move('A2', true);
  const outside = await move('A8', false);
  await db.execute(
    sql`insert into transfer_case (school_move_id, enrolment_id, status) values (${outside}, ${enrolment.A8!}, 'opened')`,
  );
  return {
    cohortId,
    otherCohortId: base!.other_cohort,
    north,
    south,
    enrolment,
    participant,
  };
}
