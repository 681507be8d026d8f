import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { seedCatalogue } from '../../src/db/seed/catalogue.js';
import { seedDemo } from '../../src/db/seed/demo.js';
import { loadActor } from '../../src/services/actor.js';
import { previewDeferral } from '../../src/services/deferral-cases.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/** A demo made in November 2026 (the 2026 cohorts running) still has somewhere to defer to. */
const NOW = new Date('2026-11-23T09:00:00Z');
let t: TestDatabase;

beforeAll(async () => {
  t = await createTestDatabase();
  await seedCatalogue(t.db);
  await seedDemo(t.db, { participants: 30, withUsers: true, now: NOW });
});
afterAll(async () => {
  await t.destroy();
});

describe('demo cohorts planned ahead', () => {
  it('plans 2027 cohorts with no one in them, except after a final cohort or the contract end', async () => {
    const rows = await queryRows<{ name: string; n: number }>(
      t.db,
      sql`select c.name, (select count(*)::int from enrolment e where e.cohort_id = c.id) as n
          from cohort c where c.year = 2027 order by c.name`,
    );
    expect(rows.map((r) => r.name)).toEqual([
      'NPQEL 2027',
      'NPQLT 2027',
      'NPQSENCO 2027',
      'NPQSL 2027',
    ]);
    expect(rows.every((r) => r.n === 0)).toBe(true);
  });

  it('lets participant1 (NPQSL 2026, on track) see an allowed deferral with a re-join plan', async () => {
    const [row] = await queryRows<{ id: number; user_id: number }>(
      t.db,
      sql`select e.id, u.id as user_id from enrolment e join participant p on p.id = e.participant_id
          join app_user u on u.participant_id = p.id where p.email = 'participant1@demo.npq-ops.test' and e.status = 'active'`,
    );
    const actor = (await loadActor(t.db, row!.user_id))!;
    const preview = await previewDeferral({ db: t.db, clock: fixedClock(NOW) }, actor, {
      enrolmentId: row!.id,
      circumstance: 'illness_or_health',
    });
    expect(preview.deferral.outcome).toBe('allowed');
    expect(preview.deferral.details.plan?.targetCohortId).toBeDefined();
  });
});
