import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { arrayParam, queryRows } from '../../src/db/client.js';
import { createApiToken } from '../../src/services/auth.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

const COMPLETED = 'http://adlnet.gov/expapi/verbs/completed';
const ATTENDED = 'http://adlnet.gov/expapi/verbs/attended';

let w: DemoWorld;
let teamToken: string;
let northToken: string;
let coachToken: string;
let teamSession: Session;

/** participant2 (North Star): an open study session and a past community session not yet attended. */
let p2: { id: number; email: string; openSession: number; pastEvent: number };
let p1: { email: string; activity: number };

beforeAll(async () => {
  w = await createDemoWorld();
  const now = w.clock.now();
  teamToken = (
    await createApiToken(
      w.t.db,
      { email: 'programme.team@demo.npq-ops.test', role: 'programme_team' },
      now,
    )
  ).token;
  northToken = (
    await createApiToken(
      w.t.db,
      { email: 'partner.north@demo.npq-ops.test', role: 'delivery_partner_staff' },
      now,
    )
  ).token;
  coachToken = (
    await createApiToken(w.t.db, { email: 'coach@demo.npq-ops.test', role: 'coach' }, now)
  ).token;
  teamSession = await w.signIn('programme.team@demo.npq-ops.test');

  const [who] = await queryRows<{ id: number; email: string; enrolment_id: number }>(
    w.t.db,
    sql`select p.id, p.email, e.id as enrolment_id from participant p join enrolment e on e.participant_id = p.id
        where p.email = 'participant2@demo.npq-ops.test'`,
  );
  const [event] = await queryRows<{ activity_id: number }>(
    w.t.db,
    sql`select ce.activity_id from enrolment e join cohort_event ce on ce.cohort_id = e.cohort_id
        join programme_activity a on a.id = ce.activity_id and a.kind = 'community_session'
        where e.id = ${who!.enrolment_id} and ce.starts_at < ${now}
          and not exists (select 1 from engagement_record r where r.participant_id = e.participant_id and r.activity_id = a.id)
        order by ce.starts_at desc limit 1`,
  );
  const engagement = await teamSession.request({
    method: 'GET',
    url: `/api/v1/enrolments/${who!.enrolment_id}/engagement`,
  });
  const open = (
    engagement.json() as { sessions: { activityId: number; state: string }[] }
  ).sessions.find((s) => s.state === 'open');
  p2 = {
    id: who!.id,
    email: who!.email,
    openSession: open!.activityId,
    pastEvent: event!.activity_id,
  };
  const [one] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select a.id from participant p join enrolment e on e.participant_id = p.id join cohort c on c.id = e.cohort_id
        join programme_activity a on a.programme_id = c.programme_id
        where p.email = 'participant1@demo.npq-ops.test' order by a.position desc limit 1`,
  );
  p1 = { email: 'participant1@demo.npq-ops.test', activity: one!.id };
});
afterAll(async () => {
  await w.destroy();
});

function statement(email: string, verb: string, activityId: number, id = randomUUID()) {
  return {
    id,
    actor: { objectType: 'Agent', mbox: `mailto:${email}` },
    verb: { id: verb, display: { 'en-GB': verb.split('/').pop() } },
    object: { objectType: 'Activity', id: `https://npq-ops.example/activities/${activityId}` },
    timestamp: '2026-03-12T19:30:00Z',
  };
}

const post = (token: string | null, payload: unknown) =>
  w.app.inject({
    method: 'POST',
    url: '/xapi/statements',
    payload: payload as object,
    headers: token ? { authorization: `Bearer ${token}` } : {},
  });

async function xapiRecords(ids: string[]) {
  return queryRows<{
    source_event_id: string;
    participant_id: number;
    activity_id: number;
    kind: string;
  }>(
    w.t.db,
    sql`select source_event_id, participant_id, activity_id, kind from engagement_record
        where source = 'xapi' and source_event_id = any(${arrayParam(ids)}::text[]) order by source_event_id`,
  );
}

describe('POST /xapi/statements', () => {
  it('records a completed statement, answers with its id, and a re-send changes nothing', async () => {
    const s = statement(p2.email, COMPLETED, p2.openSession);
    const res = await post(teamToken, s);
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-experience-api-version']).toBe('1.0.3');
    expect(res.json()).toEqual([s.id]);
    expect(await xapiRecords([s.id])).toEqual([
      {
        source_event_id: s.id,
        participant_id: p2.id,
        activity_id: p2.openSession,
        kind: 'study_session',
      },
    ]);
    const again = await post(teamToken, s);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual([s.id]);
    expect(await xapiRecords([s.id])).toHaveLength(1);
  });

  it('takes an array, with attended for events', async () => {
    const batch = [statement(p2.email, ATTENDED, p2.pastEvent)];
    const res = await post(northToken, batch);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual([batch[0]!.id]);
    expect(await xapiRecords([batch[0]!.id])).toEqual([
      expect.objectContaining({ activity_id: p2.pastEvent, kind: 'community_session' }),
    ]);
  });

  it('refuses other verbs, mismatched verbs, unknown people and bad ids with reasons, storing nothing', async () => {
    const good = statement(p2.email, COMPLETED, p2.openSession);
    const cases: [unknown, string][] = [
      [
        statement(p2.email, 'http://adlnet.gov/expapi/verbs/experienced', p2.openSession),
        '1.verb.id',
      ],
      [statement(p2.email, COMPLETED, p2.pastEvent), '1.verb.id'],
      [statement('nobody@example.org', ATTENDED, p2.pastEvent), '1.actor.mbox'],
      [{ ...statement(p2.email, ATTENDED, p2.pastEvent), id: 'not-a-uuid' }, '1.id'],
      [
        {
          ...statement(p2.email, ATTENDED, p2.pastEvent),
          object: { id: 'https://elsewhere.example/x' },
        },
        '1.object.id',
      ],
    ];
    for (const [bad, path] of cases) {
      const res = await post(teamToken, [good, bad]);
      expect(res.statusCode, path).toBe(400);
      expect((res.json() as { errors: { path: string }[] }).errors.map((e) => e.path)).toContain(
        path,
      );
    }
    expect(await xapiRecords([good.id])).toEqual([]);
  });

  it("does not let a delivery partner record for another partner's participant", async () => {
    const s = statement(p1.email, ATTENDED, p1.activity);
    const res = await post(northToken, s);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ errors: [{ path: '0.actor.mbox' }] });
    expect(await xapiRecords([s.id])).toEqual([]);
  });

  it('needs a bearer token of a staff role', async () => {
    const s = statement(p2.email, COMPLETED, p2.openSession);
    expect((await post(null, s)).statusCode).toBe(401);
    expect((await post('npq_not-a-token', s)).statusCode).toBe(401);
    expect((await post(coachToken, s)).statusCode).toBe(403);
    const viaSession = await teamSession.request({
      method: 'POST',
      url: '/xapi/statements',
      payload: s,
    });
    expect(viaSession.statusCode).toBe(401);
    expect(await xapiRecords([s.id])).toEqual([]);
  });
});
