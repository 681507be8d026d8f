import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { addDays, londonDateOf } from '../../src/policy/index.js';
import {
  closeDueAssessmentWindows,
  ensureEntered,
  loadAssessmentContext,
  submitAssessment,
} from '../../src/services/assessment.js';
import {
  approveDeferral,
  recordDeferralDiscussion,
  requestDeferral,
  startDeferral,
} from '../../src/services/deferral-cases.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { TEAM, draftVersion } from '../support/policy-versions.js';

/**
 * Issue 16: the what-if takes deferrals taken and attempts used as they stood on its date, not as
 * recorded today. In the demo (today 16 March 2026) one participant's deferral starts at 00:30 on
 * 21 April (London; 23:30 on 20 April UTC); in NPQSL 2025, whose first window is 22-29 September,
 * one participant submits on 24 September and another, entered and silent, loses the attempt when
 * the window-close job runs on 30 September. Draft 2.3 allows 2 deferrals (1) and 3 attempts (2).
 */
let w: DemoWorld;
let team: Session;
let deferrer: number;
let submitter: number;
let silent: number;

interface Difference {
  outcome: string;
  from: boolean | number;
  to: boolean | number;
  explanation: string;
}
interface Result {
  enrolmentsConsidered: number;
  counts: Record<string, { gained: number; lost: number }>;
  participants: { enrolmentId: number; differences: Difference[] }[];
}

async function whatIf(asOf: string): Promise<Result> {
  const res = await team.request({
    method: 'GET',
    url: `/api/v1/policy-versions/2.3/what-if?asOf=${asOf}`,
  });
  expect(res.statusCode).toBe(200);
  return res.json() as Result;
}

/** The enrolment's difference in one outcome, or undefined when that outcome does not change. */
const differenceOf = (r: Result, enrolmentId: number, outcome: string) =>
  r.participants
    .find((p) => p.enrolmentId === enrolmentId)
    ?.differences.find((d) => d.outcome === outcome);

