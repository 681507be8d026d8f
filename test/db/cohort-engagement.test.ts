import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { cohortEngagement } from '../../src/db/queries/cohort-engagement.js';
import { loadEnrolmentFacts } from '../../src/db/queries/enrolment-facts.js';
import { seedCatalogue } from '../../src/db/seed/catalogue.js';
import { DEFAULT_DEMO_NOW, seedDemo } from '../../src/db/seed/demo.js';
import { evaluateEngagement, londonDateOf } from '../../src/policy/index.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let t: TestDatabase;
const everyone = sql`true`;

beforeAll(async () => {
  t = await createTestDatabase();
  await seedCatalogue(t.db);
  await seedDemo(t.db, { participants: 60, now: DEFAULT_DEMO_NOW });
});
afterAll(async () => {
  await t.destroy();
});

describe('cohort engagement (set-based) agrees with the policy rule 2.1.1', () => {
  it.each(['2025-09-01', '2026-03-16', '2027-06-01'])(
    'for every enrolment of every cohort, on %s',
    async (today) => {
      const cohorts = await queryRows<{ id: number }>(t.db, sql`select id from cohort order by id`);
      let compared = 0;
      for (const { id } of cohorts) {
        const rows = await cohortEngagement(t.db, { cohortId: id, today, visibleTo: everyone });
        for (const row of rows) {
          const facts = (await loadEnrolmentFacts(t.db, row.enrolmentId))!;
          const decision = evaluateEngagement({
            course: facts.cohort.course,
            activities: facts.activities,
            completedActivityIds: facts.completedActivityIds,
            deadline: facts.cohort.engagementDeadline,
            today,
          });
          expect({
            completed: row.completedWeight,
            total: row.totalWeight,
            stillPossible: row.stillPossibleWeight,
            bp: row.basisPoints,
            meets: row.meetsThreshold,
            reachable: row.reachable,
          }).toEqual({
            completed: decision.details.completedWeight,
            total: decision.details.totalWeight,
            stillPossible: decision.details.projection.stillPossibleWeight,
            bp: decision.details.basisPoints,
            meets: decision.details.meetsThreshold,
            reachable: decision.details.projection.reachable,
          });
          compared += 1;
        }
      }
      expect(compared).toBeGreaterThan(50);
    },
  );

  it('finds participants at risk and not at risk in the demo', async () => {
    const cohorts = await queryRows<{ id: number }>(
      t.db,
      sql`select id from cohort where year = 2025`,
    );
    const rows = (
      await Promise.all(
        cohorts.map((c) =>
          cohortEngagement(t.db, {
            cohortId: c.id,
            today: londonDateOf(DEFAULT_DEMO_NOW),
            visibleTo: everyone,
          }),
        ),
      )
    ).flat();
    expect(rows.some((r) => r.atRisk)).toBe(true);
    expect(rows.some((r) => !r.atRisk)).toBe(true);
    for (const r of rows) {
      expect(r.projectedBasisPoints).toBeLessThanOrEqual(r.bestPossibleBasisPoints);
    }
    // Whoever can no longer reach the threshold is at risk (and the demo has such people).
    const unreachable = rows.filter((r) => !r.reachable && !r.meetsThreshold);
    expect(unreachable.length).toBeGreaterThan(0);
    expect(unreachable.filter((r) => !r.atRisk)).toEqual([]);
  });

  it('respects the visibility condition', async () => {
    const [cohort] = await queryRows<{ id: number }>(
      t.db,
      sql`select cohort_id as id from enrolment group by cohort_id order by count(*) desc limit 1`,
    );
    const all = await cohortEngagement(t.db, {
      cohortId: cohort!.id,
      today: '2026-03-16',
      visibleTo: everyone,
    });
    const none = await cohortEngagement(t.db, {
      cohortId: cohort!.id,
      today: '2026-03-16',
      visibleTo: sql`false`,
    });
    expect(all.length).toBeGreaterThan(0);
    expect(none).toEqual([]);
  });
});
