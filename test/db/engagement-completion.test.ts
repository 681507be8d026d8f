import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { migrate, MIGRATIONS_DIR } from '../../src/db/migrate.js';
import { seedCatalogue } from '../../src/db/seed/catalogue.js';
import { DEFAULT_DEMO_NOW, seedDemo } from '../../src/db/seed/demo.js';
import { londonDateOf } from '../../src/policy/index.js';
import { completeStudySession } from '../../src/services/engagement/completion.js';
import { ingestEngagement } from '../../src/services/engagement/ingest.js';
import { getEnrolmentEngagement } from '../../src/services/engagement/read.js';
import { saveRegister } from '../../src/services/registers.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';
import { completionsOfRecords, storedCompletions } from '../support/engagement-completion.js';
import { createTestDatabase } from '../support/test-database.js';

/**
 * engagement_completion (issue 13) is engagement_record reduced to one row per participant and
 * activity, with the London day of the first evidence. Triggers keep it so in the same statement
 * as every write to engagement_record: checked here statement shape by statement shape, through
 * the services that write evidence, and for the migration's backfill of existing records.
 */
let w: DemoWorld;

beforeAll(async () => {
  w = await createDemoWorld({ participants: 20 });
});
afterAll(async () => {
  await w.destroy();
});

/** The participant's completions, after checking they are exactly what their records say. */
async function inStep(participantId: number) {
  const stored = await storedCompletions(w.t.db, participantId);
  expect(stored).toEqual(await completionsOfRecords(w.t.db, participantId));
  return stored;
}

/**
 * The nth participant (by id) with an active enrolment, and two activities of their programme,
 * their evidence of those two removed first. Each test takes a participant of its own.
 */
async function participantWithTwoActivities(n: number) {
  const [row] = await queryRows<{ participant_id: number; a1: number; a2: number }>(
    w.t.db,
    sql`select e.participant_id, acts[1] as a1, acts[2] as a2
        from enrolment e join cohort c on c.id = e.cohort_id
        cross join lateral (select array_agg(a.id order by a.position) as acts
                            from programme_activity a where a.programme_id = c.programme_id) x
        where e.status = 'active' order by e.participant_id offset ${n} limit 1`,
  );
  const { participant_id: p, a1, a2 } = row!;
  await w.t.db.execute(
    sql`delete from engagement_record where participant_id = ${p} and activity_id in (${a1}, ${a2})`,
  );
  return { p, a1, a2 };
}

async function insert(p: number, activityId: number, occurredAt: string, sourceEventId: string) {
  await w.t.db.execute(
    sql`insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
        values (${p}, ${activityId}, 'study_session', ${occurredAt}::timestamptz, 'import', ${sourceEventId})
        on conflict (source, source_event_id) do nothing`,
  );
}

const row = (participant_id: number, activity_id: number, first_completed_on: string) => ({
  participant_id,
  activity_id,
  first_completed_on,
});

