import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { offerSlot } from '../support/coaching.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * Assignments through the JSON API: the programme team assigns a coach to an NPQEL participant
 * (never to an NPQH one: 2.2.1.3), an assessor to a cohort and a facilitator to an event, and
 * each then does their work on exactly what was assigned.
 */
let w: DemoWorld;
let team: Session;
let south: Session;
let p2: Session;
let coach: Session;
let coach2: Session;
let assessor: Session;
let assessor2: Session;
let facilitator: Session;
const users: Record<string, number> = {};
/** An active NPQEL/EHCO enrolment, and participant2's NPQH one. */
let npqel: { enrolmentId: number; participantId: number; cohortId: number };
let npqh: { enrolmentId: number; participantId: number };

const api = (s: Session, method: 'GET' | 'POST' | 'DELETE', url: string, payload?: object) =>
  s.request({ method, url: `/api/v1${url}`, ...(payload ? { payload } : {}) });

/** A second account of a role, signing in with the demo password, in the demo lead provider. */
async function addUser(email: string, role: string): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`insert into app_user (email, display_name, password_hash, role, lead_provider_id)
        select ${email}, ${`Second ${role}`}, password_hash, ${role}, lead_provider_id
        from app_user where email = 'coach@demo.npq-ops.test' returning id`,
  );
  return row!.id;
}

beforeAll(async () => {
  w = await createDemoWorld({ participants: 40 });
  users.coach = (await w.actor('coach@demo.npq-ops.test')).userId;
  users.assessor = (await w.actor('assessor@demo.npq-ops.test')).userId;
  users.coach2 = await addUser('coach2@demo.npq-ops.test', 'coach');
  users.assessor2 = await addUser('assessor2@demo.npq-ops.test', 'assessor');
  users.facilitator = await addUser('facilitator@demo.npq-ops.test', 'facilitator');
  [team, south, p2, coach, coach2, assessor, assessor2, facilitator] = await Promise.all([
    w.signIn('programme.team@demo.npq-ops.test'),
    w.signIn('partner.south@demo.npq-ops.test'),
    w.signIn('participant2@demo.npq-ops.test'),
    w.signIn('coach@demo.npq-ops.test'),
    w.signIn('coach2@demo.npq-ops.test'),
    w.signIn('assessor@demo.npq-ops.test'),
    w.signIn('assessor2@demo.npq-ops.test'),
    w.signIn('facilitator@demo.npq-ops.test'),
  ]);
  const [el] = await queryRows<{ id: number; participant_id: number; cohort_id: number }>(
    w.t.db,
    sql`select e.id, e.participant_id, e.cohort_id from enrolment e join cohort c on c.id = e.cohort_id
        join programme pr on pr.id = c.programme_id
        where pr.coaching_entitled and e.status = 'active' order by e.id limit 1`,
  );
  npqel = { enrolmentId: el!.id, participantId: el!.participant_id, cohortId: el!.cohort_id };
  const [h] = await queryRows<{ id: number; participant_id: number }>(
    w.t.db,
    sql`select e.id, e.participant_id from enrolment e join participant p on p.id = e.participant_id
        where p.email = 'participant2@demo.npq-ops.test'`,
  );
  npqh = { enrolmentId: h!.id, participantId: h!.participant_id };
});
afterAll(async () => {
  await w?.destroy();
});

async function auditCount(what: string): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    w.t.db,
    sql`select count(*)::int as n from audit_event where what = ${what}`,
  );
  return row!.n;
}

