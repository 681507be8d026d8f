import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql, type SQL } from 'drizzle-orm';
import { openDatabase, queryRows, type Database, type Db } from '../../src/db/client.js';
import { createApiToken } from '../../src/services/auth.js';
import type { EngagementAnswerWarmer } from '../../src/services/engagement/answers.js';
import { checkRolledBack } from '../support/rolled-back.js';
import type { DemoWorld, Session } from '../support/demo-world.js';
import { createAnsweringWorld, type AnsweringWorld } from '../support/answering-world.js';

/**
 * The engagement API's stored answers (issue 13, migration 0028): a read with nothing stored works
 * the answer out live and queues the enrolment; the warmer stores it; later reads send the stored
 * bytes, the same as the live answer, in one statement that also checks the token again; the
 * triggers delete an
 * enrolment's answer with any change to what it was worked out from, and nothing else's.
 */
let w: DemoWorld;
let warmer: EngagementAnswerWarmer;
let recorded: AnsweringWorld['recorded'];
let token: string;
let enrolmentId: number;
let participant: Session;

beforeAll(async () => {
  ({ w, warmer, recorded } = await createAnsweringWorld());
  ({ token } = await createApiToken(
    w.t.db,
    { email: 'admin@demo.npq-ops.test', role: 'admin' },
    w.clock.now(),
  ));
  participant = await w.signIn('participant1@demo.npq-ops.test');
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join participant p on p.id = e.participant_id
        where p.email = 'participant1@demo.npq-ops.test' order by e.id limit 1`,
  );
  enrolmentId = row!.id;
}, 300_000);
afterAll(async () => {
  await w.destroy();
});

const url = (id: number) => `/api/v1/enrolments/${id}/engagement`;

async function get(id: number, headers: Record<string, string> = {}) {
  const { result: res, statements } = await recorded(() =>
    w.app.inject({
      method: 'GET',
      url: url(id),
      headers: { authorization: `Bearer ${token}`, ...headers },
    }),
  );
  return { res, statements };
}

async function storedIds(db: Pick<Db, 'execute'> = w.t.db): Promise<Set<number>> {
  const rows = await queryRows<{ enrolment_id: number }>(
    db,
    sql`select enrolment_id from enrolment_engagement_answer`,
  );
  return new Set(rows.map((r) => r.enrolment_id));
}

async function enrolmentIds(db: Pick<Db, 'execute'>, where: SQL): Promise<Set<number>> {
  const rows = await queryRows<{ id: number }>(
    db,
    sql`select e.id from enrolment e join cohort c on c.id = e.cohort_id where ${where}`,
  );
  return new Set(rows.map((r) => r.id));
}

/** Every enrolment's answer stored for the world's day. */
async function storeAll(): Promise<number> {
  await w.t.db.execute(sql`delete from enrolment_engagement_answer`);
  for (const id of await enrolmentIds(w.t.db, sql`true`)) warmer.enqueue(id);
  return warmer.flush();
}

describe('reading, storing and sending', () => {
  beforeEach(async () => {
    await w.t.db.execute(sql`delete from enrolment_engagement_answer`);
  });

  it('works out an answer live, stores it when the warmer runs, then sends the same bytes from one statement', async () => {
    const live = await get(enrolmentId);
    expect(live.res.statusCode).toBe(200);
    expect(await storedIds()).toEqual(new Set());
    expect(await warmer.flush()).toBe(1);
    expect(await storedIds()).toEqual(new Set([enrolmentId]));
    expect(await warmer.flush()).toBe(0);

    const stored = await get(enrolmentId);
    expect(stored.res.statusCode).toBe(200);
    expect(stored.res.body).toBe(live.res.body);
    expect(stored.res.headers['content-type']).toBe(live.res.headers['content-type']);
    // The token, checked again, with the enrolment, its alerts and stored answer.
    expect(stored.statements).toHaveLength(1);
    expect(live.statements.length).toBeGreaterThan(stored.statements.length);
  });

  it('gives every enrolment the same answer stored as live, to staff and to the participant', async () => {
    const ids = [...(await enrolmentIds(w.t.db, sql`true`))];
    const live = new Map<number, string>();
    for (const id of ids) live.set(id, (await get(id)).res.body);
    expect(await warmer.flush()).toBe(ids.length);
    for (const id of ids) expect((await get(id)).res.body, `enrolment ${id}`).toBe(live.get(id));
    const own = await participant.request({ method: 'GET', url: url(enrolmentId) });
    expect(own.statusCode).toBe(200);
    expect(own.body).toBe(live.get(enrolmentId));
  });

  it('keeps to who may see what: another participant’s stored answer is not found', async () => {
    await storeAll();
    const [other] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select e.id from enrolment e join participant p on p.id = e.participant_id
          where p.email <> 'participant1@demo.npq-ops.test' order by e.id limit 1`,
    );
    expect((await storedIds()).has(other!.id)).toBe(true);
    const res = await participant.request({ method: 'GET', url: url(other!.id) });
    expect(res.statusCode).toBe(404);
    const partner = await w.signIn('partner.south@demo.npq-ops.test');
    const [north] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select e.id from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
          where dp.slug = 'north' order by e.id limit 1`,
    );
    expect((await partner.request({ method: 'GET', url: url(north!.id) })).statusCode).toBe(404);
  });

  it('sends a body held in memory only while it is the one stored (by its digest)', async () => {
    await get(enrolmentId);
    await warmer.flush();
    const first = await get(enrolmentId);
    const again = await get(enrolmentId);
    expect(again.res.body).toBe(first.res.body);
    expect(again.statements).toHaveLength(1);
    // The stored body changes under the server (its digest with it): the new one is sent.
    await w.t.db.execute(sql`update enrolment_engagement_answer
      set body = replace(body, '"today":"', '"today": "') where enrolment_id = ${enrolmentId}`);
    const changed = await get(enrolmentId);
    expect(changed.statements).toHaveLength(1);
    expect(changed.res.body).not.toBe(first.res.body);
    expect(changed.res.body).toContain('"today": "');
    expect((await get(enrolmentId)).res.body).toBe(changed.res.body);
    const [row] = await queryRows<{ same: boolean }>(
      w.t.db,
      sql`select digest = md5(body) as same from enrolment_engagement_answer where enrolment_id = ${enrolmentId}`,
    );
    expect(row?.same).toBe(true);
  });

  it('uses an answer only on the day it was worked out', async () => {
    await get(enrolmentId);
    await warmer.flush();
    const today = await get(enrolmentId);
    const later = await get(enrolmentId, { 'x-with-server-date': '2026-05-20' });
    expect(later.res.statusCode).toBe(200);
    expect(later.statements.length).toBeGreaterThan(2);
    expect(later.res.body).not.toBe(today.res.body);
    expect(later.res.body).toContain('"today":"2026-05-20"');
  });

  it('reads open alerts live beside a stored answer', async () => {
    await get(enrolmentId);
    await warmer.flush();
    await w.t.db.execute(sql`insert into engagement_alert (enrolment_id, kind, raised_on, details)
      values (${enrolmentId}, 'engagement_behind', '2026-03-10', '{"thresholdBp": 9000}')`);
    try {
      // An alert raised forgets the answer (My programme shows alerts: drizzle/0030); stored again.
      expect(await storedIds()).toEqual(new Set());
      await get(enrolmentId);
      expect(await warmer.flush()).toBe(1);
      const stored = await get(enrolmentId);
      expect(stored.statements).toHaveLength(1);
      const body = stored.res.json() as { openAlerts: { kind: string; raisedOn: string }[] };
      expect(body.openAlerts).toEqual([
        expect.objectContaining({ kind: 'engagement_behind', raisedOn: '2026-03-10' }),
      ]);
      await w.t.db.execute(sql`delete from enrolment_engagement_answer`);
      expect((await get(enrolmentId)).res.body).toBe(stored.res.body);
    } finally {
      await w.t.db.execute(sql`delete from engagement_alert where enrolment_id = ${enrolmentId}`);
    }
  });
});

describe('a bearer token checked again in the read itself (services/recent-tokens.ts)', () => {
  let own: string;
  let userId: number;
  const read = async () => {
    const { result: res, statements } = await recorded(() =>
      w.app.inject({
        method: 'GET',
        url: url(enrolmentId),
        headers: { authorization: `Bearer ${own}` },
      }),
    );
    return { status: res.statusCode, statements: statements.length };
  };
  const setUser = (change: SQL) =>
    w.t.db.execute(sql`update app_user set ${change} where id = ${userId}`);

  beforeAll(async () => {
    ({ token: own } = await createApiToken(
      w.t.db,
      { email: 'recheck.admin@demo.npq-ops.test', role: 'admin' },
      w.clock.now(),
    ));
    const [row] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from app_user where email = 'recheck.admin@demo.npq-ops.test'`,
    );
    userId = row!.id;
  });
  beforeEach(async () => {
    // A stored answer, and the token seen once: later reads are one statement.
    await get(enrolmentId);
    await warmer.flush();
    expect((await read()).status).toBe(200);
    expect(await read()).toEqual({ status: 200, statements: 1 });
  });

  it('refuses a token revoked since, at the next request', async () => {
    await w.t.db.execute(sql`update api_token set revoked_at = now() where user_id = ${userId}`);
    try {
      expect((await read()).status).toBe(401);
      expect((await read()).status).toBe(401);
    } finally {
      await w.t.db.execute(sql`update api_token set revoked_at = null where user_id = ${userId}`);
    }
    // Looked up the usual way again, then remembered.
    expect((await read()).statements).toBeGreaterThan(1);
    expect(await read()).toEqual({ status: 200, statements: 1 });
  });

  it('refuses the token of an account deactivated since', async () => {
    await setUser(sql`deactivated_at = now()`);
    try {
      expect((await read()).status).toBe(401);
    } finally {
      await setUser(sql`deactivated_at = null`);
    }
    expect((await read()).status).toBe(200);
  });

  it('reads the user again when they changed: a narrower role sees less at once', async () => {
    const [partner] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from delivery_partner where id <> (select delivery_partner_id from enrolment where id = ${enrolmentId}) order by id limit 1`,
    );
    await setUser(sql`role = 'delivery_partner_staff', delivery_partner_id = ${partner!.id}`);
    try {
      // The check fails, the token is looked up again, and the read runs for the new actor.
      const narrowed = await read();
      expect(narrowed.status).toBe(404);
      expect(narrowed.statements).toBeGreaterThan(2);
      expect((await read()).status).toBe(404);
    } finally {
      await setUser(sql`role = 'admin', delivery_partner_id = null`);
    }
    expect((await read()).status).toBe(200);
    await setUser(sql`display_name = 'Renamed admin'`);
    expect((await read()).statements).toBeGreaterThan(2);
    expect(await read()).toEqual({ status: 200, statements: 1 });
  });
});

/** Runs `change` in a transaction that is rolled back, checking what it left before that. */
const afterChange = (change: (tx: Db) => Promise<void>, check: (tx: Db) => Promise<void>) =>
  checkRolledBack(w.t.db, change, check);

/** The statement touches at least one row and deletes exactly the answers of `affected`. */
async function expectForgotten(change: SQL, affected: SQL): Promise<void> {
  const before = await storedIds();
  await afterChange(
    async (tx) => {
      const result = (await tx.execute(change)) as unknown as { rowCount?: number | null };
      const touched = result.rowCount ?? (result as { affectedRows?: number }).affectedRows;
      expect(touched, 'the change must touch a row').toBeGreaterThan(0);
    },
    async (tx) => {
      const gone = await enrolmentIds(tx, affected);
      expect(gone.size).toBeGreaterThan(0);
      const after = await storedIds(tx);
      expect([...after].sort()).toEqual([...before].filter((id) => !gone.has(id)).sort());
    },
  );
}

describe('forgetting an answer when what it was worked out from changes', () => {
  beforeEach(async () => {
    expect(await storeAll()).toBeGreaterThan(0);
  });

  const first = async (query: SQL): Promise<number> => {
    const [row] = await queryRows<{ id: number }>(w.t.db, query);
    expect(row, 'the demo holds a row to change').toBeDefined();
    return row!.id;
  };

  it('an enrolment: that enrolment only', async () => {
    const id = await first(sql`select id from enrolment order by id limit 1`);
    await expectForgotten(
      sql`update enrolment set status = status where id = ${id}`,
      sql`e.id = ${id}`,
    );
  });

  it("a participant, their completions, bookings or coaching: that participant's enrolments", async () => {
    const p = await first(
      sql`select participant_id as id from engagement_record order by id limit 1`,
    );
    await expectForgotten(
      sql`update participant set working_pattern = working_pattern where id = ${p}`,
      sql`e.participant_id = ${p}`,
    );
    await expectForgotten(
      sql`delete from engagement_record where participant_id = ${p}`,
      sql`e.participant_id = ${p}`,
    );
    const booking = await queryRows<{ participant_id: number }>(
      w.t.db,
      sql`select e.participant_id from enrolment e join cohort_event ev on ev.cohort_id = e.cohort_id
          order by e.id desc, ev.id limit 1`,
    );
    const booked = booking[0]!.participant_id;
    await expectForgotten(
      sql`insert into event_booking (participant_id, enrolment_id, cohort_event_id, status, booked_at)
          select e.participant_id, e.id, ev.id, 'booked', now()
          from enrolment e join cohort_event ev on ev.cohort_id = e.cohort_id
          where e.participant_id = ${booked} order by e.id desc, ev.id limit 1`,
      sql`e.participant_id = ${booked}`,
    );
    const [coaching] = await queryRows<{ id: number; participant_id: number; activity_id: number }>(
      w.t.db,
      sql`select e.id, e.participant_id, a.id as activity_id
          from enrolment e join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id and a.kind = 'coaching'
          order by e.id, a.position limit 1`,
    );
    await expectForgotten(
      sql`insert into coaching_session (enrolment_id, participant_id, coach_user_id, activity_id, starts_at, ends_at)
          select ${coaching!.id}, ${coaching!.participant_id}, min(u.id), ${coaching!.activity_id},
                 '2026-03-20T10:00:00Z', '2026-03-20T11:00:00Z'
          from app_user u`,
      sql`e.participant_id = ${coaching!.participant_id}`,
    );
  });

  it('a deferral case: its enrolment', async () => {
    const enrolment = await first(sql`select id from enrolment order by id desc limit 1`);
    await expectForgotten(
      sql`insert into deferral_case (enrolment_id, participant_id, circumstance, description, dfe_reason,
                                     requested_on, requested_by)
          select e.id, e.participant_id, 'illness', 'A test case', 'other', '2026-03-10', min(u.id)
          from enrolment e, app_user u where e.id = ${enrolment} group by e.id`,
      sql`e.id = ${enrolment}`,
    );
  });

  it("a delivery partner: its enrolments; a cohort, its events or releases: the cohort's", async () => {
    const partner = await first(
      sql`select delivery_partner_id as id from enrolment order by id limit 1`,
    );
    await expectForgotten(
      sql`update delivery_partner set name = name where id = ${partner}`,
      sql`e.delivery_partner_id = ${partner}`,
    );
    const cohort = await first(sql`select cohort_id as id from enrolment order by id limit 1`);
    await expectForgotten(
      sql`update cohort set name = name where id = ${cohort}`,
      sql`e.cohort_id = ${cohort}`,
    );
    await expectForgotten(
      sql`update cohort_event set location = location where cohort_id = ${cohort}`,
      sql`e.cohort_id = ${cohort}`,
    );
    await expectForgotten(
      sql`update cohort_module_release set release_date = release_date where cohort_id = ${cohort}`,
      sql`e.cohort_id = ${cohort}`,
    );
  });

  it("a programme, its activities or modules: its cohorts' enrolments", async () => {
    const programme = await first(
      sql`select c.programme_id as id from enrolment e join cohort c on c.id = e.cohort_id order by e.id limit 1`,
    );
    const ofProgramme = sql`c.programme_id = ${programme}`;
    await expectForgotten(
      sql`update programme set name = name where id = ${programme}`,
      ofProgramme,
    );
    await expectForgotten(
      sql`update programme_activity set title = title where programme_id = ${programme}`,
      ofProgramme,
    );
    await expectForgotten(
      sql`update programme_module set title = title where programme_id = ${programme}`,
      ofProgramme,
    );
  });

  it('what My programme shows beside the facts: alerts, a coach, a slot, a re-joined cohort (drizzle/0030)', async () => {
    // An enrolment on a programme with coaching (NPQEL, EHCO), to book a coaching session.
    const enrolment = await first(
      sql`select e.id from enrolment e join cohort c on c.id = e.cohort_id
          where exists (select 1 from programme_activity a where a.programme_id = c.programme_id and a.kind = 'coaching')
          order by e.id limit 1`,
    );
    await expectForgotten(
      sql`insert into engagement_alert (enrolment_id, kind, raised_on, details)
          values (${enrolment}, 'engagement_behind', '2026-03-10', '{"thresholdBp": 9000}')`,
      sql`e.id = ${enrolment}`,
    );
    // A coaching session in a slot, and a deferral re-joining another cohort at a session: set up,
    // stored again, then each thing the page names changed.
    const [setUp] = await queryRows<{
      coach: number;
      slot: number;
      target: number;
      activity: number;
    }>(
      w.t.db,
      sql`with coach as (select min(id) as id from app_user),
          slot as (insert into coaching_slot (coach_user_id, starts_at, ends_at, mode, place)
                   select id, '2026-03-20T10:00:00Z', '2026-03-20T11:00:00Z', 'online', 'https://meet.test/a'
                   from coach returning id, coach_user_id),
          act as (select a.id from enrolment e join cohort c on c.id = e.cohort_id
                  join programme_activity a on a.programme_id = c.programme_id and a.kind = 'coaching'
                  where e.id = ${enrolment} order by a.position limit 1),
          target as (select c.id from cohort c where c.id <> (select cohort_id from enrolment where id = ${enrolment})
                     order by c.id limit 1),
          booked as (insert into coaching_session (enrolment_id, participant_id, coach_user_id, activity_id, starts_at, ends_at, slot_id)
                     select e.id, e.participant_id, slot.coach_user_id, act.id, '2026-03-20T10:00:00Z', '2026-03-20T11:00:00Z', slot.id
                     from enrolment e, slot, act where e.id = ${enrolment} returning id),
          rejoin as (select min(a.id) as id from programme_activity a)
          select slot.coach_user_id as coach, slot.id as slot, target.id as target, rejoin.id as activity
          from slot, target, rejoin, (select count(*) from booked) b`,
    );
    await w.t.db
      .execute(sql`insert into deferral_case (enrolment_id, participant_id, circumstance, description,
        dfe_reason, requested_on, requested_by, target_cohort_id, rejoin_activity_id)
      select e.id, e.participant_id, 'illness', 'A test case', 'other', '2026-03-10', ${setUp!.coach},
             ${setUp!.target}, ${setUp!.activity}
      from enrolment e where e.id = ${enrolment}`);
    try {
      expect(await storeAll()).toBeGreaterThan(0);
      await expectForgotten(
        sql`update app_user set display_name = display_name || ' (renamed)' where id = ${setUp!.coach}`,
        sql`e.id = ${enrolment}`,
      );
      await expectForgotten(
        sql`update coaching_slot set place = 'https://meet.test/b' where id = ${setUp!.slot}`,
        sql`e.id = ${enrolment}`,
      );
      await expectForgotten(
        sql`update cohort set name = name where id = ${setUp!.target}`,
        sql`e.cohort_id = ${setUp!.target} or e.id = ${enrolment}`,
      );
      await expectForgotten(
        sql`update programme_activity set title = title where id = ${setUp!.activity}`,
        sql`e.id = ${enrolment} or c.programme_id = (select programme_id from programme_activity where id = ${setUp!.activity})`,
      );
      // Signing in (or any other change to a coach's account) leaves their coachees' answers.
      const before = await storedIds();
      await afterChange(
        (tx) =>
          tx
            .execute(sql`update app_user set email = email where id = ${setUp!.coach}`)
            .then(() => undefined),
        async (tx) => expect(await storedIds(tx)).toEqual(before),
      );
    } finally {
      await w.t.db.execute(
        sql`delete from deferral_case where enrolment_id = ${enrolment} and description = 'A test case'`,
      );
      await w.t.db.execute(sql`delete from coaching_session where slot_id = ${setUp!.slot}`);
      await w.t.db.execute(sql`delete from coaching_slot where id = ${setUp!.slot}`);
    }
  });

  it('the lead provider (a national partner’s contact): every answer', async () => {
    await expectForgotten(sql`update lead_provider set name = name`, sql`true`);
  });

  it('a course, the policy register, or a table emptied: every answer', async () => {
    await expectForgotten(sql`update course set name = name`, sql`true`);
    await afterChange(
      (tx) => tx.execute(sql`update policy_version set status = status`).then(() => undefined),
      async (tx) => expect(await storedIds(tx)).toEqual(new Set()),
    );
    await afterChange(
      (tx) => tx.execute(sql`truncate event_booking`).then(() => undefined),
      async (tx) => expect(await storedIds(tx)).toEqual(new Set()),
    );
  });

  it('anything else leaves every answer', async () => {
    const before = await storedIds();
    await afterChange(
      (tx) =>
        tx
          .execute(sql`update app_user set display_name = display_name || ' (renamed)'`)
          .then(() => undefined),
      async (tx) => expect(await storedIds(tx)).toEqual(before),
    );
  });
});

describe.runIf(process.env.TEST_DATABASE_URL)(
  'the warmer beside a change under way (PostgreSQL)',
  () => {
    let other: Database;
    beforeAll(async () => {
      other = await openDatabase({
        databaseUrl: process.env.TEST_DATABASE_URL!,
        schema: w.t.schema,
        maxConnections: 2,
      });
    });
    afterAll(async () => {
      await other.close();
    });

    it('stores nothing while a change holds the lock, and stores the changed answer after', async () => {
      await w.t.db.execute(sql`delete from enrolment_engagement_answer`);
      const p = await queryRows<{ id: number }>(
        w.t.db,
        sql`select e.participant_id as id from enrolment e where e.id = ${enrolmentId}`,
      );
      let release!: () => void;
      const held = new Promise<void>((resolve) => (release = resolve));
      // A change that has deleted evidence (its trigger took the lock) and has not committed yet.
      const change = other.db.transaction(async (tx) => {
        await tx.execute(sql`delete from engagement_record where participant_id = ${p[0]!.id}`);
        await held;
      });
      await new Promise((r) => setTimeout(r, 200));
      warmer.enqueue(enrolmentId);
      expect(await warmer.flush()).toBe(0);
      expect(await storedIds()).toEqual(new Set());
      release();
      await change;
      // Still queued: the next run stores the answer worked out from the change.
      expect(await warmer.flush()).toBe(1);
      const stored = (await get(enrolmentId)).res.body;
      await w.t.db.execute(sql`delete from enrolment_engagement_answer`);
      expect((await get(enrolmentId)).res.body).toBe(stored);
    });
  },
);
