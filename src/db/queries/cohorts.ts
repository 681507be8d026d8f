import { asc, count, desc, eq, sql } from 'drizzle-orm';
import type { Db } from '../client.js';
import { cohort, course, enrolment, programme } from '../schema.js';

export interface CohortSummary {
  id: number;
  name: string;
  year: number;
  startDate: string;
  isFinal: boolean;
  courseName: string;
  courseIdentifier: string;
  participants: number;
  active: number;
  deferred: number;
}

/** Every cohort with its participant counts, in one grouped query. */
export async function listCohortSummaries(db: Db): Promise<CohortSummary[]> {
  return db
    .select({
      id: cohort.id,
      name: cohort.name,
      year: cohort.year,
      startDate: cohort.startDate,
      isFinal: cohort.isFinal,
      courseName: course.name,
      courseIdentifier: course.identifier,
      participants: count(enrolment.id),
      active: sql<number>`(count(*) filter (where ${enrolment.status} = 'active'))::int`,
      deferred: sql<number>`(count(*) filter (where ${enrolment.status} = 'deferred'))::int`,
    })
    .from(cohort)
    .innerJoin(programme, eq(programme.id, cohort.programmeId))
    .innerJoin(course, eq(course.id, programme.courseId))
    .leftJoin(enrolment, eq(enrolment.cohortId, cohort.id))
    .groupBy(cohort.id, course.id)
    .orderBy(desc(cohort.year), asc(course.name));
}