describe('engagement_completion follows every statement on engagement_record', () => {
  it('one insert of several records, two of one pair: the first London day of each pair', async () => {
    const { p, a1, a2 } = await participantWithTwoActivities(0);
    await w.t.db.execute(
      sql`insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
          values (${p}, ${a1}, 'study_session', '2026-07-03T09:00:00Z', 'import', ${`t1-${p}-a`}),
                 (${p}, ${a1}, 'study_session', '2026-06-30T23:30:00Z', 'import', ${`t1-${p}-b`}),
                 (${p}, ${a2}, 'study_session', '2026-01-31T23:30:00Z', 'import', ${`t1-${p}-c`})`,
    );
    // 23:30 UTC is the next day in London in summer (BST), the same day in winter (GMT).
    expect(await inStep(p)).toEqual(
      expect.arrayContaining([row(p, a1, '2026-07-01'), row(p, a2, '2026-01-31')]),
    );
  });

  it('later evidence keeps the day, earlier evidence moves it earlier, a skipped duplicate changes nothing', async () => {
    const { p, a1 } = await participantWithTwoActivities(1);
    const dayOfA1 = async () => (await inStep(p)).find((r) => r.activity_id === a1);
    await insert(p, a1, '2026-03-10T10:00:00Z', `t2-${p}-a`);
    expect(await dayOfA1()).toEqual(row(p, a1, '2026-03-10'));
    await insert(p, a1, '2026-04-01T10:00:00Z', `t2-${p}-b`);
    expect(await dayOfA1()).toEqual(row(p, a1, '2026-03-10'));
    await insert(p, a1, '2026-02-01T10:00:00Z', `t2-${p}-c`);
    expect(await dayOfA1()).toEqual(row(p, a1, '2026-02-01'));
    // The same source event again, dated earlier: the record is not inserted, so nothing moves.
    await insert(p, a1, '2026-01-01T10:00:00Z', `t2-${p}-c`);
    expect(await dayOfA1()).toEqual(row(p, a1, '2026-02-01'));
  });

  it('deleting evidence: the pair falls back to its next record, or goes with its last', async () => {
    const { p, a1, a2 } = await participantWithTwoActivities(2);
    await insert(p, a1, '2026-02-01T10:00:00Z', `t3-${p}-a`);
    await insert(p, a1, '2026-03-01T10:00:00Z', `t3-${p}-b`);
    await insert(p, a2, '2026-03-05T10:00:00Z', `t3-${p}-c`);
    const mine = (rows: { activity_id: number }[]) =>
      rows.filter((r) => r.activity_id === a1 || r.activity_id === a2);
    expect(mine(await inStep(p))).toEqual([row(p, a1, '2026-02-01'), row(p, a2, '2026-03-05')]);

    await w.t.db.execute(
      sql`delete from engagement_record where source = 'import' and source_event_id = ${`t3-${p}-a`}`,
    );
    expect(mine(await inStep(p))).toEqual([row(p, a1, '2026-03-01'), row(p, a2, '2026-03-05')]);
    await w.t.db.execute(
      sql`delete from engagement_record where participant_id = ${p} and activity_id = ${a2}`,
    );
    expect(mine(await inStep(p))).toEqual([row(p, a1, '2026-03-01')]);
    await w.t.db.execute(
      sql`delete from engagement_record where source_event_id = 'no such event'`,
    );
    expect(mine(await inStep(p))).toEqual([row(p, a1, '2026-03-01')]);
  });

  it('updating evidence: a record moved to another day, then to another activity', async () => {
    const { p, a1, a2 } = await participantWithTwoActivities(3);
    await insert(p, a1, '2026-03-01T10:00:00Z', `t4-${p}-a`);
    await insert(p, a1, '2026-04-01T10:00:00Z', `t4-${p}-b`);
    const mine = (rows: { activity_id: number }[]) =>
      rows.filter((r) => r.activity_id === a1 || r.activity_id === a2);
    await w.t.db.execute(
      sql`update engagement_record set occurred_at = '2026-05-01T10:00:00Z'
          where source = 'import' and source_event_id = ${`t4-${p}-a`}`,
    );
    expect(mine(await inStep(p))).toEqual([row(p, a1, '2026-04-01')]);
    await w.t.db.execute(
      sql`update engagement_record set activity_id = ${a2} where participant_id = ${p} and activity_id = ${a1}`,
    );
    expect(mine(await inStep(p))).toEqual([row(p, a2, '2026-04-01')]);
  });

  it('truncating engagement_record empties it (in a transaction rolled back)', async () => {
    const before = await storedCompletions(w.t.db);
    expect(before.length).toBeGreaterThan(0);
    const rollback = new Error('roll back');
    await expect(
      w.t.db.transaction(async (tx) => {
        await tx.execute(sql`truncate engagement_record`);
        const [left] = await queryRows<{ n: number }>(
          tx,
          sql`select count(*)::int as n from engagement_completion`,
        );
        expect(left!.n).toBe(0);
        throw rollback;
      }),
    ).rejects.toBe(rollback);
    expect(await storedCompletions(w.t.db)).toEqual(before);
  });
});

