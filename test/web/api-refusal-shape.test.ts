/**
 * One refusal shape across the API (issue 10): whatever the policy refuses (a deferral request, an
 * assessment deferral, a clinic or community booking, a coaching booking, an assessment
 * submission), and whether the refusal comes from that area's rule or from the enrolment not being
 * on the programme (deferred, withdrawn), the answer is the same: 422 POLICY_REFUSED with the
 * reasons, their clauses, the policy version and errors[] at policy.<clause>.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { LightMyRequestResponse } from 'fastify';
import { queryRows } from '../../src/db/client.js';
import { offerSlot } from '../support/coaching.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let team: Session;
/** participant1's enrolment: active, on a course without coaching, nothing booked. */
let e1: number;
/** An active enrolment on a coaching course, with a coach: made deferred, then withdrawn. */
let target: { enrolmentId: number; cohortId: number };
let coachId: number;

const CLAUSE = /^\d+(\.\d+)+$/;

interface RefusalBody {
  error: string;
  code: string;
  errors: { path: string; message: string }[];
  reasons: { code: string; clause: string; met: boolean; message: string; evidence: object }[];
  policyVersion: string;
}

/** The one shape, asserted in full; returns the unmet reasons as code@clause. */
function expectRefusal(res: LightMyRequestResponse): string[] {
  expect(res.statusCode, res.body).toBe(422);
  const body = res.json() as RefusalBody;
  expect(Object.keys(body).sort()).toEqual(['code', 'error', 'errors', 'policyVersion', 'reasons']);
  expect(body.code).toBe('POLICY_REFUSED');
  expect(body.policyVersion).toBe('2.2');
  expect(body.reasons.length).toBeGreaterThan(0);
  for (const r of body.reasons) {
    expect(r).toEqual({
      code: expect.stringMatching(/^[A-Z]+\.[A-Z_]+$/),
      clause: expect.stringMatching(CLAUSE),
      met: expect.any(Boolean),
      message: expect.any(String),
      evidence: expect.any(Object),
    });
  }
  const unmet = body.reasons.filter((r) => !r.met);
  expect(unmet.length).toBeGreaterThan(0);
  // Every unmet reason is a field error at its clause, with its words; the headline is the first.
  expect(body.errors).toEqual(
    unmet.map((r) => ({ path: `policy.${r.clause}`, message: r.message })),
  );
  expect(body.error).toBe(unmet[0]!.message);
  return unmet.map((r) => `${r.code}@${r.clause}`);
}

const post = (url: string, payload: object) =>
  team.request({ method: 'POST', url: `/api/v1${url}`, payload });

async function firstClinicSlot(cohortId: number, n = 1): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select ce.id from cohort_event ce join programme_activity a on a.id = ce.activity_id
        where ce.cohort_id = ${cohortId} and a.kind = 'clinic' and a.sequence_number = ${n}
        order by ce.starts_at desc limit 1`,
  );
  return row!.id;
}

async function communitySession(cohortId: number): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select ce.id from cohort_event ce join programme_activity a on a.id = ce.activity_id
        where ce.cohort_id = ${cohortId} and a.kind = 'community_session' and ce.starts_at > ${w.clock.now()}
        order by ce.starts_at limit 1`,
  );
  return row!.id;
}

/** The five requests, made for an enrolment; each answers with the policy's refusal. */
function requests(enrolmentId: number, cohortId: number) {
  return {
    'deferral request': () =>
      post('/deferral-cases', { enrolmentId, circumstance: 'illness_or_health' }),
    'assessment deferral': () =>
      post('/assessment-deferral-cases', {
        enrolmentId,
        circumstance: 'bereavement',
        description: 'My father died.',
      }),
    'clinic booking': async () =>
      post('/bookings', { enrolmentId, cohortEventId: await firstClinicSlot(cohortId) }),
    'community booking': async () =>
      post('/bookings', { enrolmentId, cohortEventId: await communitySession(cohortId) }),
    'coaching booking': () =>
      post('/coaching-sessions', {
        enrolmentId,
        coachUserId: coachId,
        startsAt: '2026-03-20T10:00:00.000Z',
        endsAt: '2026-03-20T11:00:00.000Z',
      }),
    'assessment submission': () => post('/assessment-submissions', { enrolmentId }),
  } as const;
}

