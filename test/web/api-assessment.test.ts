import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * Demo facts used here: enrolment n belongs to participant n; enrolments 1, 9, 20, 33 are active in
 * NPQSL 2025 (cohort 7, windows 22-29 Sep and 24 Nov-1 Dec 2026, 90% deadline 11 Sep 2026), 2 is
 * active in NPQH 2025 (cohort 8). Partners: 1 and 20 South, 2, 9 and 33 North.
 */
let w: DemoWorld;
let p1: Session;
let p2: Session;
let p4: Session;
let north: Session;
let south: Session;
let team: Session;
let assessor: Session;

const at = (iso: string) => {
  w.clock.now = () => new Date(iso);
};
const IN_WINDOW_1 = '2026-09-24T10:00:00Z';
const IN_WINDOW_2 = '2026-11-25T10:00:00Z';

/** Every required activity of the enrolment's cohort completed the day before its 90% deadline. */
async function completeEverything(enrolmentId: number) {
  await w.t.db.execute(sql`
    insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
    select e.participant_id, a.id, a.kind, (c.engagement_deadline - 1)::timestamp + interval '10 hours',
           'staff', 'test-' || e.id || '-' || a.id
    from enrolment e join cohort c on c.id = e.cohort_id
    join programme_activity a on a.programme_id = c.programme_id and a.required
    where e.id = ${enrolmentId}
    on conflict do nothing`);
}

async function assign(email: string, participantId: number) {
  await w.t.db.execute(sql`
    insert into staff_assignment (user_id, participant_id)
    select id, ${participantId} from app_user where email = ${email} on conflict do nothing`);
}

async function enrolmentRow(id: number) {
  const [row] = await queryRows<{ status: string; assessment_attempts_used: number }>(
    w.t.db,
    sql`select status, assessment_attempts_used from enrolment where id = ${id}`,
  );
  return row!;
}

const submit = (s: Session, enrolmentId: number, headers?: Record<string, string>) =>
  s.request({
    method: 'POST',
    url: '/api/v1/assessment-submissions',
    payload: { enrolmentId },
    ...(headers ? { headers } : {}),
  });

type Reasons = { reasons: { code: string; clause: string; met: boolean }[] };
const codes = (body: Reasons) => body.reasons.filter((r) => !r.met).map((r) => r.code);

beforeAll(async () => {
  w = await createDemoWorld();
  [p1, p2, p4, north, south, team, assessor] = await Promise.all([
    w.signIn('participant1@demo.npq-ops.test'),
    w.signIn('participant2@demo.npq-ops.test'),
    w.signIn('participant4@demo.npq-ops.test'),
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('partner.south@demo.npq-ops.test'),
    w.signIn('programme.team@demo.npq-ops.test'),
    w.signIn('assessor@demo.npq-ops.test'),
  ]);
});
afterAll(async () => {
  await w.destroy();
});