beforeAll(async () => {
  w = await createDemoWorld();
  team = await w.signIn(TEAM);
  const db = w.t.db;
  const [north] = await queryRows<{ id: number }>(
    db,
    sql`select e.id from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
        join cohort c on c.id = e.cohort_id
        where e.status = 'active' and dp.slug = 'north' and e.deferral_count = 0 and c.name <> 'NPQSL 2025'
        order by e.id limit 1`,
  );
  deferrer = north!.id;
  w.clock.now = () => new Date('2026-04-20T23:30:00Z');
  const staff = await w.actor('partner.north@demo.npq-ops.test');
  const deps = { db, clock: w.clock };
  let c = await requestDeferral(deps, staff, {
    enrolmentId: deferrer,
    circumstance: 'maternity_leave',
    description: 'Baby due in May',
  });
  c = await recordDeferralDiscussion(deps, staff, c.id, {
    expectedVersion: c.version,
    alternativesOffered: ['defer', 'continue_with_current_cohort'],
    participantChoice: 'defer',
  });
  c = await approveDeferral(deps, staff, c.id, { expectedVersion: c.version });
  await startDeferral(deps, staff, c.id, { expectedVersion: c.version });

  const pair = await queryRows<{ id: number }>(
    db,
    sql`select e.id from enrolment e join cohort c on c.id = e.cohort_id
        where c.name = 'NPQSL 2025' and e.status = 'active' and e.assessment_attempts_used = 0
        order by e.id limit 2`,
  );
  [submitter, silent] = pair.map((p) => p.id) as [number, number];
  // Both reach 100% by the engagement deadline, so both may sit the first window.
  await db.execute(sql`
    insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
    select e.participant_id, a.id, a.kind, (c.engagement_deadline - 1)::timestamp + interval '10 hours',
           'staff', 'as-of-' || e.id || '-' || a.id
    from enrolment e join cohort c on c.id = e.cohort_id
    join programme_activity a on a.programme_id = c.programme_id and a.required
    where e.id in (${submitter}, ${silent})
    on conflict do nothing`);
  const inWindow = fixedClock('2026-09-24T10:00:00Z');
  const teamActor = await w.actor(TEAM);
  await submitAssessment({ db, clock: inWindow }, teamActor, { enrolmentId: submitter });
  await db.transaction(async (tx) =>
    ensureEntered(tx, await loadAssessmentContext(tx, silent, '2026-09-24'), inWindow.now()),
  );
  const closing = fixedClock('2026-09-30T05:00:00Z');
  expect(await closeDueAssessmentWindows({ db, clock: closing }, '2026-09-30')).toMatchObject({
    attemptsLost: 1,
  });
  w.clock.now = () => new Date('2026-10-01T09:00:00Z');
  await draftVersion(w, '2.3', { deferralsAllowed: '2', assessmentAttempts: '3' });
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

describe('deferrals taken as of the date (2.3.3, 2.3.9)', () => {
  it('today the deferral is counted; as of 20 April it is not, from 21 April (London) it is', async () => {
    const [today] = await queryRows<{ deferral_count: number }>(
      w.t.db,
      sql`select deferral_count from enrolment where id = ${deferrer}`,
    );
    expect(today!.deferral_count).toBe(1);

    const before = await whatIf('2026-04-20');
    expect(differenceOf(before, deferrer, 'deferral_allowed')).toBeUndefined();
    const on = await whatIf('2026-04-21');
    expect(differenceOf(on, deferrer, 'deferral_allowed')).toEqual({
      outcome: 'deferral_allowed',
      from: false,
      to: true,
      clause: '2.3.3',
      parameter: 'deferralsAllowed',
      explanation:
        'had deferred once by 21 April 2026; deferrals allowed change from 1 to 2, so a further deferral no longer needs an exception (2.3.9).',
    });
    expect(on.counts.deferral_allowed!.gained).toBe(before.counts.deferral_allowed!.gained + 1);
    // The other deferred participants (the demo's) are counted alike either side of the date.
    expect(before.counts.deferral_allowed!.gained).toBeGreaterThan(0);
  });

  it('the page explains the difference with the count as of the date', async () => {
    const page = await team.request({
      method: 'GET',
      url: '/policy-register/what-if?version=2.3&scope=all&asOf=2026-04-21',
    });
    expect(page.statusCode).toBe(200);
    const text = pageText(page.body);
    expect(text).toContain('had deferred once by 21 April 2026');
    expect(text).toContain(
      'Engagement, deferrals taken and attempts used as they stood at the end of this day',
    );
  });
});

describe('attempts used as of the date (2.5.1, 2.5.4)', () => {
  it('a submission counts from its day, an attempt lost from the day the window-close job lost it', async () => {
    const used = await queryRows<{ id: number; used: number }>(
      w.t.db,
      sql`select id, assessment_attempts_used as used from enrolment
          where id in (${submitter}, ${silent}) order by id`,
    );
    expect(used.map((u) => u.used)).toEqual([1, 1]);

    const attemptsOf = async (asOf: string) => {
      const r = await whatIf(asOf);
      return [submitter, silent].map((id) => {
        const d = differenceOf(r, id, 'attempts_left')!;
        return [d.from, d.to, d.explanation.split(';')[0]];
      });
    };
    expect(await attemptsOf('2026-09-23')).toEqual([
      [2, 3, 'had used 0 of 2 attempts by 23 September 2026'],
      [2, 3, 'had used 0 of 2 attempts by 23 September 2026'],
    ]);
    expect(await attemptsOf('2026-09-24')).toEqual([
      [1, 2, 'had used 1 of 2 attempts by 24 September 2026'],
      [2, 3, 'had used 0 of 2 attempts by 24 September 2026'],
    ]);
    expect(await attemptsOf('2026-09-29')).toEqual([
      [1, 2, 'had used 1 of 2 attempts by 29 September 2026'],
      [2, 3, 'had used 0 of 2 attempts by 29 September 2026'],
    ]);
    expect(await attemptsOf('2026-09-30')).toEqual([
      [1, 2, 'had used 1 of 2 attempts by 30 September 2026'],
      [1, 2, 'had used 1 of 2 attempts by 30 September 2026'],
    ]);
  });
});

describe('enrolments that did not exist on the date', () => {
  it('are left out before the day they were created and counted from it', async () => {
    // The latest-created open enrolment of the demo (each gains an attempt under 2.3, so each
    // enrolment considered is listed).
    const [latest] = await queryRows<{ id: number; created_at: Date }>(
      w.t.db,
      sql`select id, created_at from enrolment where status in ('accepted', 'active', 'deferred')
          order by created_at desc, id limit 1`,
    );
    const created = londonDateOf(new Date(latest!.created_at));
    const listed = async (asOf: string) => {
      const r = await whatIf(asOf);
      expect(r.participants).toHaveLength(r.enrolmentsConsidered);
      return r;
    };
    const before = await listed(addDays(created, -1));
    const on = await listed(created);
    expect(before.participants.map((p) => p.enrolmentId)).not.toContain(latest!.id);
    expect(on.participants.map((p) => p.enrolmentId)).toContain(latest!.id);
    expect(on.enrolmentsConsidered).toBeGreaterThan(before.enrolmentsConsidered);
  });
});
