import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let north: Session;
let south: Session;
let admin: Session;
let coach: Session;
let p1: Session;
let p2: Session;
/** participant2's first enrolment, found once: the edits below change their email. */
let p2Enrolment: Enrolment;

beforeAll(async () => {
  w = await createDemoWorld();
  [north, south, admin, coach, p1, p2] = await Promise.all([
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('partner.south@demo.npq-ops.test'),
    w.signIn('admin@demo.npq-ops.test'),
    w.signIn('coach@demo.npq-ops.test'),
    w.signIn('participant1@demo.npq-ops.test'),
    w.signIn('participant2@demo.npq-ops.test'),
  ]);
  p2Enrolment = await enrolmentOf('participant2@demo.npq-ops.test');
});
afterAll(async () => {
  await w.destroy();
});

interface Enrolment {
  id: number;
  participantId: number;
}

async function enrolmentOf(email: string): Promise<Enrolment> {
  const [row] = await queryRows<{ id: number; participant_id: number }>(
    w.t.db,
    sql`select e.id, e.participant_id from enrolment e join participant p on p.id = e.participant_id
        where p.email = ${email} order by e.id limit 1`,
  );
  return { id: row!.id, participantId: row!.participant_id };
}

/** Puts a participant back to the start: accepted, nothing confirmed, no engagement, no cases. */
async function backToAccepted(email: string, confirmed = false): Promise<Enrolment> {
  const e = await enrolmentOf(email);
  await w.t.db.execute(
    sql`delete from engagement_record where participant_id = ${e.participantId}`,
  );
  await w.t.db.execute(
    sql`update enrolment set status = 'accepted', commenced_at = null, deferral_count = 0 where id = ${e.id}`,
  );
  await w.t.db.execute(sql`update participant set dfe_registration_confirmed = ${confirmed},
      employment_confirmed = ${confirmed} where id = ${e.participantId}`);
  return e;
}

async function state(enrolmentId: number) {
  const [row] = await queryRows<{ status: string; commenced_at: Date | string | null }>(
    w.t.db,
    sql`select status, commenced_at from enrolment where id = ${enrolmentId}`,
  );
  return row!;
}

async function versionOf(participantId: number): Promise<number> {
  const [row] = await queryRows<{ version: number }>(
    w.t.db,
    sql`select version from participant where id = ${participantId}`,
  );
  return row!.version;
}

async function firstOpenSession(session: Session, enrolmentId: number): Promise<number> {
  const res = await session.request({
    method: 'GET',
    url: `/api/v1/enrolments/${enrolmentId}/engagement`,
  });
  const body = res.json() as { sessions: { activityId: number; state: string }[] };
  return body.sessions.find((s) => s.state === 'open')!.activityId;
}

const patch = (session: Session, participantId: number, payload: object) =>
  session.request({ method: 'PATCH', url: `/api/v1/participants/${participantId}`, payload });

async function confirm(
  session: Session,
  participantId: number,
  fields: { dfeRegistrationConfirmed?: boolean; employmentConfirmed?: boolean },
) {
  return patch(session, participantId, {
    ...fields,
    expectedVersion: await versionOf(participantId),
  });
}

async function commenceAudits(enrolmentId: number) {
  return queryRows<{ who: string; details: Record<string, unknown> }>(
    w.t.db,
    sql`select who, details from audit_event where what = 'ENROLMENT_COMMENCE'
        and subject_type = 'enrolment' and subject_id = ${String(enrolmentId)} order by id`,
  );
}