describe('assessment windows', () => {
  it("lists a cohort's 8-day windows to those who may see the cohort", async () => {
    at('2026-09-24T10:00:00Z');
    const res = await team.request({ method: 'GET', url: '/api/v1/cohorts/7/assessment-windows' });
    expect(res.statusCode).toBe(200);
    const windows = res.json() as {
      opensOn: string;
      closesOn: string;
      state: string;
      sequenceNumber: number;
    }[];
    expect(windows.map((x) => x.sequenceNumber)).toEqual([1, 2]);
    for (const x of windows) {
      const days = (Date.parse(x.closesOn) - Date.parse(x.opensOn)) / 86_400_000;
      expect(days).toBe(7);
    }
    expect(windows.map((x) => x.state)).toEqual(['open', 'upcoming']);
    // participant1 is on NPQSL, not NPQH.
    expect(
      (await p1.request({ method: 'GET', url: '/api/v1/cohorts/8/assessment-windows' })).statusCode,
    ).toBe(404);
  });

  it('explains that a participant under 90% by the deadline is not eligible, and does not enter them', async () => {
    at('2026-03-16T09:00:00Z');
    const res = await p1.request({ method: 'GET', url: '/api/v1/enrolments/1/assessment' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      attemptsRemaining: number;
      entered: boolean;
      window: { id: number; state: string };
      eligibility: Reasons & { outcome: string };
    };
    expect(body.attemptsRemaining).toBe(2);
    expect(body.entered).toBe(false);
    expect(body.window.state).toBe('upcoming');
    expect(body.eligibility.outcome).toBe('refused');
    expect(codes(body.eligibility)).toEqual(['ASSESSMENT.ENGAGEMENT_NOT_MET']);
    expect(body.eligibility.reasons.find((r) => !r.met)?.clause).toBe('2.1.1');
  });

  it("hides another partner's participant as not found", async () => {
    expect(
      (await north.request({ method: 'GET', url: '/api/v1/enrolments/1/assessment' })).statusCode,
    ).toBe(404);
    expect((await submit(north, 1)).statusCode).toBe(404);
  });
});

describe('submissions', () => {
  it('refuses a submission before the window opens and after it closes (2.2.1.5)', async () => {
    await completeEverything(1);
    at('2026-09-21T22:30:00Z'); // 23:30 on 21 September in England: the day before it opens
    const early = await submit(p1, 1);
    expect(early.statusCode).toBe(422);
    expect(codes(early.json() as Reasons)).toEqual(['ASSESSMENT.WINDOW_NOT_OPEN']);
    at('2026-09-29T23:30:00Z'); // 00:30 on 30 September in England: the day after it closes
    const late = await submit(p1, 1);
    expect(late.statusCode).toBe(422);
    expect(codes(late.json() as Reasons)).toEqual(['ASSESSMENT.WINDOW_CLOSED']);
    expect((late.json() as Reasons).reasons[0]!.clause).toBe('2.2.1.5');
    expect((await enrolmentRow(1)).assessment_attempts_used).toBe(0);
  });

  it('refuses a participant under 90% even inside the window (2.1.1)', async () => {
    at(IN_WINDOW_1);
    const res = await submit(p2, 2);
    expect(res.statusCode).toBe(422);
    expect(codes(res.json() as Reasons)).toEqual(['ASSESSMENT.ENGAGEMENT_NOT_MET']);
  });

  it('accepts a submission inside the window as attempt 1, once per window', async () => {
    at(IN_WINDOW_1);
    const res = await submit(p1, 1);
    expect(res.statusCode).toBe(201);
    const body = res.json() as {
      submission: { attemptNumber: number; windowId: number; outcome: null };
      decision: { outcome: string; reasons: { clause: string }[] };
    };
    expect(body.submission.attemptNumber).toBe(1);
    expect(body.decision.outcome).toBe('allowed');
    expect(body.decision.reasons.map((r) => r.clause)).toEqual(
      expect.arrayContaining(['2.2.1.5', '2.1.1']),
    );
    expect((await enrolmentRow(1)).assessment_attempts_used).toBe(1);
    const again = await submit(p1, 1);
    expect(again.statusCode).toBe(409);
    const view = (
      await p1.request({ method: 'GET', url: '/api/v1/enrolments/1/assessment' })
    ).json() as { entered: boolean; attemptsRemaining: number; submissions: unknown[] };
    expect(view).toMatchObject({ entered: true, attemptsRemaining: 1 });
    expect(view.submissions).toHaveLength(1);
  });

  it('lets staff submit on behalf of a participant, and replays an Idempotency-Key without a second submission', async () => {
    await completeEverything(33);
    at(IN_WINDOW_1);
    const headers = { 'idempotency-key': 'submit-33' };
    const first = await submit(north, 33, headers);
    expect(first.statusCode).toBe(201);
    const replay = await submit(north, 33, headers);
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replay']).toBe('true');
    expect(replay.json()).toEqual(first.json());
    const rows = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from assessment_submission where enrolment_id = 33`,
    );
    expect(rows[0]!.n).toBe(1);
  });

  it('refuses a third attempt (2.5.4)', async () => {
    await completeEverything(9);
    await w.t.db.execute(sql`update enrolment set assessment_attempts_used = 2 where id = 9`);
    at(IN_WINDOW_1);
    const res = await submit(north, 9);
    expect(res.statusCode).toBe(422);
    const body = res.json() as Reasons;
    expect(codes(body)).toEqual(['ASSESSMENT.NO_ATTEMPTS_LEFT']);
    expect(body.reasons.find((r) => !r.met)?.clause).toBe('2.5.4');
  });
});

describe('outcomes', () => {
  async function submissionOf(enrolmentId: number, attempt: number): Promise<number> {
    const [row] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from assessment_submission where enrolment_id = ${enrolmentId} and attempt_number = ${attempt}`,
    );
    return row!.id;
  }
  const outcome = (s: Session, id: number, value: 'passed' | 'failed') =>
    s.request({
      method: 'POST',
      url: `/api/v1/assessment-submissions/${id}/outcome`,
      payload: { outcome: value },
    });

  it('lets only an assessor assigned to the participant, or the programme team, record an outcome', async () => {
    const id = await submissionOf(1, 1);
    expect((await outcome(assessor, id, 'failed')).statusCode).toBe(404);
    expect((await outcome(south, id, 'failed')).statusCode).toBe(403);
    expect((await outcome(p1, id, 'passed')).statusCode).toBe(403);
    await assign('assessor@demo.npq-ops.test', 1);
    const res = await outcome(assessor, id, 'failed');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      enrolmentStatus: 'active',
      attemptsRemaining: 1,
      nextWindow: { cohortId: 7, sequenceNumber: 2 },
    });
    expect((await outcome(assessor, id, 'passed')).statusCode).toBe(409);
  });

  it('enters a failed participant into the next window, and a second fail completes as failed', async () => {
    at(IN_WINDOW_2);
    const view = (
      await p1.request({ method: 'GET', url: '/api/v1/enrolments/1/assessment' })
    ).json() as { window: { sequenceNumber: number; state: string }; attemptsRemaining: number };
    expect(view.window).toMatchObject({ sequenceNumber: 2, state: 'open' });
    const second = await submit(p1, 1);
    expect(second.statusCode).toBe(201);
    expect(
      (second.json() as { submission: { attemptNumber: number } }).submission.attemptNumber,
    ).toBe(2);
    const res = await outcome(assessor, await submissionOf(1, 2), 'failed');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ enrolmentStatus: 'completed_failed', attemptsRemaining: 0 });
    expect((await enrolmentRow(1)).status).toBe('completed_failed');
    // Nothing more to submit: the enrolment is complete.
    expect((await submit(p1, 1)).statusCode).toBe(422);
  });

  it('completes a participant who passed', async () => {
    await completeEverything(20);
    at(IN_WINDOW_1);
    expect((await submit(south, 20)).statusCode).toBe(201);
    const res = await outcome(team, await submissionOf(20, 1), 'passed');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ enrolmentStatus: 'completed_passed' });
    expect(await enrolmentRow(20)).toEqual({
      status: 'completed_passed',
      assessment_attempts_used: 1,
    });
  });
});

