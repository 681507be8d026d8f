import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../src/db/client.js';
import { academicYearOf } from '../src/services/cohort-setup.js';
import { createCliDatabase, type CliDatabase } from './support/cli-database.js';

/**
 * `npx npq-ops cohorts create | show | lead-time` as an operator runs them, acting as a programme
 * team account: the same service as the set-up pages and the API (authorisation, the 2.2.1.1
 * check, audit), on the real clock.
 */
let t: CliDatabase;
const cli = (...args: string[]) => t.cli(args);
const TEAM = 'programme.team@demo.npq-ops.test';
// Two academic years on from today: the demo holds this year's cohorts and next year's.
const year = academicYearOf(new Date().toISOString().slice(0, 10)) + 2;
const start = `${year}-10-04`;

beforeAll(async () => {
  t = await createCliDatabase('cli-cohorts');
  const seeded = await cli('seed', '--demo', '--participants', '5');
  expect(seeded.code, seeded.stderr).toBe(0);
}, 300_000);
afterAll(async () => {
  await t?.destroy();
});

describe('npq-ops cohorts', () => {
  it(
    'creates a cohort, shows it, and changes its lead time only as far as the releases keep it',
    { timeout: 300_000 },
    async () => {
      const created = await cli(
        'cohorts',
        'create',
        '--as',
        TEAM,
        '--programme',
        'npq-early-years-leadership',
        '--start',
        start,
        '--lead-days',
        '10',
        '--json',
      );
      expect(created.code, created.stderr).toBe(0);
      const cohort = JSON.parse(created.stdout) as {
        id: number;
        releaseLeadDays: number;
        modules: { idealWindowStart: string; releaseDate: string }[];
      };
      expect(cohort.releaseLeadDays).toBe(10);
      expect(cohort.modules[0]!.idealWindowStart).toBe(start);

      const shown = await cli('cohorts', 'show', String(cohort.id), '--as', TEAM);
      expect(shown.code).toBe(0);
      expect(shown.stdout).toContain('Modules released at least 10 days before their ideal window');

      const late = await cli('cohorts', 'lead-time', String(cohort.id), '11', '--as', TEAM);
      expect(late.code).toBe(2);
      expect(late.stderr).toContain('CALENDAR.RELEASED_LATE (policy 2.2.1.1)');
      const silly = await cli('cohorts', 'lead-time', String(cohort.id), '40', '--as', TEAM);
      expect(silly.code).toBe(2);
      expect(silly.stderr).toContain('from 0 to 28');
      const partner = await cli(
        'cohorts',
        'lead-time',
        String(cohort.id),
        '3',
        '--as',
        'partner.north@demo.npq-ops.test',
      );
      expect(partner.code).toBe(2);
      expect(partner.stderr).toContain('Only the programme team can set up cohorts');

      const ok = await cli('cohorts', 'lead-time', String(cohort.id), '3', '--as', TEAM);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toContain('now released at least 3 days');

      const database = await t.open();
      try {
        const rows = await queryRows<{ lead: number; audits: number; who: string }>(
          database.db,
          sql`select c.release_lead_days as lead,
                   (select count(*)::int from audit_event a where a.what = 'COHORT_RELEASE_LEAD_DAYS_CHANGED' and a.subject_id = c.id::text) as audits,
                   (select a.who from audit_event a where a.what = 'COHORT_CREATED' and a.subject_id = c.id::text) as who
            from cohort c where c.id = ${cohort.id}`,
        );
        expect(rows[0]).toMatchObject({ lead: 3, audits: 1 });
        expect(rows[0]!.who).toMatch(/^user:\d+$/);
      } finally {
        await database.close();
      }
    },
  );
});
