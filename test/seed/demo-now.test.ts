import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { seedDemo } from '../../src/db/seed/demo.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** The app may seed with the real clock: statuses and history must follow whatever "now" is. */
const NOW = new Date('2026-11-23T12:00:00Z');

let t: TestDatabase;
beforeAll(async () => {
  t = await createTestDatabase();
  await seedDemo(t.db, { participants: 80, seed: 7, now: NOW });
});
afterAll(async () => {
  await t?.destroy();
});

describe('seedDemo with another now', () => {
  it('never records engagement after now and keeps statuses in step with cohort dates', async () => {
    const rows = await queryRows<{ phase: string; status: string; records: number }>(
      t.db,
      sql`select case when c.start_date > ${NOW.toISOString()}::date then 'future'
                      when c.end_date <= ${NOW.toISOString()}::date then 'finished' else 'running' end as phase,
                 e.status,
                 (select count(*)::int from engagement_record r where r.participant_id = e.participant_id
                    and r.occurred_at > ${NOW.toISOString()}::timestamptz) as records
          from enrolment e join cohort c on c.id = e.cohort_id`,
    );
    expect(rows.every((r) => r.records === 0)).toBe(true);
    const finished = rows.filter((r) => r.phase === 'finished');
    expect(finished.length).toBeGreaterThan(0);
    expect(finished.some((r) => ['applied', 'accepted', 'active'].includes(r.status))).toBe(false);
    // The 2026 cohorts started in October 2026, so by late November they are under way.
    const running = await queryRows<{ n: number }>(
      t.db,
      sql`select count(distinct r.participant_id)::int as n from engagement_record r
          join enrolment e on e.participant_id = r.participant_id join cohort c on c.id = e.cohort_id
          where c.year = 2026 and e.status = 'active'`,
    );
    expect(running[0]!.n).toBeGreaterThan(0);
  });

  it('creates no participant or enrolment after now, so a what-if as of today sees them all', async () => {
    // In late August the 2026 cohorts (October) are still to start: their enrolments are made.
    const august = await createTestDatabase();
    const NOW = new Date('2026-08-20T12:00:00Z');
    await seedDemo(august.db, { participants: 80, seed: 7, now: NOW });
    const [row] = await queryRows<{ future_cohort: number; late: number }>(
      august.db,
      sql`select count(*) filter (where c.start_date > ${NOW.toISOString()}::date)::int as future_cohort,
                 count(*) filter (where e.created_at > ${NOW.toISOString()}::timestamptz
                                     or p.created_at > ${NOW.toISOString()}::timestamptz)::int as late
          from enrolment e join cohort c on c.id = e.cohort_id join participant p on p.id = e.participant_id`,
    );
    expect(row!.future_cohort).toBeGreaterThan(0);
    expect(row!.late).toBe(0);
    await august.destroy();
  }, 120_000);
});
