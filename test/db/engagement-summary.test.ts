import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { sql } from 'drizzle-orm';
import { openDatabase, queryRows, type Database, type Db } from '../../src/db/client.js';
import { engagementSql, type Row } from '../../src/db/queries/cohort-engagement.js';
import { seedCatalogue } from '../../src/db/seed/catalogue.js';
import { seedDemo } from '../../src/db/seed/demo.js';
import { fixedClock } from '../../src/clock.js';
import { POLICY_REGISTER } from '../../src/policy/index.js';
import {
  ENGAGEMENT_SUMMARY_LOCK,
  refreshEngagementSummary,
  startEngagementSummaryLoop,
} from '../../src/services/engagement/summary.js';
import { checkRolledBack } from '../support/rolled-back.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * The per-enrolment engagement summary (enrolment_engagement, migration 0026): the refresh stores
 * every enrolment's figures, the triggers delete exactly the rows a change can alter (and no
 * others), and the cohort-wide read gives the same figures from stored rows as worked out live.
 * The property test in event-dates.test.ts holds stored figures equal to the policy function.
 */
let t: TestDatabase;
const TODAY = '2025-11-12';
const clock = fixedClock(`${TODAY}T10:00:00Z`);
const everyone = sql`true`;

beforeAll(async () => {
  t = await createTestDatabase();
  await seedCatalogue(t.db);
  await seedDemo(t.db, { participants: 60, now: new Date(`${TODAY}T10:00:00Z`) });
  // A coach, and one event booked, for the changes below to change.
  await t.db.execute(
    sql`insert into app_user (email, display_name, role, lead_provider_id)
    select 'coach@example.test', 'Coach', 'coach', min(id) from lead_provider`,
  );
  await t.db
    .execute(sql`insert into event_booking (participant_id, enrolment_id, cohort_event_id, status, booked_at)
    select e.participant_id, e.id, ev.id, 'booked', now()
    from enrolment e join cohort_event ev on ev.cohort_id = e.cohort_id
    order by e.id desc, ev.id limit 1`);
}, 300_000);
afterAll(async () => {
  await t.destroy();
});

beforeEach(async () => {
  await refreshEngagementSummary({ db: t.db, clock });
});

async function storedIds(db: Pick<Db, 'execute'> = t.db): Promise<Set<number>> {
  const rows = await queryRows<{ enrolment_id: number }>(
    db,
    sql`select enrolment_id from enrolment_engagement
        where valid_from <= ${TODAY} and valid_until > ${TODAY}`,
  );
  return new Set(rows.map((r) => r.enrolment_id));
}

async function enrolmentIds(db: Pick<Db, 'execute'>, where: ReturnType<typeof sql>) {
  const rows = await queryRows<{ id: number }>(
    db,
    sql`select e.id from enrolment e where ${where}`,
  );
  return new Set(rows.map((r) => r.id));
}

/** Every enrolment's figures as the read gives them (stored where held), and worked out live. */
async function readAndLive(db: Pick<Db, 'execute'>) {
  const figures = (rows: Row[]) =>
    rows.map((r) => ({
      id: r.enrolment_id,
      completed: Number(r.completed),
      total: Number(r.total),
      stillPossible: Number(r.still_possible),
      due: Number(r.due),
      completedDue: Number(r.completed_due),
    }));
  const options = { cohorts: sql`true`, today: TODAY, visibleTo: everyone };
  const read = figures(await queryRows<Row>(db, engagementSql(options)));
  const live = figures(await queryRows<Row>(db, engagementSql({ ...options, live: true })));
  return { read, live };
}

/** Runs `change` in a transaction that is rolled back, checking what it left before that. */
const afterChange = (change: (tx: Db) => Promise<void>, check: (tx: Db) => Promise<void>) =>
  checkRolledBack(t.db, change, check);

/** The change deletes exactly the rows of `affected`, and the read still equals the live figures. */
async function expectForgotten(
  change: (tx: Db) => Promise<void>,
  affected: (tx: Db) => Promise<Set<number>>,
): Promise<number> {
  const before = await storedIds();
  let forgotten = 0;
  await afterChange(change, async (tx) => {
    const gone = await affected(tx);
    expect(gone.size).toBeGreaterThan(0);
    const after = await storedIds(tx);
    expect([...after].sort()).toEqual([...before].filter((id) => !gone.has(id)).sort());
    forgotten = before.size - after.size;
    const { read, live } = await readAndLive(tx);
    expect(read).toEqual(live);
  });
  return forgotten;
}