describe('engagement_completion after the services that write evidence', () => {
  it('holds every pair of the demo seed', async () => {
    const stored = await storedCompletions(w.t.db);
    expect(stored.length).toBeGreaterThan(100);
    expect(stored).toEqual(await completionsOfRecords(w.t.db));
  });

  it('a study session completed today is completed today', async () => {
    const participant = await w.actor('participant2@demo.npq-ops.test');
    const [enrolment] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from enrolment where participant_id = ${participant.participantId} and status = 'active'`,
    );
    const deps = { db: w.t.db, clock: w.clock };
    const before = await getEnrolmentEngagement(deps, participant, enrolment!.id);
    const open = before.sessions.find((s) => s.state === 'open');
    const done = await completeStudySession(deps, participant, {
      enrolmentId: enrolment!.id,
      activityId: open!.activityId,
    });
    expect(done.changed).toBe(true);
    expect(await inStep(participant.participantId!)).toContainEqual(
      row(participant.participantId!, open!.activityId, londonDateOf(w.clock.now())),
    );
  });

  it('a register taken, then corrected to take someone off', async () => {
    const north = await w.actor('partner.north@demo.npq-ops.test');
    const [event] = await queryRows<{
      id: number;
      activity_id: number;
      cohort_id: number;
      starts_at: string | Date;
    }>(
      w.t.db,
      sql`select ce.id, ce.activity_id, ce.cohort_id, ce.starts_at from cohort_event ce
          join programme_activity a on a.id = ce.activity_id and a.kind = 'community_session'
          where ce.ends_at < ${new Date(w.clock.now().getTime() - 86_400_000)}
            and (select count(*) from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
                 where e.cohort_id = ce.cohort_id and dp.slug = 'north' and e.status = 'active') >= 2
          order by ce.ends_at desc limit 1`,
    );
    const people = await queryRows<{ enrolment_id: number; participant_id: number }>(
      w.t.db,
      sql`select e.id as enrolment_id, e.participant_id from enrolment e
          join delivery_partner dp on dp.id = e.delivery_partner_id
          where e.cohort_id = ${event!.cohort_id} and dp.slug = 'north' and e.status = 'active'
          order by e.id limit 2`,
    );
    const [stays, leaves] = people;
    await w.t.db.execute(
      sql`delete from engagement_record where activity_id = ${event!.activity_id}
          and participant_id in (${stays!.participant_id}, ${leaves!.participant_id})`,
    );
    const [register] = await queryRows<{ version: number }>(
      w.t.db,
      sql`select coalesce(max(version), 0)::int as version from event_register where cohort_event_id = ${event!.id}`,
    );
    const deps = { db: w.t.db, clock: w.clock };
    const onDay = londonDateOf(new Date(event!.starts_at));
    const dayOf = async (p: number) =>
      (await inStep(p)).filter((r) => r.activity_id === event!.activity_id);

    await saveRegister(deps, north, {
      cohortEventId: event!.id,
      attendedEnrolmentIds: [stays!.enrolment_id, leaves!.enrolment_id],
      expectedVersion: register!.version,
    });
    expect(await dayOf(stays!.participant_id)).toEqual([
      row(stays!.participant_id, event!.activity_id, onDay),
    ]);
    expect(await dayOf(leaves!.participant_id)).toEqual([
      row(leaves!.participant_id, event!.activity_id, onDay),
    ]);

    await saveRegister(deps, north, {
      cohortEventId: event!.id,
      attendedEnrolmentIds: [stays!.enrolment_id],
      expectedVersion: register!.version + 1,
    });
    expect(await dayOf(stays!.participant_id)).toEqual([
      row(stays!.participant_id, event!.activity_id, onDay),
    ]);
    expect(await dayOf(leaves!.participant_id)).toEqual([]);
  });

  it('an import: new pairs, and evidence earlier than what was there', async () => {
    const admin = await w.actor('admin@demo.npq-ops.test');
    const { p, a1, a2 } = await participantWithTwoActivities(4);
    await insert(p, a1, '2026-03-10T10:00:00Z', `t8-${p}-a`);
    const kinds = await queryRows<{ id: number; kind: string }>(
      w.t.db,
      sql`select id, kind from programme_activity where id in (${a1}, ${a2})`,
    );
    const kindOf = (id: number) => kinds.find((k) => k.id === id)!.kind;
    const result = await ingestEngagement(
      { db: w.t.db, clock: fixedClock(DEFAULT_DEMO_NOW) },
      admin,
      [
        {
          participant: `id:${p}`,
          activityId: a1,
          kind: kindOf(a1),
          occurredAt: '2026-02-20T10:00:00Z',
          source: 'import',
          sourceEventId: `t8-${p}-b`,
        },
        {
          participant: `id:${p}`,
          activityId: a2,
          kind: kindOf(a2),
          occurredAt: '2026-02-21T10:00:00Z',
          source: 'import',
          sourceEventId: `t8-${p}-c`,
        },
      ],
    );
    expect(result.inserted).toBe(2);
    expect((await inStep(p)).filter((r) => r.activity_id === a1 || r.activity_id === a2)).toEqual([
      row(p, a1, '2026-02-20'),
      row(p, a2, '2026-02-21'),
    ]);
  });
});

describe('the migration that adds engagement_completion', () => {
  it('fills it from the records already there', async () => {
    // A database migrated up to the migration before, seeded, then migrated to the end.
    const dir = await mkdtemp(path.join(tmpdir(), 'npq-migrations-'));
    const journalPath = path.join(MIGRATIONS_DIR, 'meta', '_journal.json');
    const journal = JSON.parse(await readFile(journalPath, 'utf8')) as {
      entries: { idx: number; tag: string }[];
    };
    const before = journal.entries.filter((e) => e.idx < 23);
    await mkdir(path.join(dir, 'meta'));
    await writeFile(
      path.join(dir, 'meta', '_journal.json'),
      JSON.stringify({ ...journal, entries: before }),
    );
    for (const e of before) {
      await copyFile(path.join(MIGRATIONS_DIR, `${e.tag}.sql`), path.join(dir, `${e.tag}.sql`));
    }
    const t = await createTestDatabase({ migrationsDir: dir });
    try {
      // Today's seed records the catalogue it seeded in catalogue_seed (migration 0027), which this
      // older schema lacks: it is lent the table for the seed, and the table taken away again
      // before the migrations after 0022 run.
      await t.db.execute(
        sql.raw(
          (await readFile(path.join(MIGRATIONS_DIR, '0027_catalogue_seed.sql'), 'utf8')).trim(),
        ),
      );
      await seedCatalogue(t.db);
      await seedDemo(t.db, { participants: 10, now: DEFAULT_DEMO_NOW });
      await t.db.execute(sql`drop table catalogue_seed`);
      const result = await migrate(t.db);
      // 0023 and every migration after it.
      expect(result.applied).toEqual(journal.entries.filter((e) => e.idx >= 23).map((e) => e.tag));
      expect(result.applied[0]).toBe('0023_engagement_completion');
      const stored = await storedCompletions(t.db);
      expect(stored.length).toBeGreaterThan(50);
      expect(stored).toEqual(await completionsOfRecords(t.db));
    } finally {
      await t.destroy();
      await rm(dir, { recursive: true });
    }
  });
});
