import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { arrayParam, queryRows } from '../../src/db/client.js';
import { seedCatalogue } from '../../src/db/seed/catalogue.js';
import { DEFAULT_DEMO_NOW, seedDemo } from '../../src/db/seed/demo.js';
import { loadAssessmentContext } from '../../src/services/assessment.js';
import { runDailyProcessing } from '../../src/services/daily.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * 2.5.4 for people who never open their assessment page: the daily job enters everyone eligible
 * into the open window, a silent non-submission then loses the attempt, and with none left the
 * enrolment completes without passing.
 */
let t: TestDatabase;
let cohortId: number;
let windows: { id: number; opens_on: string; closes_on: string }[];

beforeAll(async () => {
  t = await createTestDatabase();
  await seedCatalogue(t.db);
  await seedDemo(t.db, { participants: 80, now: DEFAULT_DEMO_NOW });
  // The 2025 cohort with the most active participants; its windows open after its deadline.
  const [c] = await queryRows<{ id: number }>(
    t.db,
    sql`select c.id from cohort c join enrolment e on e.cohort_id = c.id
        where c.year = 2025 and e.status = 'active' group by c.id order by count(*) desc, c.id limit 1`,
  );
  cohortId = c!.id;
  windows = await queryRows(
    t.db,
    sql`select id, opens_on::text, closes_on::text from assessment_window where cohort_id = ${cohortId} order by sequence_number`,
  );
});
afterAll(async () => {
  await t.destroy();
});

async function lostIn(windowId: number): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    t.db,
    sql`select count(*)::int as n from assessment_window_result where window_id = ${windowId} and result = 'attempt_lost'`,
  );
  return row!.n;
}

const day = (iso: string) => fixedClock(`${iso}T12:00:00Z`);
const nextDay = (iso: string) =>
  new Date(Date.parse(`${iso}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);

describe('daily job: assessment windows (2.5.4)', () => {
  it('enters exactly the eligible participants while the first window is open, once', async () => {
    expect(windows.length).toBeGreaterThanOrEqual(2);
    const first = windows[0]!;
    const report = await runDailyProcessing({ db: t.db, clock: day(first.opens_on) });
    const entered = await queryRows<{ enrolment_id: number }>(
      t.db,
      sql`select ae.enrolment_id from assessment_entry ae join enrolment e on e.id = ae.enrolment_id where e.cohort_id = ${cohortId}`,
    );
    expect(report.assessmentEntries).toBeGreaterThan(0);
    const active = await queryRows<{ id: number }>(
      t.db,
      sql`select id from enrolment where cohort_id = ${cohortId} and status = 'active' order by id`,
    );
    const enteredIds = new Set(entered.map((e) => e.enrolment_id));
    let below = 0;
    for (const { id } of active) {
      const ctx = await loadAssessmentContext(t.db, id, first.opens_on);
      const eligible = ctx.eligibility?.outcome === 'allowed';
      expect(enteredIds.has(id), `enrolment ${id} entered iff eligible`).toBe(eligible);
      if (!eligible) below += 1;
    }
    expect(below).toBeGreaterThan(0);
    const again = await runDailyProcessing({ db: t.db, clock: day(first.opens_on) });
    expect(again.assessmentEntries).toBe(0);
  });

  it('takes an attempt from each silent non-submitter at close, and moves them to the next window', async () => {
    const [first, second] = [windows[0]!, windows[1]!];
    const [{ n: enteredCount }] = (await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from assessment_entry ae join enrolment e on e.id = ae.enrolment_id where e.cohort_id = ${cohortId}`,
    )) as [{ n: number }];
    const report = await runDailyProcessing({ db: t.db, clock: day(nextDay(first.closes_on)) });
    expect(report.assessmentAttemptsLost).toBeGreaterThanOrEqual(enteredCount);
    expect(await lostIn(first.id)).toBe(enteredCount);
    const moved = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from assessment_entry ae join enrolment e on e.id = ae.enrolment_id
          where e.cohort_id = ${cohortId} and ae.window_id = ${second.id} and e.assessment_attempts_used = 1`,
    );
    expect(moved[0]!.n).toBe(enteredCount);
  });

  it('completes without passing those who lose their last attempt', async () => {
    const second = windows[1]!;
    const before = await queryRows<{ id: number }>(
      t.db,
      sql`select e.id from assessment_entry ae join enrolment e on e.id = ae.enrolment_id
          where e.cohort_id = ${cohortId} and ae.window_id = ${second.id} and e.status = 'active' order by e.id`,
    );
    expect(before.length).toBeGreaterThan(0);
    const report = await runDailyProcessing({ db: t.db, clock: day(nextDay(second.closes_on)) });
    expect(await lostIn(second.id)).toBe(before.length);
    expect(report.completedWithoutPassing).toBeGreaterThanOrEqual(before.length);
    const after = await queryRows<{ status: string; used: number }>(
      t.db,
      sql`select distinct status, assessment_attempts_used as used from enrolment where id = any(${arrayParam(before.map((b) => b.id))}::int[])`,
    );
    expect(after).toEqual([{ status: 'completed_failed', used: 2 }]);
    const again = await runDailyProcessing({ db: t.db, clock: day(nextDay(second.closes_on)) });
    expect(again.completedWithoutPassing).toBe(0);
    expect(again.assessmentAttemptsLost).toBe(0);
  });
});