describe('the refresh', () => {
  it('stores every enrolment, and a second run has nothing to do', async () => {
    const [all] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from enrolment`,
    );
    expect((await storedIds()).size).toBe(all!.n);
    expect(await refreshEngagementSummary({ db: t.db, clock })).toEqual({
      stored: 0,
      deferred: false,
    });
    const { read, live } = await readAndLive(t.db);
    expect(read).toEqual(live);
  });

  it('works in batches, and stores again the rows that stopped holding', async () => {
    await t.db.execute(sql`delete from enrolment_engagement`);
    const report = await refreshEngagementSummary({ db: t.db, clock }, { batchSize: 7 });
    const [all] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from enrolment`,
    );
    expect(report).toEqual({ stored: all!.n, deferred: false });
    // Days later some figures have changed (a study session fell due): those rows no longer hold.
    const later = fixedClock('2025-12-20T10:00:00Z');
    const [expired] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from enrolment_engagement where valid_until <= '2025-12-20'`,
    );
    expect(expired!.n).toBeGreaterThan(0);
    expect(await refreshEngagementSummary({ db: t.db, clock: later })).toEqual({
      stored: expired!.n,
      deferred: false,
    });
  });

  it('runs in the server every interval, logs what it stored, and stops cleanly', async () => {
    await t.db.execute(sql`delete from enrolment_engagement`);
    const logged: { obj: object; msg?: string }[] = [];
    const logger = {
      info: (obj: object, msg?: string) => logged.push({ obj, ...(msg ? { msg } : {}) }),
      error: (obj: object, msg?: string) => logged.push({ obj, ...(msg ? { msg } : {}) }),
    };
    const stop = startEngagementSummaryLoop({
      db: t.db,
      clock,
      logger,
      intervalMs: 60_000,
      firstRunAfterMs: 50,
    });
    await vi.waitFor(() => expect(logged.length).toBeGreaterThan(0), { timeout: 20_000 });
    await stop();
    const [all] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from enrolment`,
    );
    expect(logged[0]).toEqual({
      obj: { report: { stored: all!.n, deferred: false } },
      msg: 'Engagement summary refreshed',
    });
    expect((await storedIds()).size).toBe(all!.n);
  });

  it('is read only under the register parameters it was worked out with', async () => {
    const other = {
      ...POLICY_REGISTER,
      parameters: { ...POLICY_REGISTER.parameters, idealModuleWindowDays: 21 },
    };
    const options = { cohorts: sql`true`, today: TODAY, visibleTo: everyone, register: other };
    const read = await queryRows<Row>(t.db, engagementSql(options));
    const live = await queryRows<Row>(t.db, engagementSql({ ...options, live: true }));
    expect(read).toEqual(live);
    const standard = await queryRows<Row>(
      t.db,
      engagementSql({ cohorts: sql`true`, today: TODAY, visibleTo: everyone }),
    );
    expect(read).not.toEqual(standard);
  });
});

