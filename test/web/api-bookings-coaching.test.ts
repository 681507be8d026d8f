import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { recordAttendance } from '../../src/services/engagement/attendance.js';
import { fixedClock } from '../../src/clock.js';
import { offerSlot } from '../support/coaching.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let south: Session;
let team: Session;
let p1: Session;
let p4: Session;
let e1: number;
let e4: number;
let coachId: number;
/** Another active NPQEL/EHCO participant, with their enrolment. */
let other: { enrolmentId: number; participantId: number };

beforeAll(async () => {
  w = await createDemoWorld();
  [team, south, p1, p4] = await Promise.all([
    w.signIn('programme.team@demo.npq-ops.test'),
    w.signIn('partner.south@demo.npq-ops.test'),
    w.signIn('participant1@demo.npq-ops.test'),
    w.signIn('participant4@demo.npq-ops.test'),
  ]);
  e1 = await enrolmentOf('participant1@demo.npq-ops.test');
  e4 = await enrolmentOf('participant4@demo.npq-ops.test');
  coachId = (await w.actor('coach@demo.npq-ops.test')).userId;
  const [row] = await queryRows<{ enrolment_id: number; participant_id: number }>(
    w.t.db,
    sql`select e.id as enrolment_id, e.participant_id from enrolment e join cohort c on c.id = e.cohort_id
        join programme pr on pr.id = c.programme_id
        where pr.coaching_entitled and e.status = 'active' and e.id <> ${e4}
        order by e.id limit 1`,
  );
  other = { enrolmentId: row!.enrolment_id, participantId: row!.participant_id };
  // The coach works with both (the demo may already say so).
  await w.t.db.execute(sql`
    insert into staff_assignment (user_id, participant_id)
    select ${coachId}, e.participant_id from enrolment e where e.id in (${e4}, ${other.enrolmentId})
    on conflict do nothing`);
  // Participants book only into times the coach offers (policy 2.2.1.3): the coach's slots.
  await offerSlot(w.t.db, coachId, '2026-03-20T10:00:00Z', '2026-03-20T11:00:00Z');
  await offerSlot(w.t.db, coachId, '2026-03-23T09:00:00Z', '2026-03-23T10:00:00Z');
  await offerSlot(w.t.db, coachId, '2026-03-10T10:00:00Z', '2026-03-10T11:00:00Z');
});
afterAll(async () => {
  await w.destroy();
});