beforeAll(async () => {
  w = await createDemoWorld();
  team = await w.signIn('programme.team@demo.npq-ops.test');
  coachId = (await w.actor('coach@demo.npq-ops.test')).userId;
  const [p1] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join participant p on p.id = e.participant_id
        where p.email = 'participant1@demo.npq-ops.test'`,
  );
  e1 = p1!.id;
  const [row] = await queryRows<{ id: number; cohort_id: number }>(
    w.t.db,
    sql`select e.id, e.cohort_id from enrolment e join cohort c on c.id = e.cohort_id
        join programme pr on pr.id = c.programme_id
        where pr.coaching_entitled and e.status = 'active'
          and exists (select 1 from cohort_event ce join programme_activity a on a.id = ce.activity_id
                      where ce.cohort_id = c.id and a.kind = 'community_session' and ce.starts_at > ${w.clock.now()})
          and exists (select 1 from cohort_event ce join programme_activity a on a.id = ce.activity_id
                      where ce.cohort_id = c.id and a.kind = 'clinic' and a.sequence_number = 1)
        order by e.id limit 1`,
  );
  target = { enrolmentId: row!.id, cohortId: row!.cohort_id };
  await w.t.db.execute(sql`
    insert into staff_assignment (user_id, participant_id)
    select ${coachId}, e.participant_id from enrolment e where e.id = ${target.enrolmentId}
    on conflict do nothing`);
  await offerSlot(w.t.db, coachId, '2026-03-20T10:00:00Z', '2026-03-20T11:00:00Z');
});
afterAll(async () => {
  await w.destroy();
});

describe("the policy's own refusals, on an active enrolment", () => {
  it('deferral request in the final cohort (2.3.10): 422, recorded as declined at Location', async () => {
    const [e] = await queryRows<{ cohort_id: number }>(
      w.t.db,
      sql`select cohort_id from enrolment where id = ${e1}`,
    );
    await w.t.db.execute(sql`update cohort set is_final = true where id = ${e!.cohort_id}`);
    try {
      const res = await requests(e1, e!.cohort_id)['deferral request']();
      expect(expectRefusal(res)).toContain('DEFERRAL.FINAL_COHORT@2.3.10');
      expect(res.headers.location).toMatch(/^\/api\/v1\/deferral-cases\/\d+$/);
    } finally {
      await w.t.db.execute(sql`update cohort set is_final = false where id = ${e!.cohort_id}`);
    }
  });

  it('assessment deferral before the window opens (2.5.2)', async () => {
    const res = await requests(e1, 0)['assessment deferral']();
    expect(expectRefusal(res)).toContain('ASSESSMENT.DEFERRAL_BEFORE_WINDOW@2.5.2');
  });

  it('clinic booked out of sequence (2.2.1.2)', async () => {
    const [e] = await queryRows<{ cohort_id: number }>(
      w.t.db,
      sql`select cohort_id from enrolment where id = ${e1}`,
    );
    const c5 = await firstClinicSlot(e!.cohort_id, 5);
    const res = await post('/bookings', { enrolmentId: e1, cohortEventId: c5 });
    expect(expectRefusal(res)).toContain('CLINIC.OUT_OF_SEQUENCE@2.2.1.2');
  });

  it('coaching on a course without coaching (2.2.1.3)', async () => {
    const res = await requests(e1, 0)['coaching booking']();
    expect(expectRefusal(res)).toEqual(['COACHING.NOT_PART_OF_COURSE@2.2.1.3']);
  });

  it('assessment submitted before the window opens', async () => {
    const res = await requests(e1, 0)['assessment submission']();
    expect(expectRefusal(res).length).toBeGreaterThan(0);
  });
});

describe.each([
  {
    status: 'deferred',
    expected: {
      'deferral request': 'DEFERRAL.ALREADY_DEFERRED@2.3.3',
      'assessment deferral': 'ACCESS.DEFERRED@2.5.1',
      'clinic booking': 'ACCESS.DEFERRED@2.3.6',
      'community booking': 'ACCESS.DEFERRED@2.3.6',
      'coaching booking': 'ACCESS.DEFERRED@2.3.6',
      'assessment submission': 'ACCESS.DEFERRED@2.5.1',
    },
  },
  {
    status: 'withdrawn',
    expected: {
      'deferral request': 'DEFERRAL.NOT_ACTIVE@2.3.2',
      'assessment deferral': 'ACCESS.WITHDRAWN@2.3.8',
      'clinic booking': 'ACCESS.WITHDRAWN@2.3.8',
      'community booking': 'ACCESS.WITHDRAWN@2.3.8',
      'coaching booking': 'ACCESS.WITHDRAWN@2.3.8',
      'assessment submission': 'ACCESS.WITHDRAWN@2.3.8',
    },
  },
] as const)('a $status enrolment is refused in policy terms', ({ status, expected }) => {
  beforeAll(async () => {
    await w.t.db.execute(
      sql`update enrolment set status = ${status} where id = ${target.enrolmentId}`,
    );
  });

  it.each(Object.keys(expected) as (keyof typeof expected)[])('%s', async (what) => {
    const res = await requests(target.enrolmentId, target.cohortId)[what]();
    const unmet = expectRefusal(res);
    expect(unmet).toContain(expected[what]);
    // Said in words, not as the raw status code.
    expect((res.json() as RefusalBody).error).not.toMatch(/_/);
  });

  it('nothing was booked or submitted', async () => {
    const [counts] = await queryRows<{ bookings: number; sessions: number; submissions: number }>(
      w.t.db,
      sql`select (select count(*)::int from event_booking where enrolment_id = ${target.enrolmentId}) as bookings,
                 (select count(*)::int from coaching_session where enrolment_id = ${target.enrolmentId}) as sessions,
                 (select count(*)::int from assessment_submission where enrolment_id = ${target.enrolmentId}) as submissions`,
    );
    expect(counts).toEqual({ bookings: 0, sessions: 0, submissions: 0 });
  });
});