describe('what a change forgets', () => {
  const firstWith = async (tx: Db, query: ReturnType<typeof sql>) =>
    (await queryRows<{ id: number }>(tx, query))[0]!.id;

  it('new evidence: the enrolments of that participant only', async () => {
    let participant = 0;
    await expectForgotten(
      async (tx) => {
        participant = await firstWith(
          tx,
          sql`select participant_id as id from enrolment where status = 'active' order by id`,
        );
        await tx.execute(sql`insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
          select ${participant}, a.id, a.kind, now(), 'staff', 'summary-test'
          from enrolment e join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id and a.required
          where e.participant_id = ${participant}
            and not exists (select 1 from engagement_completion r
                            where r.participant_id = ${participant} and r.activity_id = a.id)
          order by a.position limit 1`);
      },
      (tx) => enrolmentIds(tx, sql`e.participant_id = ${participant}`),
    );
  });

  it('evidence deleted (a register corrected): that participant', async () => {
    let participant = 0;
    await expectForgotten(
      async (tx) => {
        participant = await firstWith(
          tx,
          sql`select participant_id as id from engagement_record order by id`,
        );
        await tx.execute(sql`delete from engagement_record where participant_id = ${participant}`);
      },
      (tx) => enrolmentIds(tx, sql`e.participant_id = ${participant}`),
    );
  });

  it('more evidence of an activity already done changes nothing and forgets nothing', async () => {
    const before = await storedIds();
    await afterChange(
      async (tx) => {
        await tx.execute(sql`insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
          select participant_id, activity_id, kind, occurred_at + interval '1 day', 'staff', 'again-' || id
          from engagement_record order by id limit 5`);
      },
      async (tx) => expect(await storedIds(tx)).toEqual(before),
    );
  });

  it('an event booked, or a booking cancelled: that participant', async () => {
    let participant = 0;
    await expectForgotten(
      async (tx) => {
        const [e] = await queryRows<{ id: number; participant_id: number; event: number }>(
          tx,
          sql`select e.id, e.participant_id, ev.id as event
              from enrolment e join cohort_event ev on ev.cohort_id = e.cohort_id
              where not exists (select 1 from event_booking b
                                where b.participant_id = e.participant_id and b.cohort_event_id = ev.id)
              order by e.id, ev.id limit 1`,
        );
        participant = e!.participant_id;
        await tx.execute(sql`insert into event_booking (participant_id, enrolment_id, cohort_event_id, status, booked_at)
          values (${participant}, ${e!.id}, ${e!.event}, 'booked', now())`);
      },
      (tx) => enrolmentIds(tx, sql`e.participant_id = ${participant}`),
    );
    await expectForgotten(
      async (tx) => {
        participant = await firstWith(
          tx,
          sql`select participant_id as id from event_booking order by id desc`,
        );
        await tx.execute(
          sql`update event_booking set status = 'cancelled' where participant_id = ${participant}`,
        );
      },
      (tx) => enrolmentIds(tx, sql`e.participant_id = ${participant}`),
    );
  });

  it('a coaching session booked: that participant', async () => {
    let participant = 0;
    await expectForgotten(
      async (tx) => {
        const [e] = await queryRows<{ id: number; participant_id: number; activity_id: number }>(
          tx,
          sql`select e.id, e.participant_id, a.id as activity_id
              from enrolment e join cohort c on c.id = e.cohort_id
              join programme_activity a on a.programme_id = c.programme_id and a.kind = 'coaching'
              order by e.id, a.position limit 1`,
        );
        participant = e!.participant_id;
        await tx.execute(sql`insert into coaching_session (enrolment_id, participant_id, coach_user_id, activity_id, starts_at, ends_at, status)
          select ${e!.id}, ${participant}, u.id, ${e!.activity_id}, '2025-12-01T10:00:00Z', '2025-12-01T11:00:00Z', 'scheduled'
          from app_user u order by u.id limit 1`);
        const [made] = await queryRows<{ n: number }>(
          tx,
          sql`select count(*)::int as n from coaching_session where participant_id = ${participant}`,
        );
        expect(made!.n).toBe(1);
      },
      (tx) => enrolmentIds(tx, sql`e.participant_id = ${participant}`),
    );
  });

  it("an event moved, or a module's release changed: that cohort", async () => {
    let cohort = 0;
    await expectForgotten(
      async (tx) => {
        cohort = await firstWith(tx, sql`select cohort_id as id from cohort_event order by id`);
        await tx.execute(sql`update cohort_event set starts_at = starts_at + interval '2 days',
                               ends_at = ends_at + interval '2 days'
                             where id = (select min(id) from cohort_event where cohort_id = ${cohort})`);
      },
      (tx) => enrolmentIds(tx, sql`e.cohort_id = ${cohort}`),
    );
    await expectForgotten(
      async (tx) => {
        cohort = await firstWith(
          tx,
          sql`select cohort_id as id from cohort_module_release order by cohort_id desc`,
        );
        await tx.execute(sql`update cohort_module_release set ideal_window_start = ideal_window_start + 1
                             where cohort_id = ${cohort}`);
      },
      (tx) => enrolmentIds(tx, sql`e.cohort_id = ${cohort}`),
    );
  });

  it("a cohort's deadline: that cohort; its name: nothing", async () => {
    let cohort = 0;
    await expectForgotten(
      async (tx) => {
        cohort = await firstWith(tx, sql`select cohort_id as id from enrolment order by id`);
        await tx.execute(
          sql`update cohort set engagement_deadline = engagement_deadline - 30 where id = ${cohort}`,
        );
      },
      (tx) => enrolmentIds(tx, sql`e.cohort_id = ${cohort}`),
    );
    const before = await storedIds();
    await afterChange(
      (tx) => tx.execute(sql`update cohort set name = name || ' (renamed)'`).then(() => undefined),
      async (tx) => expect(await storedIds(tx)).toEqual(before),
    );
  });

  it("a programme's activities: every cohort of the programme", async () => {
    let programme = 0;
    await expectForgotten(
      async (tx) => {
        programme = await firstWith(
          tx,
          sql`select c.programme_id as id from enrolment e join cohort c on c.id = e.cohort_id order by e.id`,
        );
        await tx.execute(sql`update programme_activity set weight = coalesce(weight, planned_minutes) + 5
                             where id = (select min(id) from programme_activity where programme_id = ${programme} and required)`);
      },
      (tx) =>
        enrolmentIds(
          tx,
          sql`e.cohort_id in (select id from cohort where programme_id = ${programme})`,
        ),
    );
  });

  it('an enrolment moved to another cohort: that enrolment; a status change: nothing', async () => {
    let enrolment = 0;
    await expectForgotten(
      async (tx) => {
        const [e] = await queryRows<{ id: number; other: number }>(
          tx,
          sql`select e.id, (select min(c.id) from cohort c where c.id <> e.cohort_id) as other
              from enrolment e order by e.id limit 1`,
        );
        enrolment = e!.id;
        await tx.execute(sql`update enrolment set cohort_id = ${e!.other} where id = ${enrolment}`);
      },
      async () => new Set([enrolment]),
    );
    const before = await storedIds();
    await afterChange(
      (tx) =>
        tx
          .execute(sql`update enrolment set status = 'deferred' where status = 'active'`)
          .then(() => undefined),
      async (tx) => expect(await storedIds(tx)).toEqual(before),
    );
  });

  it("a course's identifier (whether coaching counts) or a table emptied: everything", async () => {
    const everyEnrolment = (tx: Db) => enrolmentIds(tx, sql`true`);
    await expectForgotten(
      (tx) =>
        tx
          .execute(
            sql`update course set identifier = identifier || '-x' where id = (select min(id) from course)`,
          )
          .then(() => undefined),
      everyEnrolment,
    );
    await expectForgotten(
      (tx) => tx.execute(sql`truncate event_booking`).then(() => undefined),
      everyEnrolment,
    );
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)(
  'the refresh beside a change under way (PostgreSQL)',
  () => {
    let other: Database;
    beforeAll(async () => {
      other = await openDatabase({
        databaseUrl: process.env.TEST_DATABASE_URL!,
        schema: t.schema,
        maxConnections: 2,
      });
    });
    afterAll(async () => {
      await other.close();
    });

    it('steps aside while a change holds the lock, and the change then finds nothing stale', async () => {
      await t.db.execute(sql`delete from enrolment_engagement`);
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      let participant = 0;
      // A change that has written evidence (its trigger took the lock) and has not committed yet.
      const change = other.db.transaction(async (tx) => {
        participant = (
          await queryRows<{ id: number }>(
            tx,
            sql`select participant_id as id from engagement_record order by id limit 1`,
          )
        )[0]!.id;
        await tx.execute(sql`delete from engagement_record where participant_id = ${participant}`);
        await held;
      });
      await new Promise((r) => setTimeout(r, 200));
      expect(await refreshEngagementSummary({ db: t.db, clock })).toEqual({
        stored: 0,
        deferred: true,
      });
      release();
      await change;
      // Now the refresh sees the change, and its figures are the live ones.
      expect((await refreshEngagementSummary({ db: t.db, clock })).stored).toBeGreaterThan(0);
      const { read, live } = await readAndLive(t.db);
      expect(read).toEqual(live);
    });

    it('a change waits for a refresh in progress, then forgets what it stored', async () => {
      const enrolments = await enrolmentIds(t.db, sql`true`);
      expect((await storedIds()).size).toBe(enrolments.size);
      let participant = 0;
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      // A refresh holding the lock exclusively, as refreshEngagementSummary does while it works.
      const refresh = other.db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${ENGAGEMENT_SUMMARY_LOCK})`);
        await held;
      });
      await new Promise((r) => setTimeout(r, 200));
      let changed = false;
      const change = t.db.transaction(async (tx) => {
        participant = (
          await queryRows<{ id: number }>(
            tx,
            sql`select participant_id as id from engagement_record order by id limit 1`,
          )
        )[0]!.id;
        await tx.execute(sql`delete from engagement_record where participant_id = ${participant}`);
        changed = true;
      });
      await new Promise((r) => setTimeout(r, 300));
      expect(changed).toBe(false);
      release();
      await refresh;
      await change;
      expect(changed).toBe(true);
      const gone = await enrolmentIds(t.db, sql`e.participant_id = ${participant}`);
      const after = await storedIds();
      for (const id of gone) expect(after.has(id)).toBe(false);
    });
  },
);