async function enrolmentOf(email: string): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join participant p on p.id = e.participant_id where p.email = ${email}`,
  );
  return row!.id;
}

const bookCoaching = (s: Session, payload: object) =>
  s.request({ method: 'POST', url: '/api/v1/coaching-sessions', payload });

const at = (iso: string, minutes = 60) => ({
  startsAt: iso,
  endsAt: new Date(Date.parse(iso) + minutes * 60_000).toISOString(),
});

async function scheduled(coach: number) {
  return queryRows<{ id: number; participant_id: number }>(
    w.t.db,
    sql`select id, participant_id from coaching_session where coach_user_id = ${coach} and status = 'scheduled' order by id`,
  );
}

describe('Coaching (2.2.1.3)', () => {
  it('is refused on a course without coaching, citing 2.2.1.3', async () => {
    const res = await bookCoaching(p1, {
      enrolmentId: e1,
      coachUserId: coachId,
      ...at('2026-03-20T10:00:00Z'),
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'POLICY_REFUSED',
      reasons: [{ code: 'COACHING.NOT_PART_OF_COURSE', clause: '2.2.1.3', met: false }],
    });
  });

  it('books the next coaching conversation with the assigned coach at a time free for both', async () => {
    expect(
      (
        await bookCoaching(south, {
          enrolmentId: e4,
          coachUserId: coachId,
          ...at('2026-03-20T10:00:00Z'),
        })
      ).statusCode,
    ).toBe(404);
    const res = await bookCoaching(p4, {
      enrolmentId: e4,
      coachUserId: coachId,
      ...at('2026-03-20T10:00:00Z'),
    });
    expect(res.statusCode).toBe(201);
    const [next] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select a.id from enrolment e join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id and a.kind = 'coaching'
          where e.id = ${e4} and not exists (select 1 from engagement_record r where r.participant_id = e.participant_id and r.activity_id = a.id)
          order by a.position limit 1`,
    );
    expect(res.json()).toMatchObject({
      session: { enrolmentId: e4, coachUserId: coachId, activityId: next!.id, status: 'scheduled' },
      decision: {
        outcome: 'allowed',
        reasons: expect.arrayContaining([
          expect.objectContaining({ code: 'COACHING.BOTH_AVAILABLE', clause: '2.2.1.3' }),
        ]),
      },
    });
    const listed = (
      await p4.request({ method: 'GET', url: `/api/v1/enrolments/${e4}/bookings` })
    ).json() as {
      coaching: { activityId: number }[];
    };
    expect(listed.coaching).toEqual([expect.objectContaining({ activityId: next!.id })]);
  });

  it('refuses to double-book the coach, and any time the coach has not offered', async () => {
    const notOffered = await bookCoaching(team, {
      enrolmentId: other.enrolmentId,
      coachUserId: coachId,
      ...at('2026-03-20T12:00:00Z'),
    });
    expect(notOffered.statusCode).toBe(422);
    expect(notOffered.json()).toMatchObject({
      reasons: expect.arrayContaining([
        expect.objectContaining({ code: 'COACHING.COACH_UNAVAILABLE', clause: '2.2.1.3' }),
      ]),
    });
    const res = await bookCoaching(team, {
      enrolmentId: other.enrolmentId,
      coachUserId: coachId,
      ...at('2026-03-20T10:00:00Z'),
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      error: expect.stringContaining('has just been booked'),
      reasons: expect.arrayContaining([
        expect.objectContaining({ code: 'COACHING.COACH_UNAVAILABLE', clause: '2.2.1.3' }),
      ]),
    });
    expect((await scheduled(coachId)).map((s) => s.participant_id)).not.toContain(
      other.participantId,
    );
  });

  it('refuses a time when the participant already has coaching or a booked event', async () => {
    // A slot overlapping the booked one, written directly (the availability page refuses overlaps).
    await offerSlot(w.t.db, coachId, '2026-03-20T10:15:00Z', '2026-03-20T10:45:00Z');
    const clash = await bookCoaching(p4, {
      enrolmentId: e4,
      coachUserId: coachId,
      ...at('2026-03-20T10:15:00Z', 30),
    });
    expect(clash.statusCode).toBe(422);
    expect(clash.json()).toMatchObject({
      reasons: expect.arrayContaining([
        expect.objectContaining({ code: 'COACHING.PARTICIPANT_UNAVAILABLE' }),
      ]),
    });
    const [slot] = await queryRows<{ id: number; starts_at: Date | string }>(
      w.t.db,
      sql`select ce.id, ce.starts_at from enrolment e join cohort_event ce on ce.cohort_id = e.cohort_id
          join programme_activity a on a.id = ce.activity_id and a.kind = 'community_session'
          where e.id = ${e4} and ce.starts_at > ${w.clock.now()} order by ce.starts_at limit 1`,
    );
    const booked = await p4.request({
      method: 'POST',
      url: '/api/v1/bookings',
      payload: { enrolmentId: e4, cohortEventId: slot!.id },
    });
    expect(booked.statusCode).toBe(201);
    const eventStart = new Date(slot!.starts_at);
    await offerSlot(w.t.db, coachId, eventStart, new Date(eventStart.getTime() + 30 * 60_000));
    const overEvent = await bookCoaching(p4, {
      enrolmentId: e4,
      coachUserId: coachId,
      ...at(new Date(slot!.starts_at).toISOString(), 30),
    });
    expect(overEvent.statusCode).toBe(422);
    expect(overEvent.json()).toMatchObject({
      reasons: expect.arrayContaining([
        expect.objectContaining({ code: 'COACHING.PARTICIPANT_UNAVAILABLE' }),
      ]),
    });
  });

  it('refuses a coach who is not assigned, a time in the past and a session of impossible length', async () => {
    const assessor = (await w.actor('assessor@demo.npq-ops.test')).userId;
    expect(
      (
        await bookCoaching(p4, {
          enrolmentId: e4,
          coachUserId: assessor,
          ...at('2026-03-25T10:00:00Z'),
        })
      ).statusCode,
    ).toBe(422);
    expect(
      (
        await bookCoaching(p4, {
          enrolmentId: e4,
          coachUserId: coachId,
          ...at('2026-03-10T10:00:00Z'),
        })
      ).statusCode,
    ).toBe(422);
    expect(
      (
        await bookCoaching(p4, {
          enrolmentId: e4,
          coachUserId: coachId,
          ...at('2026-03-25T10:00:00Z', 600),
        })
      ).statusCode,
    ).toBe(422);
  });

  it('cancels, freeing the coach for someone else', async () => {
    const [mine] = (await scheduled(coachId)).filter(
      (s) => s.participant_id !== other.participantId,
    );
    expect(
      (await south.request({ method: 'POST', url: `/api/v1/coaching-sessions/${mine!.id}/cancel` }))
        .statusCode,
    ).toBe(404);
    const res = await p4.request({
      method: 'POST',
      url: `/api/v1/coaching-sessions/${mine!.id}/cancel`,
    });
    expect(res.json()).toMatchObject({ changed: true, session: { status: 'cancelled' } });
    const again = await p4.request({
      method: 'POST',
      url: `/api/v1/coaching-sessions/${mine!.id}/cancel`,
    });
    expect(again.json()).toMatchObject({ changed: false });
    const now = await bookCoaching(team, {
      enrolmentId: other.enrolmentId,
      coachUserId: coachId,
      ...at('2026-03-20T10:00:00Z'),
    });
    expect(now.statusCode).toBe(201);
  });

  it('lets the coach record attendance once the session has happened, counting it as engagement', async () => {
    const res = await bookCoaching(p4, {
      enrolmentId: e4,
      coachUserId: coachId,
      ...at('2026-03-23T09:00:00Z'),
    });
    expect(res.statusCode).toBe(201);
    const session = (res.json() as { session: { id: number; activityId: number } }).session;
    const coach = await w.actor('coach@demo.npq-ops.test');
    const input = { enrolmentId: e4, coachingSessionId: session.id };
    await expect(
      recordAttendance({ db: w.t.db, clock: w.clock }, coach, input),
    ).rejects.toMatchObject({ status: 422 });
    const later = { db: w.t.db, clock: fixedClock('2026-03-23T12:00:00Z') };
    const result = await recordAttendance(later, coach, input);
    expect(result).toMatchObject({
      changed: true,
      kind: 'coaching',
      decision: { outcome: 'allowed' },
    });
    const [row] = await queryRows<{ status: string; records: number }>(
      w.t.db,
      sql`select s.status, (select count(*)::int from engagement_record r where r.participant_id = s.participant_id
            and r.activity_id = s.activity_id) as records from coaching_session s where s.id = ${session.id}`,
    );
    expect(row).toEqual({ status: 'attended', records: 1 });
    expect(await recordAttendance(later, coach, input)).toMatchObject({ changed: false });
    const participant = await w.actor('participant4@demo.npq-ops.test');
    await expect(recordAttendance(later, participant, input)).rejects.toMatchObject({
      status: 403,
    });
    const cancel = await p4.request({
      method: 'POST',
      url: `/api/v1/coaching-sessions/${session.id}/cancel`,
    });
    expect(cancel.statusCode).toBe(409);
  });
});
