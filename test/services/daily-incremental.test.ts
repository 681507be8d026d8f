/**
 * The daily job is incremental (issue 13): the engagement alerts and the behind-the-window nudges
 * look only at what changed or fell due since the step last ran. These tests hold it to the same
 * results as a run that looks at everything (`everything: true`, what the first run does), from
 * the same state: the full run in a transaction rolled back afterwards, then the incremental run.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows, type Db } from '../../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import { addDays, londonDateOf } from '../../src/policy/index.js';
import { runDailyProcessing, type DailyReport } from '../../src/services/daily.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';
import { approveVersion } from '../support/policy-versions.js';

let w: DemoWorld;
/** Every statement sent, while `recording` (to see what a run looked at). */
let recording: string[] | null = null;

beforeAll(async () => {
  w = await createDemoWorld({
    onQuery: (statement) => recording?.push(statement),
  });
});
afterAll(async () => {
  await w.destroy();
});

const DEMO_TODAY = londonDateOf(DEFAULT_DEMO_NOW);
const clockOn = (day: string) => fixedClock(`${day}T02:15:00Z`);

/** What the two steps leave behind, without ids (a rolled-back run still uses up sequence values). */
async function outcome(db: Db) {
  const alerts = await queryRows(
    db,
    sql`select kind, enrolment_id, raised_on::text, cleared_on::text, details
        from engagement_alert order by kind, enrolment_id`,
  );
  const notices = await queryRows(
    db,
    sql`select template, to_email, notice_key, personalisation, created_at::text
        from email_message where notice_key is not null order by notice_key`,
  );
  return { alerts, notices };
}

class RolledBack extends Error {}

/** The daily job looking at everything on `day`, from the current state, rolled back afterwards. */
async function fullRunOn(day: string) {
  let result: { report: DailyReport; after: Awaited<ReturnType<typeof outcome>> } | null = null;
  try {
    await w.t.db.transaction(async (outer) => {
      const db = outer as unknown as Db;
      const report = await runDailyProcessing({
        db,
        clock: clockOn(day),
        wallClock: w.sessionClock,
        everything: true,
      });
      result = { report, after: await outcome(db) };
      throw new RolledBack();
    });
  } catch (error) {
    if (!(error instanceof RolledBack)) throw error;
  }
  return result!;
}

async function incrementalRunOn(day: string) {
  const report = await runDailyProcessing({
    db: w.t.db,
    clock: clockOn(day),
    wallClock: w.sessionClock,
  });
  return { report, after: await outcome(w.t.db) };
}

/** Runs the job incrementally on `day` and checks it against a full run from the same state. */
async function expectSameAsFull(day: string) {
  const full = await fullRunOn(day);
  const incremental = await incrementalRunOn(day);
  expect(incremental.report).toEqual(full.report);
  expect(incremental.after).toEqual(full.after);
  return incremental;
}

const engagementStatements = (statements: string[]) =>
  statements.filter((s) => /^with c as \(select c\.id/.test(s.trim()));
const nudgeStatements = (statements: string[]) =>
  statements.filter((s) => /^with behind as/.test(s.trim()));

async function recorded<T>(work: () => Promise<T>): Promise<[T, string[]]> {
  recording = [];
  try {
    const result = await work();
    return [result, recording];
  } finally {
    recording = null;
  }
}

/* ---------------------------------------------------------------------------------------------
 * Changes a test can make, each as a hand-written statement would (the triggers see every writer).
 * `k` picks a row among those that qualify (modulo how many there are).
 * ------------------------------------------------------------------------------------------- */

let serial = 0;

type Change =
  | { kind: 'evidence'; k: number; daysAgo: number }
  | { kind: 'evidenceRemoved'; k: number }
  | { kind: 'booking'; k: number; attended: boolean }
  | { kind: 'bookingCancelled'; k: number }
  | { kind: 'coaching'; k: number; inDays: number }
  | { kind: 'status'; k: number; status: 'active' | 'withdrawn' | 'deferred' }
  | { kind: 'releaseMoved'; k: number; days: number }
  | { kind: 'eventMoved'; k: number; days: number }
  | { kind: 'deadlineMoved'; k: number; days: number }
  | { kind: 'nudges'; k: number; on: boolean }
  | { kind: 'email'; k: number }
  | { kind: 'nudgeDeleted'; k: number }
  | { kind: 'alertDeleted'; k: number }
  | { kind: 'weight'; k: number }
  | { kind: 'policy'; thresholdPercent: number; inDays: number };

async function count(query: ReturnType<typeof sql>): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    w.t.db,
    sql`select count(*)::int as n from (${query}) x`,
  );
  return row!.n;
}

