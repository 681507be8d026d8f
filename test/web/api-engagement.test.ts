import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let north: Session;
let south: Session;
let coach: Session;
let p1: Session;
let p2: Session;

beforeAll(async () => {
  w = await createDemoWorld();
  [north, south, coach, p1, p2] = await Promise.all([
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('partner.south@demo.npq-ops.test'),
    w.signIn('coach@demo.npq-ops.test'),
    w.signIn('participant1@demo.npq-ops.test'),
    w.signIn('participant2@demo.npq-ops.test'),
  ]);
});
afterAll(async () => {
  await w.destroy();
});

async function enrolmentOf(email: string): Promise<{ id: number; participantId: number }> {
  const [row] = await queryRows<{ id: number; participant_id: number }>(
    w.t.db,
    sql`select e.id, e.participant_id from enrolment e join participant p on p.id = e.participant_id
        where p.email = ${email} order by e.id limit 1`,
  );
  return { id: row!.id, participantId: row!.participant_id };
}

interface Engagement {
  decision: {
    outcome: string;
    reasons: { code: string; clause: string }[];
    details: { totalWeight: number; completedWeight: number };
  };
  byKind: {
    kind: string;
    activities: number;
    completed: number;
    totalWeight: number;
    completedWeight: number;
    countsTowardsEngagement: boolean;
  }[];
  sessions: {
    activityId: number;
    state: string;
    decision: { reasons: { code: string; clause: string }[] };
  }[];
}

async function engagementOf(session: Session, enrolmentId: number): Promise<Engagement> {
  const res = await session.request({
    method: 'GET',
    url: `/api/v1/enrolments/${enrolmentId}/engagement`,
  });
  expect(res.statusCode).toBe(200);
  return res.json() as Engagement;
}

async function records(participantId: number, activityId: number) {
  return queryRows<{ source: string; source_event_id: string; kind: string }>(
    w.t.db,
    sql`select source, source_event_id, kind from engagement_record
        where participant_id = ${participantId} and activity_id = ${activityId}`,
  );
}