describe('deferral before the window (2.5.1)', () => {
  const check = (s: Session, id: number) =>
    s.request({
      method: 'POST',
      url: `/api/v1/enrolments/${id}/assessment/pre-window-deferral-check`,
    });

  it('keeps both attempts when asked by the 90% deadline and points to the deferral process', async () => {
    at('2026-03-16T09:00:00Z');
    const res = await check(p4, 4);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      decision: {
        outcome: 'allowed',
        details: { attemptsKept: true, attemptsRemaining: 2, followDeferralProcess: true },
        reasons: [{ code: 'ASSESSMENT.PRE_WINDOW_REQUEST_IN_TIME', clause: '2.5.1' }],
      },
      deferralProcess: { endpoint: '/api/v1/deferral-cases' },
    });
  });

  it('refuses after the 90% deadline', async () => {
    at('2026-09-15T09:00:00Z');
    const res = await check(p4, 4);
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      decision: {
        outcome: 'refused',
        reasons: [{ code: 'ASSESSMENT.PRE_WINDOW_REQUEST_TOO_LATE' }],
      },
      deferralProcess: null,
    });
    expect((await check(north, 1)).statusCode).toBe(404);
  });

  it('publishes the routes in the OpenAPI document', async () => {
    const doc = (await w.app.inject({ method: 'GET', url: '/api/v1/openapi.json' })).json() as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/cohorts/{id}/assessment-windows',
        '/api/v1/enrolments/{id}/assessment',
        '/api/v1/assessment-submissions',
        '/api/v1/assessment-submissions/{id}/outcome',
        '/api/v1/assessment-deferral-cases/{id}/approve',
      ]),
    );
  });
});