/** Applies a change as of `day`; returns false when there was nothing to apply it to. */
async function apply(change: Change, day: string): Promise<boolean> {
  const db = w.t.db;
  const pick = async (query: ReturnType<typeof sql>, k: number) => {
    const n = await count(query);
    return n === 0 ? null : k % n;
  };
  switch (change.kind) {
    case 'evidence': {
      const pairs = sql`select e.participant_id, a.id as activity_id, a.kind
                        from enrolment e join cohort c on c.id = e.cohort_id
                        join programme_activity a on a.programme_id = c.programme_id`;
      const offset = await pick(pairs, change.k);
      if (offset === null) return false;
      serial += 1;
      await db.execute(
        sql`insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
            select participant_id, activity_id, kind, ${`${addDays(day, -change.daysAgo)}T10:00:00Z`}::timestamptz,
                   'platform', ${`incremental-test-${serial}`}
            from (${pairs} order by participant_id, activity_id offset ${offset} limit 1) x`,
      );
      return true;
    }
    case 'evidenceRemoved': {
      const offset = await pick(sql`select id from engagement_record`, change.k);
      if (offset === null) return false;
      await db.execute(
        sql`delete from engagement_record where id = (select id from engagement_record order by id offset ${offset} limit 1)`,
      );
      return true;
    }
    case 'booking': {
      const options = sql`select e.participant_id, e.id as enrolment_id, ev.id as event_id
                          from enrolment e join cohort_event ev on ev.cohort_id = e.cohort_id`;
      const offset = await pick(options, change.k);
      if (offset === null) return false;
      await db.execute(
        sql`insert into event_booking (participant_id, enrolment_id, cohort_event_id, status, booked_at)
            select participant_id, enrolment_id, event_id, ${change.attended ? 'attended' : 'booked'}, now()
            from (${options} order by enrolment_id, event_id offset ${offset} limit 1) x
            on conflict do nothing`,
      );
      return true;
    }
    case 'bookingCancelled': {
      const offset = await pick(
        sql`select id from event_booking where status <> 'cancelled'`,
        change.k,
      );
      if (offset === null) return false;
      await db.execute(
        sql`update event_booking set status = 'cancelled', cancelled_at = now()
            where id = (select id from event_booking where status <> 'cancelled' order by id offset ${offset} limit 1)`,
      );
      return true;
    }
    case 'coaching': {
      const options = sql`select e.participant_id, e.id as enrolment_id, a.id as activity_id
                          from enrolment e join cohort c on c.id = e.cohort_id
                          join programme_activity a on a.programme_id = c.programme_id and a.kind = 'coaching'`;
      const offset = await pick(options, change.k);
      if (offset === null) return false;
      const starts = `${addDays(day, change.inDays)}T15:00:00Z`;
      await db.execute(
        sql`insert into coaching_session (enrolment_id, participant_id, coach_user_id, activity_id, starts_at, ends_at, status)
            select enrolment_id, participant_id, (select min(id) from app_user), activity_id,
                   ${starts}::timestamptz, ${starts}::timestamptz + interval '1 hour', 'scheduled'
            from (${options} order by enrolment_id, activity_id offset ${offset} limit 1) x`,
      );
      return true;
    }
    case 'status': {
      // Among enrolments not already in that status, those with an open alert first (the change
      // then matters to the alerts).
      const others = sql`select e.id from enrolment e
                         left join engagement_alert a on a.enrolment_id = e.id and a.cleared_on is null
                         where e.status <> ${change.status}
                         group by e.id order by count(a.id) desc, e.id`;
      const offset = await pick(others, change.k % 3);
      if (offset === null) return false;
      await db.execute(
        sql`update enrolment set status = ${change.status}, version = version + 1
            where id = (${others} offset ${offset} limit 1)`,
      );
      return true;
    }
    case 'releaseMoved': {
      const offset = await pick(sql`select 1 from cohort_module_release`, change.k);
      if (offset === null) return false;
      await db.execute(
        sql`update cohort_module_release r
            set release_date = release_date + ${change.days}::int,
                ideal_window_start = ideal_window_start + ${change.days}::int,
                ideal_window_end = ideal_window_end + ${change.days}::int
            from (select cohort_id, module_id from cohort_module_release
                  order by cohort_id, module_id offset ${offset} limit 1) x
            where r.cohort_id = x.cohort_id and r.module_id = x.module_id`,
      );
      return true;
    }
    case 'eventMoved': {
      const offset = await pick(sql`select id from cohort_event`, change.k);
      if (offset === null) return false;
      await db.execute(
        sql`update cohort_event set starts_at = starts_at + make_interval(days => ${change.days}::int),
                                    ends_at = ends_at + make_interval(days => ${change.days}::int)
            where id = (select id from cohort_event order by id offset ${offset} limit 1)`,
      );
      return true;
    }
    case 'deadlineMoved': {
      const offset = await pick(sql`select id from cohort`, change.k);
      if (offset === null) return false;
      await db.execute(
        sql`update cohort
            set engagement_deadline = least(end_date, greatest(start_date + 1, engagement_deadline + ${change.days}::int))
            where id = (select id from cohort order by id offset ${offset} limit 1)`,
      );
      return true;
    }
    case 'nudges': {
      const offset = await pick(sql`select id from participant`, change.k);
      if (offset === null) return false;
      await db.execute(
        sql`insert into notice_preference (participant_id, nudges)
            select id, ${change.on} from participant order by id offset ${offset} limit 1
            on conflict (participant_id) do update set nudges = excluded.nudges`,
      );
      return true;
    }
    case 'email': {
      const offset = await pick(sql`select id from participant`, change.k);
      if (offset === null) return false;
      serial += 1;
      await db.execute(
        sql`update participant set email = ${`moved-${serial}@example.test`}
            where id = (select id from participant order by id offset ${offset} limit 1)`,
      );
      return true;
    }
    case 'nudgeDeleted': {
      const nudges = sql`select id from email_message where template = 'notice_behind_window'`;
      const offset = await pick(nudges, change.k);
      if (offset === null) return false;
      await db.execute(
        sql`delete from email_message where id = (${nudges} order by id offset ${offset} limit 1)`,
      );
      return true;
    }
    case 'alertDeleted': {
      const offset = await pick(sql`select id from engagement_alert`, change.k);
      if (offset === null) return false;
      await db.execute(
        sql`delete from engagement_alert where id = (select id from engagement_alert order by id offset ${offset} limit 1)`,
      );
      return true;
    }
    case 'weight': {
      const offset = await pick(sql`select id from programme_activity where required`, change.k);
      if (offset === null) return false;
      await db.execute(
        sql`update programme_activity set weight = coalesce(weight, planned_minutes) + 5
            where id = (select id from programme_activity where required order by id offset ${offset} limit 1)`,
      );
      return true;
    }
    case 'policy': {
      // The test versions are reviewed on 1 July 2027 (editOf) and must come into force before.
      const issuedOn = addDays(day < DEMO_TODAY ? DEMO_TODAY : day, change.inDays);
      if (issuedOn >= '2027-06-30') return false;
      serial += 1;
      await approveVersion(
        w,
        `9.${serial}`,
        { engagementThresholdBp: String(change.thresholdPercent) },
        issuedOn,
      );
      return true;
    }
  }
}