describe('GET /enrolments/:id/engagement', () => {
  it('gives the 2.1.1 decision with a breakdown by kind that adds up to it', async () => {
    const e2 = await enrolmentOf('participant2@demo.npq-ops.test');
    const body = await engagementOf(p2, e2.id);
    expect(body.decision.reasons[0]).toMatchObject({ clause: '2.1.1' });
    const counted = body.byKind.filter((k) => k.countsTowardsEngagement);
    expect(counted.reduce((s, k) => s + k.totalWeight, 0)).toBe(body.decision.details.totalWeight);
    expect(counted.reduce((s, k) => s + k.completedWeight, 0)).toBe(
      body.decision.details.completedWeight,
    );
    const [direct] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(distinct r.activity_id)::int as n from engagement_record r
          join programme_activity a on a.id = r.activity_id and a.kind = 'study_session'
          where r.participant_id = ${e2.participantId}`,
    );
    expect(body.byKind.find((k) => k.kind === 'study_session')?.completed).toBe(direct!.n);
    expect(body.sessions.length).toBe(
      body.byKind.find((k) => k.kind === 'study_session')?.activities,
    );
    expect(new Set(body.sessions.map((s) => s.state))).toContain('done');
  });

  it('is not found for a participant of another delivery partner', async () => {
    const e1 = await enrolmentOf('participant1@demo.npq-ops.test');
    const res = await north.request({
      method: 'GET',
      url: `/api/v1/enrolments/${e1.id}/engagement`,
    });
    expect(res.statusCode).toBe(404);
  });
});

describe('Completing a study session (2.2.1.1)', () => {
  it('refuses a session out of sequence with the clause, completes the open one once, and a repeat changes nothing', async () => {
    const e2 = await enrolmentOf('participant2@demo.npq-ops.test');
    const before = await engagementOf(p2, e2.id);
    const open = before.sessions.find((s) => s.state === 'open');
    const locked = before.sessions.find((s) =>
      s.decision.reasons.some((r) => r.code === 'ACCESS.PREVIOUS_SESSION_INCOMPLETE'),
    );
    expect(open).toBeDefined();
    expect(locked).toBeDefined();

    const refused = await p2.request({
      method: 'POST',
      url: `/api/v1/enrolments/${e2.id}/study-sessions/${locked!.activityId}/complete`,
    });
    expect(refused.statusCode).toBe(422);
    expect(refused.json()).toMatchObject({
      code: 'POLICY_REFUSED',
      reasons: [{ code: 'ACCESS.PREVIOUS_SESSION_INCOMPLETE', clause: '2.2.1.1', met: false }],
    });
    expect(await records(e2.participantId, locked!.activityId)).toEqual([]);

    const done = await p2.request({
      method: 'POST',
      url: `/api/v1/enrolments/${e2.id}/study-sessions/${open!.activityId}/complete`,
    });
    expect(done.statusCode).toBe(200);
    expect(done.json()).toMatchObject({ changed: true, decision: { outcome: 'allowed' } });
    expect(await records(e2.participantId, open!.activityId)).toEqual([
      {
        source: 'platform',
        source_event_id: `session-${e2.participantId}-${open!.activityId}`,
        kind: 'study_session',
      },
    ]);
    const [audited] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from audit_event where what = 'STUDY_SESSION_COMPLETED'
          and subject_id = ${String(e2.id)} and details->>'activityId' = ${String(open!.activityId)}`,
    );
    expect(audited!.n).toBe(1);

    const again = await p2.request({
      method: 'POST',
      url: `/api/v1/enrolments/${e2.id}/study-sessions/${open!.activityId}/complete`,
    });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({
      changed: false,
      decision: { details: { state: 'done' } },
    });
    expect(await records(e2.participantId, open!.activityId)).toHaveLength(1);

    const after = await engagementOf(p2, e2.id);
    expect(after.decision.details.completedWeight).toBeGreaterThan(
      before.decision.details.completedWeight,
    );
  });

  it('lets the delivery partner complete one for their participant, and no one else', async () => {
    const e2 = await enrolmentOf('participant2@demo.npq-ops.test');
    const open = (await engagementOf(p2, e2.id)).sessions.find((s) => s.state === 'open');
    expect(open).toBeDefined();
    const url = `/api/v1/enrolments/${e2.id}/study-sessions/${open!.activityId}/complete`;
    expect((await south.request({ method: 'POST', url })).statusCode).toBe(404);
    expect((await p1.request({ method: 'POST', url })).statusCode).toBe(404);
    expect((await coach.request({ method: 'POST', url })).statusCode).toBe(404);
    expect(await records(e2.participantId, open!.activityId)).toEqual([]);
    const res = await north.request({ method: 'POST', url });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ changed: true });
  });

  it('refuses a session whose module is not released yet (2.1.3)', async () => {
    const e2 = await enrolmentOf('participant2@demo.npq-ops.test');
    const { sessions } = await engagementOf(p2, e2.id);
    const unreleased = sessions.find((s) =>
      s.decision.reasons.some((r) => r.code === 'ACCESS.NOT_RELEASED'),
    );
    expect(unreleased).toBeDefined();
    const res = await p2.request({
      method: 'POST',
      url: `/api/v1/enrolments/${e2.id}/study-sessions/${unreleased!.activityId}/complete`,
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      reasons: [{ code: 'ACCESS.NOT_RELEASED', clause: '2.1.3' }],
    });
  });

  it('answers 404 for an activity that is not a study session of the programme', async () => {
    const e2 = await enrolmentOf('participant2@demo.npq-ops.test');
    const [clinic] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select a.id from enrolment e join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id and a.kind = 'clinic'
          where e.id = ${e2.id} limit 1`,
    );
    const res = await p2.request({
      method: 'POST',
      url: `/api/v1/enrolments/${e2.id}/study-sessions/${clinic!.id}/complete`,
    });
    expect(res.statusCode).toBe(404);
  });
});

describe('POST /attendance', () => {
  async function pastEventNotAttended(enrolmentId: number) {
    const [row] = await queryRows<{ id: number; activity_id: number }>(
      w.t.db,
      sql`select ce.id, ce.activity_id from enrolment e
          join cohort_event ce on ce.cohort_id = e.cohort_id
          join programme_activity a on a.id = ce.activity_id and a.kind in ('community_session', 'conference')
          where e.id = ${enrolmentId} and ce.starts_at < ${w.clock.now()}
            and not exists (select 1 from engagement_record r where r.participant_id = e.participant_id and r.activity_id = a.id)
          order by ce.starts_at desc limit 1`,
    );
    return row;
  }

  it('records a community session or conference attended, once, for staff who may', async () => {
    const e2 = await enrolmentOf('participant2@demo.npq-ops.test');
    const event = await pastEventNotAttended(e2.id);
    expect(event).toBeDefined();
    const payload = { enrolmentId: e2.id, cohortEventId: event!.id };

    expect(
      (await p2.request({ method: 'POST', url: '/api/v1/attendance', payload })).statusCode,
    ).toBe(403);
    expect(
      (await south.request({ method: 'POST', url: '/api/v1/attendance', payload })).statusCode,
    ).toBe(404);
    expect(
      (await coach.request({ method: 'POST', url: '/api/v1/attendance', payload })).statusCode,
    ).toBe(404);
    expect(await records(e2.participantId, event!.activity_id)).toEqual([]);

    const res = await north.request({ method: 'POST', url: '/api/v1/attendance', payload });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ changed: true, activityId: event!.activity_id });
    expect(await records(e2.participantId, event!.activity_id)).toEqual([
      expect.objectContaining({
        source: 'staff',
        source_event_id: `attendance-${e2.participantId}-${event!.activity_id}`,
      }),
    ]);
    const again = await north.request({ method: 'POST', url: '/api/v1/attendance', payload });
    expect(again.json()).toMatchObject({ changed: false });
    expect(await records(e2.participantId, event!.activity_id)).toHaveLength(1);
  });

  it('refuses an event that has not happened, and one of another cohort', async () => {
    const e2 = await enrolmentOf('participant2@demo.npq-ops.test');
    const e1 = await enrolmentOf('participant1@demo.npq-ops.test');
    const [future] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select ce.id from cohort_event ce join enrolment e on e.cohort_id = ce.cohort_id
          where e.id = ${e2.id} and ce.starts_at > ${w.clock.now()} limit 1`,
    );
    const notYet = await north.request({
      method: 'POST',
      url: '/api/v1/attendance',
      payload: { enrolmentId: e2.id, cohortEventId: future!.id },
    });
    expect(notYet.statusCode).toBe(422);
    const [other] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select ce.id from cohort_event ce join enrolment e on e.cohort_id = ce.cohort_id where e.id = ${e1.id} limit 1`,
    );
    const wrongCohort = await north.request({
      method: 'POST',
      url: '/api/v1/attendance',
      payload: { enrolmentId: e2.id, cohortEventId: other!.id },
    });
    expect(wrongCohort.statusCode).toBe(404);
    const neither = await north.request({
      method: 'POST',
      url: '/api/v1/attendance',
      payload: { enrolmentId: e2.id },
    });
    expect(neither.statusCode).toBe(400);
  });
});