describe('2.3.2 the start of an enrolment', () => {
  it('2.3.2 goes accepted -> confirmations -> first study session -> active -> eligible to ask for a deferral', async () => {
    const e = await backToAccepted('participant1@demo.npq-ops.test');
    const before = await p1.request({
      method: 'POST',
      url: `/api/v1/enrolments/${e.id}/deferral-preview`,
      payload: { circumstance: 'maternity_leave' },
    });
    expect((before.json() as { decision: { outcome: string } }).decision.outcome).not.toBe(
      'allowed',
    );

    const confirmed = await confirm(south, e.participantId, {
      dfeRegistrationConfirmed: true,
      employmentConfirmed: true,
    });
    expect(confirmed.statusCode).toBe(200);
    expect(confirmed.json()).toMatchObject({ commencedEnrolmentIds: [] });
    expect((await state(e.id)).status).toBe('accepted');

    const activityId = await firstOpenSession(p1, e.id);
    const done = await p1.request({
      method: 'POST',
      url: `/api/v1/enrolments/${e.id}/study-sessions/${activityId}/complete`,
    });
    expect(done.statusCode).toBe(200);
    const after = await state(e.id);
    expect(after.status).toBe('active');
    expect(new Date(after.commenced_at!).toISOString()).toBe(w.clock.now().toISOString());
    const audits = await commenceAudits(e.id);
    expect(audits.at(-1)!.details).toMatchObject({
      from: 'accepted',
      to: 'active',
      automatic: true,
      trigger: 'study_session_completed',
    });

    const preview = await p1.request({
      method: 'POST',
      url: `/api/v1/enrolments/${e.id}/deferral-preview`,
      payload: { circumstance: 'maternity_leave' },
    });
    expect(preview.statusCode).toBe(200);
    const decision = (
      preview.json() as { decision: { outcome: string; reasons: { code: string }[] } }
    ).decision;
    expect(decision.outcome).toBe('allowed');
    expect(decision.reasons.map((r) => r.code)).toEqual(
      expect.arrayContaining([
        'DEFERRAL.DFE_REGISTERED',
        'DEFERRAL.EMPLOYMENT_CONFIRMED',
        'DEFERRAL.ENGAGED',
      ]),
    );
    const record = await p1.request({
      method: 'GET',
      url: `/api/v1/participants/${e.participantId}`,
    });
    expect(
      (
        record.json() as { enrolments: { id: number; commencedAt: string | null }[] }
      ).enrolments.find((x) => x.id === e.id)!.commencedAt,
    ).toBe(w.clock.now().toISOString());
  });

  it('2.3.2 stays accepted after engagement without both confirmations, and starts when staff record the second one', async () => {
    const e = await backToAccepted('participant2@demo.npq-ops.test');
    const activityId = await firstOpenSession(p2, e.id);
    const done = await p2.request({
      method: 'POST',
      url: `/api/v1/enrolments/${e.id}/study-sessions/${activityId}/complete`,
    });
    expect(done.statusCode).toBe(200);
    expect((await state(e.id)).status).toBe('accepted');

    const first = await confirm(north, e.participantId, { employmentConfirmed: true });
    expect(first.json()).toMatchObject({
      changed: ['employmentConfirmed'],
      commencedEnrolmentIds: [],
    });
    expect((await state(e.id)).status).toBe('accepted');

    const second = await confirm(north, e.participantId, { dfeRegistrationConfirmed: true });
    expect(second.statusCode).toBe(200);
    expect(second.json()).toMatchObject({
      changed: ['dfeRegistrationConfirmed'],
      commencedEnrolmentIds: [e.id],
      dfeRegistrationConfirmed: true,
      employmentConfirmed: true,
    });
    expect((await state(e.id)).status).toBe('active');
    expect((await commenceAudits(e.id)).at(-1)!.details).toMatchObject({
      trigger: 'confirmation_recorded',
    });
  });

  it('2.3.2 commences set-based for every enrolment a bulk engagement feed completes, and only those', async () => {
    const a = await backToAccepted('participant1@demo.npq-ops.test', true);
    const b = await backToAccepted('participant2@demo.npq-ops.test', true);
    await w.t.db.execute(
      sql`update participant set employment_confirmed = false where id = ${b.participantId}`,
    );
    const activity = async (e: Enrolment) => {
      const [row] = await queryRows<{ id: number }>(
        w.t.db,
        sql`select a.id from programme_activity a join cohort c on c.programme_id = a.programme_id
            join enrolment e on e.cohort_id = c.id where e.id = ${e.id} and a.kind = 'study_session' and a.required
            order by a.position limit 1`,
      );
      return row!.id;
    };
    const row = async (e: Enrolment, email: string) => ({
      participant: email,
      activityId: await activity(e),
      occurredAt: '2025-11-01T10:00:00Z',
      sourceEventId: `bulk-${e.id}`,
    });
    const res = await admin.request({
      method: 'POST',
      url: '/api/v1/engagement/batch',
      payload: [
        await row(a, 'participant1@demo.npq-ops.test'),
        await row(b, 'participant2@demo.npq-ops.test'),
      ],
    });
    expect(res.statusCode).toBeLessThan(300);
    expect(res.json()).toMatchObject({ inserted: 2, errors: [] });
    expect((await state(a.id)).status).toBe('active');
    expect((await state(b.id)).status).toBe('accepted');
    expect((await commenceAudits(a.id)).at(-1)!.details).toMatchObject({
      automatic: true,
      trigger: 'engagement_imported',
    });
    const before = (await commenceAudits(b.id)).length;
    // The confirmation arriving afterwards starts it.
    await confirm(admin, b.participantId, { employmentConfirmed: true });
    expect((await state(b.id)).status).toBe('active');
    expect(await commenceAudits(b.id)).toHaveLength(before + 1);
  });
});