/** Changes to participants and cohorts (never everything). */
const localChangeArb: fc.Arbitrary<Change> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('evidence' as const),
      k: fc.nat(),
      daysAgo: fc.integer({ min: 0, max: 60 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('evidenceRemoved' as const), k: fc.nat() }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('booking' as const),
      k: fc.nat(),
      attended: fc.boolean(),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('bookingCancelled' as const), k: fc.nat() }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('coaching' as const),
      k: fc.nat(),
      inDays: fc.integer({ min: -10, max: 20 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      kind: fc.constant('status' as const),
      k: fc.nat(),
      status: fc.constantFrom('active' as const, 'withdrawn' as const, 'deferred' as const),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('releaseMoved' as const),
      k: fc.nat(),
      days: fc.integer({ min: -20, max: 20 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('eventMoved' as const),
      k: fc.nat(),
      days: fc.integer({ min: -30, max: 30 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('deadlineMoved' as const),
      k: fc.nat(),
      days: fc.integer({ min: -60, max: 60 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('nudges' as const), k: fc.nat(), on: fc.boolean() }),
  },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('email' as const), k: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('nudgeDeleted' as const), k: fc.nat() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('alertDeleted' as const), k: fc.nat() }) },
);

/** Any change, including those that make the steps look at everything. */
const changeArb: fc.Arbitrary<Change> = fc.oneof(
  { weight: 3, arbitrary: localChangeArb },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('weight' as const), k: fc.nat() }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('policy' as const),
      thresholdPercent: fc.constantFrom(80, 95),
      inDays: fc.integer({ min: 0, max: 3 }),
    }),
  },
);