describe('coaches (2.2.1.3)', () => {
  it('refuses a coach for an NPQH participant, citing 2.2.1.3, and writes nothing', async () => {
    const res = await api(team, 'POST', '/assignments', {
      kind: 'coach',
      userId: users.coach2,
      participantId: npqh.participantId,
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({
      code: 'POLICY_REFUSED',
      reasons: [{ code: 'COACHING.NOT_PART_OF_COURSE', clause: '2.2.1.3', met: false }],
    });
    const rows = await queryRows(
      w.t.db,
      sql`select 1 from staff_assignment where participant_id = ${npqh.participantId}`,
    );
    expect(rows).toEqual([]);
  });

  it('refuses an account without the coach role or deactivated, as a field error', async () => {
    const wrongRole = await api(team, 'POST', '/assignments', {
      kind: 'coach',
      userId: users.assessor,
      participantId: npqel.participantId,
    });
    expect(wrongRole.statusCode).toBe(422);
    expect(wrongRole.json()).toMatchObject({ errors: [{ path: 'userId' }] });
    const gone = await addUser('gone.coach@demo.npq-ops.test', 'coach');
    await w.t.db.execute(sql`update app_user set deactivated_at = now() where id = ${gone}`);
    const deactivated = await api(team, 'POST', '/assignments', {
      kind: 'coach',
      userId: gone,
      participantId: npqel.participantId,
    });
    expect(deactivated.statusCode).toBe(422);
    expect(deactivated.json()).toMatchObject({
      errors: [{ path: 'userId', message: expect.stringContaining('deactivated') }],
    });
  });

  it('assigns an NPQEL participant a new coach, who then sees them and records their coaching', async () => {
    const url = `/participants/${npqel.participantId}`;
    expect((await api(coach2, 'GET', url)).statusCode).toBe(404);
    const before = await auditCount('COACH_CHANGED');
    const res = await api(team, 'POST', '/assignments', {
      kind: 'coach',
      userId: users.coach2,
      participantId: npqel.participantId,
    });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toMatchObject({
      kind: 'coach',
      userId: users.coach2,
      participantId: npqel.participantId,
    });
    // The demo coach had them: this is a change of coach, and the old one no longer sees them.
    expect(await auditCount('COACH_CHANGED')).toBe(before + 1);
    expect((await api(coach, 'GET', url)).statusCode).toBe(404);
    expect((await api(coach2, 'GET', url)).statusCode).toBe(200);

    // The participant can be booked into a time their new coach offers (the booking checks the assignment)…
    await offerSlot(w.t.db, users.coach2!, '2026-03-23T10:00:00Z', '2026-03-23T11:00:00Z');
    const booked = await api(team, 'POST', '/coaching-sessions', {
      enrolmentId: npqel.enrolmentId,
      coachUserId: users.coach2,
      startsAt: '2026-03-23T10:00:00Z',
      endsAt: '2026-03-23T11:00:00Z',
    });
    expect(booked.statusCode).toBe(201);
    // …and a session that has taken place is recorded by the coach.
    const [past] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into coaching_session (enrolment_id, participant_id, coach_user_id, activity_id, starts_at, ends_at)
          select e.id, e.participant_id, ${users.coach2}, a.id, '2026-03-13T10:00:00Z', '2026-03-13T11:00:00Z'
          from enrolment e join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id and a.kind = 'coaching'
          where e.id = ${npqel.enrolmentId}
          order by a.position desc limit 1 returning id`,
    );
    const attended = await api(coach2, 'POST', '/attendance', {
      enrolmentId: npqel.enrolmentId,
      coachingSessionId: past!.id,
    });
    expect(attended.statusCode).toBe(200);
    expect(attended.json()).toMatchObject({ kind: 'coaching', changed: true });
  });

  it('lists the coach assignments of a cohort, and removes one with an audit event', async () => {
    const list = await api(team, 'GET', `/assignments?kind=coach&cohortId=${npqel.cohortId}`);
    expect(list.statusCode).toBe(200);
    const body = list.json() as { items: { id: number; userId: number; participantId: number }[] };
    const mine = body.items.find((a) => a.participantId === npqel.participantId);
    expect(mine).toMatchObject({ userId: users.coach2 });
    const removed = await api(team, 'DELETE', `/assignments/${mine!.id}`);
    expect(removed.statusCode).toBe(200);
    expect(await auditCount('COACH_REMOVED')).toBe(1);
    expect((await api(coach2, 'GET', `/participants/${npqel.participantId}`)).statusCode).toBe(404);
    expect((await api(team, 'DELETE', `/assignments/${mine!.id}`)).statusCode).toBe(404);
  });
});

describe('assessors', () => {
  let submissionId: number;
  let cohortId: number;

  beforeAll(async () => {
    const [s] = await queryRows<{ id: number; cohort_id: number }>(
      w.t.db,
      sql`insert into assessment_submission (enrolment_id, window_id, attempt_number, submitted_at)
          select e.id, w.id, 1, now() from enrolment e
          join assessment_window w on w.cohort_id = e.cohort_id and w.sequence_number = 1
          where e.status = 'active' and e.assessment_attempts_used = 0
            and not exists (select 1 from assessment_submission x where x.enrolment_id = e.id)
          order by e.id limit 1
          returning id, (select cohort_id from enrolment where id = enrolment_id) as cohort_id`,
    );
    submissionId = s!.id;
    cohortId = s!.cohort_id;
    await w.t.db.execute(
      sql`update enrolment set assessment_attempts_used = 1
          where id = (select enrolment_id from assessment_submission where id = ${submissionId})`,
    );
  });

  it('an assessor not assigned to the cohort neither sees nor marks its submissions', async () => {
    const res = await api(assessor2, 'POST', `/assessment-submissions/${submissionId}/outcome`, {
      outcome: 'passed',
    });
    expect(res.statusCode).toBe(404);
  });

  it('an assessor assigned to the cohort sees its submissions and records an outcome', async () => {
    const added = await api(team, 'POST', '/assignments', {
      kind: 'assessor',
      userId: users.assessor,
      cohortId,
    });
    expect(added.statusCode).toBe(201);
    expect(await auditCount('ASSESSOR_ASSIGNED')).toBe(1);
    const again = await api(team, 'POST', '/assignments', {
      kind: 'assessor',
      userId: users.assessor,
      cohortId,
    });
    expect(again.statusCode).toBe(422);
    expect(again.json()).toMatchObject({ errors: [{ path: 'userId' }] });

    const [owner] = await queryRows<{ enrolment_id: number }>(
      w.t.db,
      sql`select enrolment_id from assessment_submission where id = ${submissionId}`,
    );
    const seen = await api(assessor, 'GET', `/enrolments/${owner!.enrolment_id}/assessment`);
    expect(seen.statusCode).toBe(200);
    expect((seen.json() as { submissions: { id: number }[] }).submissions).toEqual([
      expect.objectContaining({ id: submissionId }),
    ]);
    const marked = await api(assessor, 'POST', `/assessment-submissions/${submissionId}/outcome`, {
      outcome: 'failed',
    });
    expect(marked.statusCode).toBe(200);
    expect(marked.json()).toMatchObject({ submission: { outcome: 'failed' } });
    // The other assessor still cannot.
    expect(
      (await api(assessor2, 'GET', `/enrolments/${owner!.enrolment_id}/assessment`)).statusCode,
    ).toBe(404);
  });
});

describe('facilitators', () => {
  let event: { id: number; enrolmentId: number };

  beforeAll(async () => {
    const [row] = await queryRows<{ id: number; enrolment_id: number }>(
      w.t.db,
      sql`select ce.id, e.id as enrolment_id from cohort_event ce
          join programme_activity a on a.id = ce.activity_id and a.kind = 'community_session'
          join enrolment e on e.cohort_id = ce.cohort_id and e.status = 'active'
          where ce.starts_at < ${w.clock.now()}
          order by ce.starts_at desc, e.id limit 1`,
    );
    event = { id: row!.id, enrolmentId: row!.enrolment_id };
  });

  it('a facilitator not assigned to the event cannot record its attendance', async () => {
    const res = await api(facilitator, 'POST', '/attendance', {
      enrolmentId: event.enrolmentId,
      cohortEventId: event.id,
    });
    expect(res.statusCode).toBe(404);
  });

  it('a facilitator assigned to the event records attendance', async () => {
    const added = await api(team, 'POST', '/assignments', {
      kind: 'facilitator',
      userId: users.facilitator,
      cohortEventId: event.id,
    });
    expect(added.statusCode).toBe(201);
    const res = await api(facilitator, 'POST', '/attendance', {
      enrolmentId: event.enrolmentId,
      cohortEventId: event.id,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ kind: 'community_session' });
    const listed = await api(team, 'GET', '/assignments?kind=facilitator');
    expect((listed.json() as { items: { cohortEventId: number }[] }).items).toEqual([
      expect.objectContaining({ cohortEventId: event.id, userId: users.facilitator }),
    ]);
  });

  it('refuses a facilitator for an event by someone of the wrong role', async () => {
    const res = await api(team, 'POST', '/assignments', {
      kind: 'facilitator',
      userId: users.coach,
      cohortEventId: event.id,
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ errors: [{ path: 'userId' }] });
  });
});

describe('who may manage assignments', () => {
  it('partner staff are refused with 403; participants and coaches are told there is nothing', async () => {
    const body = { kind: 'coach', userId: users.coach, participantId: npqel.participantId };
    expect((await api(south, 'GET', '/assignments?kind=coach')).statusCode).toBe(403);
    expect((await api(south, 'POST', '/assignments', body)).statusCode).toBe(403);
    expect((await api(south, 'DELETE', '/assignments/1')).statusCode).toBe(403);
    expect((await api(p2, 'GET', '/assignments?kind=coach')).statusCode).toBe(404);
    expect((await api(coach, 'POST', '/assignments', body)).statusCode).toBe(404);
    expect((await api(assessor, 'GET', '/assignable-staff?kind=coach')).statusCode).toBe(404);
  });

  it('lists the staff who can be assigned', async () => {
    const res = await api(team, 'GET', '/assignable-staff?kind=coach');
    expect(res.statusCode).toBe(200);
    const names = (res.json() as { items: { email: string }[] }).items.map((u) => u.email);
    expect(names).toContain('coach2@demo.npq-ops.test');
    expect(names).not.toContain('gone.coach@demo.npq-ops.test');
  });
});