describe('POST /api/v1/enrolments/{id}/commence', () => {
  it('lets staff record the commencement with a note, once, and only for their own participants', async () => {
    const e = await backToAccepted('participant2@demo.npq-ops.test');
    const url = `/api/v1/enrolments/${e.id}/commence`;
    expect((await south.request({ method: 'POST', url, payload: {} })).statusCode).toBe(404);
    expect((await p2.request({ method: 'POST', url, payload: {} })).statusCode).toBe(403);
    const res = await north.request({
      method: 'POST',
      url,
      payload: { note: 'Started at the induction day' },
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: e.id, status: 'active' });
    expect((await commenceAudits(e.id)).at(-1)).toMatchObject({
      details: { automatic: false, note: 'Started at the induction day' },
    });
    const again = await north.request({ method: 'POST', url, payload: {} });
    expect(again.statusCode).toBe(422);
  });

  it('refuses a stale enrolment version with 409', async () => {
    const e = await backToAccepted('participant2@demo.npq-ops.test');
    const res = await north.request({
      method: 'POST',
      url: `/api/v1/enrolments/${e.id}/commence`,
      payload: { expectedVersion: 1 },
    });
    expect(res.statusCode).toBe(409);
    expect((await state(e.id)).status).toBe('accepted');
  });
});

