/**
 * What the fake DfE's applications are made of, read from an npq-ops database: its schools' URNs
 * and the course and year of each of its cohorts, so that accepting one finds its school and
 * cohort (development and tests only).
 */
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../../../db/client.js';
import type { FakeOffer } from './seed.js';
import type { CourseIdentifier } from './state.js';

export async function catalogueForFake(
  db: Db,
  options: { schools?: number; fromYear?: number } = {},
): Promise<{ schoolUrns: string[]; offers: FakeOffer[] }> {
  const schools = await queryRows<{ urn: string }>(
    db,
    sql`select urn from school where status not like 'Closed%' order by id limit ${options.schools ?? 500}`,
  );
  const cohorts = await queryRows<{ identifier: string; year: number }>(
    db,
    sql`select distinct co.identifier, c.year from cohort c
        join programme p on p.id = c.programme_id join course co on co.id = p.course_id
        where c.year >= ${options.fromYear ?? 0}
        order by c.year, co.identifier`,
  );
  return {
    schoolUrns: schools.map((s) => s.urn),
    offers: cohorts.map((c) => ({
      courseIdentifier: c.identifier as CourseIdentifier,
      cohortYear: c.year,
    })),
  };
}
