import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { formatBasisPoints } from '../../src/policy/index.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * Issue 10: the at-risk list and its CSV show "expected by today" (what is due by today at the
 * ideal windows' pace, over the total) next to the actual engagement, from the same set-based
 * statement as the list; every figure equals the policy function's for that one enrolment.
 */
let w: DemoWorld;
let north: Session;
let cohortId: number;
/** Hand-built: a north participant with nothing done and nothing booked. */
let idle: { participant_id: number; enrolment_id: number };

/** The policy function's expected figure for one enrolment (evaluateEngagement's projection). */
async function policyExpected(enrolmentId: number): Promise<number> {
  const res = await north.request({
    method: 'GET',
    url: `/api/v1/enrolments/${enrolmentId}/engagement`,
  });
  expect(res.statusCode).toBe(200);
  return (res.json() as { decision: { details: { projection: { expectedBasisPoints: number } } } })
    .decision.details.projection.expectedBasisPoints;
}

beforeAll(async () => {
  w = await createDemoWorld();
  north = await w.signIn('partner.north@demo.npq-ops.test');
  const [row] = await queryRows<{
    participant_id: number;
    enrolment_id: number;
    cohort_id: number;
  }>(
    w.t.db,
    sql`select e.participant_id, e.id as enrolment_id, e.cohort_id from enrolment e
        join delivery_partner dp on dp.id = e.delivery_partner_id
        where dp.slug = 'north' and e.status = 'active'
          and (select count(*) from enrolment e2 where e2.participant_id = e.participant_id) = 1
        order by e.id limit 1`,
  );
  idle = row!;
  cohortId = row!.cohort_id;
  await w.t.db.execute(
    sql`delete from engagement_record where participant_id = ${idle.participant_id}`,
  );
  await w.t.db.execute(
    sql`delete from event_booking where participant_id = ${idle.participant_id}`,
  );
  await w.t.db.execute(
    sql`delete from coaching_session where participant_id = ${idle.participant_id}`,
  );
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

describe('"expected by today" on the at-risk list', () => {
  it('is a column of the table, equal to the policy function for every row', async () => {
    const res = await north.request({ method: 'GET', url: `/cohorts/${cohortId}` });
    expect(res.statusCode).toBe(200);
    const table = res.body.slice(
      res.body.indexOf('data-testid="at-risk"'),
      res.body.indexOf('</table>', res.body.indexOf('data-testid="at-risk"')),
    );
    expect(table).toMatch(/<th[^>]*>Engagement<\/th>\s*<th[^>]*>Expected by today<\/th>/);
    const rows = [
      ...table.matchAll(
        /href="\/participants\/(\d+)"[\s\S]*?<td[^>]*>([^<]+)<\/td>\s*<td[^>]*data-expected="(\d+)"[^>]*>\s*([^<]+?)\s*<\/td>/g,
      ),
    ];
    expect(rows.length).toBeGreaterThan(1);
    const enrolments = await queryRows<{ participant_id: number; id: number }>(
      w.t.db,
      sql`select participant_id, id from enrolment where cohort_id = ${cohortId}`,
    );
    const enrolmentOf = new Map(enrolments.map((e) => [e.participant_id, e.id]));
    for (const [, pid, , bp, shown] of rows) {
      const expected = await policyExpected(enrolmentOf.get(Number(pid))!);
      expect(Number(bp), `participant ${pid}`).toBe(expected);
      expect(shown).toBe(formatBasisPoints(expected));
    }
    // The hand-built participant is at risk, with something due by today, and shown as such.
    const mine = rows.find((r) => Number(r[1]) === idle.participant_id);
    expect(mine, 'the idle participant is on the at-risk list').toBeDefined();
    expect(mine![2]!.trim()).toBe('0.0%');
    const expected = await policyExpected(idle.enrolment_id);
    expect(expected).toBeGreaterThan(0);
    expect(expected).toBeLessThan(10_000);
    expect(mine![4]).toBe(formatBasisPoints(expected));
  });

  it('is a column of the CSV, next to the engagement, equal to the policy function', async () => {
    const csv = await north.request({
      method: 'GET',
      url: `/cohorts/${cohortId}/export.csv?atRisk=yes`,
    });
    expect(csv.statusCode).toBe(200);
    const [header, ...lines] = csv.body.trim().split('\r\n');
    const cols = header!.split(',');
    expect(cols.indexOf('expected_by_today')).toBe(cols.indexOf('engagement') + 1);
    expect(lines.length).toBeGreaterThan(1);
    const at = cols.indexOf('expected_by_today');
    let sawIdle = false;
    for (const line of lines) {
      // No names with commas in the demo's north cohort, so a plain split is enough here.
      const cells = line.split(',');
      const enrolmentId = Number(cells[cols.indexOf('enrolment_id')]);
      expect(cells[at]).toBe(formatBasisPoints(await policyExpected(enrolmentId)));
      if (enrolmentId === idle.enrolment_id) sawIdle = true;
    }
    expect(sawIdle).toBe(true);
  });
});