describe('PATCH /api/v1/participants/{id}', () => {
  it('changes name, email, working pattern and funding route, audited with old and new values', async () => {
    const e = p2Enrolment;
    const version = await versionOf(e.participantId);
    const res = await patch(north, e.participantId, {
      expectedVersion: version,
      fullName: 'Robin Renamed',
      email: 'Robin.Renamed@school.test',
      workingPattern: 'part_time',
      partTimeFraction: 0.6,
      fundingRoute: 'self',
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ version: version + 1 });
    const [user] = await queryRows<{ email: string; display_name: string }>(
      w.t.db,
      sql`select email, display_name from app_user where participant_id = ${e.participantId}`,
    );
    expect(user).toEqual({ email: 'Robin.Renamed@school.test', display_name: 'Robin Renamed' });
    const [event] = await queryRows<{ details: { changes: Record<string, unknown> } }>(
      w.t.db,
      sql`select details from audit_event where what = 'PARTICIPANT_UPDATED' and subject_id = ${String(e.participantId)}
          order by id desc limit 1`,
    );
    expect(event!.details.changes).toMatchObject({
      fullName: { to: 'Robin Renamed' },
      email: { from: 'participant2@demo.npq-ops.test', to: 'Robin.Renamed@school.test' },
      workingPattern: { from: 'full_time', to: 'part_time' },
      partTimeFraction: { from: null, to: 0.6 },
      fundingRoute: { to: 'self' },
    });

    // Full time clears the fraction.
    const back = await patch(north, e.participantId, {
      expectedVersion: version + 1,
      email: 'participant2@demo.npq-ops.test',
      workingPattern: 'full_time',
    });
    expect(back.statusCode).toBe(200);
    const [row] = await queryRows<{ part_time_fraction: string | null }>(
      w.t.db,
      sql`select part_time_fraction::text from participant where id = ${e.participantId}`,
    );
    expect(row!.part_time_fraction).toBeNull();
  });

  it('answers 409 on a stale version and changes nothing', async () => {
    const e = p2Enrolment;
    const version = await versionOf(e.participantId);
    const res = await patch(north, e.participantId, {
      expectedVersion: version - 1,
      fullName: 'Too Late',
    });
    expect(res.statusCode).toBe(409);
    expect(await versionOf(e.participantId)).toBe(version);
  });

  it('gives field errors: a taken email in any case, a part-time fraction out of range or missing', async () => {
    const e = p2Enrolment;
    const expectedVersion = await versionOf(e.participantId);
    const [other] = await queryRows<{ email: string }>(
      w.t.db,
      sql`select email from participant where id <> ${e.participantId} order by id limit 1`,
    );
    const cases: [object, string, string][] = [
      [{ email: other!.email.toUpperCase() }, 'email', 'belongs to another participant'],
      [{ email: 'admin@demo.npq-ops.test' }, 'email', 'already used to sign in'],
      [{ email: 'not an email' }, 'email', 'correct format'],
      [{ workingPattern: 'part_time', partTimeFraction: 1 }, 'partTimeFraction', 'less than 1'],
      [{ workingPattern: 'part_time', partTimeFraction: 0 }, 'partTimeFraction', 'more than 0'],
      [{ workingPattern: 'part_time' }, 'partTimeFraction', 'Enter the part-time fraction'],
      [{ fundingRoute: 'lottery' }, 'fundingRoute', 'Funding route must be one of'],
      [{ fullName: '  ' }, 'fullName', 'Enter the full name'],
    ];
    for (const [body, path, message] of cases) {
      const res = await patch(north, e.participantId, { ...body, expectedVersion });
      expect(res.statusCode, JSON.stringify(body)).toBe(422);
      const errors = (res.json() as { errors: { path: string; message: string }[] }).errors;
      expect(errors).toEqual([expect.objectContaining({ path })]);
      expect(errors[0]!.message).toContain(message);
    }
    expect(await versionOf(e.participantId)).toBe(expectedVersion);
  });

  it("answers 404 to another partner's staff and 403 to participants and coaches", async () => {
    const e = p2Enrolment;
    const expectedVersion = await versionOf(e.participantId);
    const body = { expectedVersion, fullName: 'Not Allowed' };
    expect((await patch(south, e.participantId, body)).statusCode).toBe(404);
    expect((await patch(p2, e.participantId, body)).statusCode).toBe(403);
    expect([403, 404]).toContain((await patch(coach, e.participantId, body)).statusCode);
    expect(await versionOf(e.participantId)).toBe(expectedVersion);
  });
});

describe('an accepted participant before the start of their programme', () => {
  it('2.3.2 can book a clinic, since attending a first event is one way to start', async () => {
    const e = await backToAccepted('participant1@demo.npq-ops.test', true);
    const res = await p1.request({
      method: 'GET',
      url: `/api/v1/enrolments/${e.id}/clinic-slots`,
    });
    expect(res.statusCode).toBe(200);
    const slots = res.json() as {
      cohortEventId: number;
      remaining: number;
      decision: { outcome: string } | null;
    }[];
    const open = slots.find((s) => s.decision?.outcome === 'allowed' && s.remaining > 0);
    expect(open, 'an open clinic slot').toBeDefined();
    const booked = await p1.request({
      method: 'POST',
      url: '/api/v1/bookings',
      payload: { enrolmentId: e.id, cohortEventId: open!.cohortEventId },
    });
    expect(booked.statusCode, booked.body).toBe(201);
    expect((await state(e.id)).status).toBe('accepted');
  });
});