describe('the daily job, incremental (issue 13)', () => {
  let day = DEMO_TODAY;

  it('on a second run with nothing changed, works nothing out again and changes nothing', async () => {
    await runDailyProcessing({ db: w.t.db, clock: clockOn(day), wallClock: w.sessionClock });
    const before = await outcome(w.t.db);
    expect(before.alerts.length).toBeGreaterThan(0);
    expect(
      before.notices.some((n) => (n as { template: string }).template === 'notice_behind_window'),
    ).toBe(true);

    const [, statements] = await recorded(() => incrementalRunOn(day));
    expect(engagementStatements(statements)).toEqual([]);
    expect(nudgeStatements(statements)).toEqual([]);
    expect(await outcome(w.t.db)).toEqual(before);
    // The same run looking at everything works out every cohort with active enrolments again and
    // finds the same.
    const [full, fullStatements] = await recorded(() => fullRunOn(day));
    expect(engagementStatements(fullStatements).length).toBeGreaterThan(1);
    expect(nudgeStatements(fullStatements)).toHaveLength(1);
    expect(full.after).toEqual(before);
  });

  it('after evidence for one participant, works out only their cohort, with the same result as a full run', async () => {
    const [someone] = await queryRows<{ participant_id: number; enrolment_id: number }>(
      w.t.db,
      sql`select e.participant_id, a.enrolment_id from engagement_alert a
          join enrolment e on e.id = a.enrolment_id
          where a.cleared_on is null and a.kind = 'engagement_behind' order by a.id limit 1`,
    );
    expect(someone).toBeDefined();
    // Everything they have still to do, done yesterday: the alert must clear.
    serial += 1;
    await w.t.db.execute(
      sql`insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
          select e.participant_id, a.id, a.kind, ${`${addDays(day, -1)}T10:00:00Z`}::timestamptz, 'platform',
                 'incremental-all-' || a.id
          from enrolment e join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id and a.required
          where e.id = ${someone!.enrolment_id}`,
    );
    const full = await fullRunOn(day);
    const [incremental, statements] = await recorded(() => incrementalRunOn(day));
    expect(incremental.report).toEqual(full.report);
    expect(incremental.after).toEqual(full.after);
    expect(incremental.report.engagementAlertsCleared).toBe(1);
    const engagement = engagementStatements(statements);
    expect(engagement).toHaveLength(1);
  });

  it('after a participant is withdrawn, clears their alert as a full run does', async () => {
    const [open] = await queryRows<{ enrolment_id: number }>(
      w.t.db,
      sql`select a.enrolment_id from engagement_alert a join enrolment e on e.id = a.enrolment_id
          where a.cleared_on is null and e.status = 'active' order by a.id limit 1`,
    );
    await w.t.db.execute(
      sql`update enrolment set status = 'withdrawn' where id = ${open!.enrolment_id}`,
    );
    const incremental = await expectSameAsFull(day);
    expect(incremental.report.engagementAlertsCleared).toBe(1);
  });

  it('after a booking, works out only that participant again, as a full run does', async () => {
    const [option] = await queryRows<{
      participant_id: number;
      enrolment_id: number;
      event_id: number;
    }>(
      w.t.db,
      sql`select e.participant_id, e.id as enrolment_id, ev.id as event_id
          from enrolment e join cohort_event ev on ev.cohort_id = e.cohort_id
          where e.status = 'active' and ev.starts_at > ${`${day}T23:00:00Z`}::timestamptz
          order by ev.starts_at, e.id limit 1`,
    );
    await w.t.db.execute(
      sql`insert into event_booking (participant_id, enrolment_id, cohort_event_id, status, booked_at)
          values (${option!.participant_id}, ${option!.enrolment_id}, ${option!.event_id}, 'booked', now())`,
    );
    const full = await fullRunOn(day);
    const [incremental, statements] = await recorded(() => incrementalRunOn(day));
    expect(incremental).toEqual(full);
    const engagement = engagementStatements(statements);
    expect(engagement).toHaveLength(1);
  });

  it('nudges next day someone nudged today who then changed their address, as a full run does', async () => {
    const [nudged] = await queryRows<{ participant_id: number }>(
      w.t.db,
      sql`select p.id as participant_id from participant p
          join email_message m on m.notice_key = 'behind_window:' || p.id || ':' || ${day}
          where exists (
            -- Still behind tomorrow: a session of a module whose window has ended, not done.
            select 1 from enrolment e
            join cohort_module_release r on r.cohort_id = e.cohort_id and r.ideal_window_end < ${day}::date
            join programme_activity a on a.module_id = r.module_id and a.kind = 'study_session' and a.required
            where e.participant_id = p.id and e.status = 'active'
              and not exists (select 1 from engagement_completion d
                              where d.participant_id = p.id and d.activity_id = a.id))
          order by p.id limit 1`,
    );
    expect(nudged).toBeDefined();
    await w.t.db.execute(
      sql`update participant set email = 'a-new-address@example.test' where id = ${nudged!.participant_id}`,
    );
    // Today's key is taken: no second nudge today, at either address.
    await expectSameAsFull(day);
    day = addDays(day, 1);
    const { after } = await expectSameAsFull(day);
    expect(after.notices).toContainEqual(
      expect.objectContaining({
        notice_key: `behind_window:${nudged!.participant_id}:${day}`,
        to_email: 'a-new-address@example.test',
      }),
    );
  });

  it('as days pass with nothing written, finds what fell due exactly as a full run does', async () => {
    let found = 0;
    for (let i = 0; i < 21; i += 1) {
      day = addDays(day, 1);
      const { report } = await expectSameAsFull(day);
      found +=
        report.engagementUnreachableAlerts! +
        report.engagementBehindAlerts! +
        report.engagementAlertsCleared! +
        report['notices.behindWindow']!;
    }
    // Something did fall due in three weeks (else this test shows nothing).
    expect(found).toBeGreaterThan(0);
  }, 600_000);

  it('under a new policy version in force, looks at everything, as a full run does', async () => {
    await approveVersion(w, '9.0', { engagementThresholdBp: '95' }, addDays(day, 1));
    day = addDays(day, 1);
    const full = await fullRunOn(day);
    const [incremental, statements] = await recorded(() => incrementalRunOn(day));
    expect(incremental).toEqual(full);
    expect(engagementStatements(statements).length).toBeGreaterThan(1);
    expect(
      incremental.report.engagementBehindAlerts! + incremental.report.engagementUnreachableAlerts!,
    ).toBeGreaterThan(0);
  });

  it('gives the same alerts and notices as a full run after changes and days passing (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(localChangeArb, { minLength: 0, maxLength: 3 }),
        fc.constantFrom(0, 0, 1, 1, 2, 3, 7, 14, 15, 30),
        async (changes, days) => {
          for (const change of changes) await apply(change, day);
          day = addDays(day, days);
          await expectSameAsFull(day);
        },
      ),
      { numRuns: 60, endOnFailure: true },
    );
  }, 900_000);

  it('and when the policy, the catalogue or the clock (backwards) make it look at everything (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(changeArb, { minLength: 1, maxLength: 3 }),
        fc.constantFrom(0, 1, 7, -1),
        async (changes, days) => {
          for (const change of changes) await apply(change, day);
          day = addDays(day, days);
          await expectSameAsFull(day);
        },
      ),
      { numRuns: 12, endOnFailure: true },
    );
  }, 900_000);
});
