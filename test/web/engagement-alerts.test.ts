import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { fixedClock } from '../../src/clock.js';
import { cohortEngagement } from '../../src/db/queries/cohort-engagement.js';
import { runDailyProcessing } from '../../src/services/daily.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * Issue 10, bullet 4: the "no longer reachable" and "behind" alerts the daily job raises are shown:
 * on the participant's record, on the cohort's at-risk list with the date raised, and as a count on
 * a partner's home page. They clear when the condition goes.
 */
let w: DemoWorld;
let north: Session;
const DAY = '2026-03-16';

async function expectedAlerts(day: string) {
  const cohorts = await queryRows<{ id: number }>(
    w.t.db,
    sql`select distinct cohort_id as id from enrolment where status = 'active' order by 1`,
  );
  const out: { enrolmentId: number; kind: string }[] = [];
  for (const c of cohorts) {
    for (const r of await cohortEngagement(w.t.db, {
      cohortId: c.id,
      today: day,
      visibleTo: sql`e.status = 'active'`,
    })) {
      if (r.totalWeight === 0 || r.meetsThreshold) continue;
      if (!r.reachable) out.push({ enrolmentId: r.enrolmentId, kind: 'engagement_unreachable' });
      else if (r.atRisk) out.push({ enrolmentId: r.enrolmentId, kind: 'engagement_behind' });
    }
  }
  return out.sort((a, b) => a.enrolmentId - b.enrolmentId || a.kind.localeCompare(b.kind));
}

async function openAlerts() {
  return queryRows<{ enrolmentId: number; kind: string; raisedOn: string }>(
    w.t.db,
    sql`select enrolment_id as "enrolmentId", kind, raised_on::text as "raisedOn" from engagement_alert
        where cleared_on is null order by enrolment_id, kind`,
  );
}

beforeAll(async () => {
  w = await createDemoWorld();
  north = await w.signIn('partner.north@demo.npq-ops.test');
  w.clock.now = () => new Date(`${DAY}T10:00:00Z`);
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

describe('engagement alerts (2.1.1)', () => {
  it('are raised for both kinds exactly where the engagement figures say so', async () => {
    const report = await runDailyProcessing({
      db: w.t.db,
      clock: fixedClock(`${DAY}T06:00:00Z`),
      wallClock: w.sessionClock,
    });
    const expected = await expectedAlerts(DAY);
    const open = await openAlerts();
    expect(open.map(({ enrolmentId, kind }) => ({ enrolmentId, kind }))).toEqual(expected);
    expect(open.every((a) => a.raisedOn === DAY)).toBe(true);
    // The demo has both kinds, so the comparison means something.
    expect(expected.some((a) => a.kind === 'engagement_unreachable')).toBe(true);
    expect(expected.some((a) => a.kind === 'engagement_behind')).toBe(true);
    expect(report.engagementUnreachableAlerts! + report.engagementBehindAlerts!).toBe(
      expected.length,
    );
  });

  it('are counted on the partner’s home page, for their own participants only', async () => {
    const [mine] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(distinct a.enrolment_id)::int as n from engagement_alert a
          join enrolment e on e.id = a.enrolment_id join delivery_partner dp on dp.id = e.delivery_partner_id
          where a.cleared_on is null and e.status = 'active' and dp.slug = 'north'`,
    );
    const [all] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(distinct enrolment_id)::int as n from engagement_alert where cleared_on is null`,
    );
    expect(mine!.n).toBeGreaterThan(0);
    expect(mine!.n).toBeLessThan(all!.n);
    const home = await north.request({ method: 'GET', url: '/' });
    expect(home.statusCode).toBe(200);
    expect(home.body).toMatch(
      new RegExp(`data-testid="alert-count"><strong[^>]*>${mine!.n}</strong>`),
    );
  });

  it('show on the at-risk list with the date raised, and on the participant’s record', async () => {
    const [one] = await queryRows<{
      enrolment_id: number;
      participant_id: number;
      cohort_id: number;
      kind: string;
    }>(
      w.t.db,
      sql`select a.enrolment_id, e.participant_id, e.cohort_id, a.kind from engagement_alert a
          join enrolment e on e.id = a.enrolment_id join delivery_partner dp on dp.id = e.delivery_partner_id
          where a.cleared_on is null and dp.slug = 'north' and a.kind = 'engagement_unreachable'
          order by a.enrolment_id limit 1`,
    );
    const cohort = await north.request({ method: 'GET', url: `/cohorts/${one!.cohort_id}` });
    expect(cohort.statusCode).toBe(200);
    const riskTable = cohort.body.slice(cohort.body.indexOf('data-testid="at-risk"'));
    expect(riskTable).toContain(`data-alert-raised="${DAY}"`);
    expect(riskTable).toContain('90% can no longer be reached, raised 16 March 2026');

    const record = await north.request({
      method: 'GET',
      url: `/participants/${one!.participant_id}`,
    });
    expect(record.statusCode).toBe(200);
    expect(record.body).toContain('data-testid="alert-engagement_unreachable"');
    expect(record.body).toContain('raised on 16 March 2026');
    expect(record.body).toContain('href="/policy#clause-2-1-1"');
  });

  it('clear when the condition goes, and leave the count and the record', async () => {
    const [behind] = await queryRows<{ enrolment_id: number; participant_id: number }>(
      w.t.db,
      sql`select a.enrolment_id, e.participant_id from engagement_alert a join enrolment e on e.id = a.enrolment_id
          join delivery_partner dp on dp.id = e.delivery_partner_id
          where a.cleared_on is null and a.kind = 'engagement_behind' and dp.slug = 'north'
          order by a.enrolment_id limit 1`,
    );
    expect(behind).toBeDefined();
    // They catch up: everything required done.
    await w.t.db.execute(sql`
      insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
      select e.participant_id, a.id, a.kind, ${`${DAY}T09:00:00Z`}::timestamptz, 'staff', 'alerts-' || e.id || '-' || a.id
      from enrolment e join cohort c on c.id = e.cohort_id
      join programme_activity a on a.programme_id = c.programme_id and a.required
      where e.id = ${behind!.enrolment_id}
      on conflict do nothing`);
    const before = await openAlerts();
    const report = await runDailyProcessing({
      db: w.t.db,
      clock: fixedClock('2026-03-17T06:00:00Z'),
      wallClock: w.sessionClock,
    });
    expect(report.engagementAlertsCleared).toBeGreaterThanOrEqual(1);
    const after = await openAlerts();
    expect(after.some((a) => a.enrolmentId === behind!.enrolment_id)).toBe(false);
    expect(before.some((a) => a.enrolmentId === behind!.enrolment_id)).toBe(true);
    const [kept] = await queryRows<{ cleared_on: string }>(
      w.t.db,
      sql`select cleared_on::text from engagement_alert where enrolment_id = ${behind!.enrolment_id}`,
    );
    expect(kept!.cleared_on).toBe('2026-03-17');
    const record = await north.request({
      method: 'GET',
      url: `/participants/${behind!.participant_id}`,
    });
    expect(record.body).not.toContain('data-testid="alert-engagement_behind"');
  });
});
