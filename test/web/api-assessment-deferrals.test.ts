import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * Assessment deferrals (2.5.2-2.5.4) on NPQSL 2025 (cohort 7; window 13 is 22-29 Sep 2026, window
 * 14 is 24 Nov-1 Dec 2026). Enrolment n is participant n: 1 and 20 South, 9 North, 2 North on NPQH
 * (cohort 8), 3 South on NPQSENCO (cohort 10) and deferred.
 */
let w: DemoWorld;
let p1: Session;
let p2: Session;
let p3: Session;
let north: Session;
let south: Session;
let team: Session;

const at = (iso: string) => {
  w.clock.now = () => new Date(iso);
};
const IN_WINDOW = '2026-09-24T10:00:00Z';

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

type Reason = { code: string; clause: string; met: boolean };
interface Case {
  id: number;
  status: string;
  version: number;
  windowId: number;
  nextWindowId: number | null;
  staffReasons: string | null;
  decision: { outcome: string; reasons: Reason[] };
}

const open = (s: Session, enrolmentId: number, circumstance = 'bereavement') =>
  s.request({
    method: 'POST',
    url: '/api/v1/assessment-deferral-cases',
    payload: { enrolmentId, circumstance, description: 'My father died during the window.' },
  });
const act = (s: Session, id: number, action: string, payload: Record<string, unknown>) =>
  s.request({ method: 'POST', url: `/api/v1/assessment-deferral-cases/${id}/${action}`, payload });

beforeAll(async () => {
  w = await createDemoWorld();
  [p1, p2, p3, north, south, team] = await Promise.all([
    w.signIn('participant1@demo.npq-ops.test'),
    w.signIn('participant2@demo.npq-ops.test'),
    w.signIn('participant3@demo.npq-ops.test'),
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('partner.south@demo.npq-ops.test'),
    w.signIn('programme.team@demo.npq-ops.test'),
  ]);
  for (const id of [1, 3, 9, 20]) await completeEverything(id);
});
afterAll(async () => {
  await w.destroy();
});

describe('assessment deferral refusals (2.5.2)', () => {
  it('refuses a participant under 90%, who was therefore never entered into the window', async () => {
    at(IN_WINDOW);
    const res = await open(p2, 2);
    expect(res.statusCode).toBe(422);
    const failed = (res.json() as { reasons: Reason[] }).reasons.filter((r) => !r.met);
    expect(failed.map((r) => [r.code, r.clause])).toEqual([
      ['ASSESSMENT.ENGAGEMENT_NOT_MET', '2.1.1'],
      ['ASSESSMENT.NOT_ENTERED_WINDOW', '2.5.2'],
    ]);
  });

  it('refuses a deferred participant who met 90%: their place, and assessment, already wait for the new cohort (2.5.1)', async () => {
    at(IN_WINDOW);
    const res = await open(p3, 3); // deferred, so not entered
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ code: 'POLICY_REFUSED', policyVersion: '2.2' });
    const failed = (res.json() as { reasons: Reason[] }).reasons.filter((r) => !r.met);
    expect(failed.map((r) => [r.code, r.clause])).toEqual([['ACCESS.DEFERRED', '2.5.1']]);
  });

  it('refuses before the window opens, pointing to a deferral by the 90% deadline', async () => {
    at('2026-09-15T10:00:00Z');
    const res = await open(p1, 1);
    expect(res.statusCode).toBe(422);
    const failed = (res.json() as { reasons: Reason[] }).reasons.filter((r) => !r.met);
    expect(failed.map((r) => r.code)).toEqual(['ASSESSMENT.DEFERRAL_BEFORE_WINDOW']);
  });
});

describe('assessment deferral case', () => {
  let caseId = 0;

  it('opens a case for the participant, once per window', async () => {
    at(IN_WINDOW);
    const res = await open(p1, 1);
    expect(res.statusCode).toBe(201);
    const c = res.json() as Case;
    caseId = c.id;
    expect(c).toMatchObject({ status: 'requested', version: 1, windowId: 13 });
    expect(c.decision.outcome).toBe('allowed');
    expect(c.decision.reasons.map((r) => r.clause)).toEqual(
      expect.arrayContaining(['2.1.1', '2.5.2', '2.5.3']),
    );
    expect((await open(p1, 1)).statusCode).toBe(409);
    expect(
      (await north.request({ method: 'GET', url: `/api/v1/assessment-deferral-cases/${caseId}` }))
        .statusCode,
    ).toBe(404);
    expect(
      (await south.request({ method: 'GET', url: `/api/v1/assessment-deferral-cases/${caseId}` }))
        .statusCode,
    ).toBe(200);
  });

  it('asks for evidence (staff only) and takes it from the participant', async () => {
    expect(
      (await act(p1, caseId, 'request-evidence', { request: 'A letter', expectedVersion: 1 }))
        .statusCode,
    ).toBe(403);
    expect(
      (await act(north, caseId, 'request-evidence', { request: 'A letter', expectedVersion: 1 }))
        .statusCode,
    ).toBe(404);
    const asked = await act(south, caseId, 'request-evidence', {
      request: 'A copy of the death certificate',
      expectedVersion: 1,
    });
    expect(asked.statusCode).toBe(200);
    expect(asked.json()).toMatchObject({
      status: 'evidence_requested',
      version: 2,
      decision: { outcome: 'needs_review' },
    });
    // The participant is told what is needed, once, in the daytime, with a link to Changes.
    const told = await queryRows<{
      to_email: string;
      link_path: string;
      personalisation: Record<string, string>;
      next_attempt_at: Date | string;
    }>(
      w.t.db,
      sql`select to_email, link_path, personalisation, next_attempt_at from email_message
          where notice_key = ${`decision:assessment_deferral:${caseId}:evidence_requested`}`,
    );
    expect(told).toHaveLength(1);
    expect(told[0]!.to_email).toBe('participant1@demo.npq-ops.test');
    expect(told[0]!.link_path).toBe('/changes');
    expect(told[0]!.personalisation.outcome).toBe('we need supporting evidence');
    expect(told[0]!.personalisation.reason).toContain('A copy of the death certificate');
    expect(told[0]!.personalisation.next_steps).toContain('attempt is protected');
    expect(new Date(told[0]!.next_attempt_at)).toEqual(new Date(IN_WINDOW)); // 11am in London
    // Waiting for evidence: it cannot be approved yet.
    expect((await act(team, caseId, 'approve', { expectedVersion: 2 })).statusCode).toBe(409);
    const sent = await act(p1, caseId, 'evidence', {
      note: 'Certificate emailed',
      expectedVersion: 2,
    });
    expect(sent.statusCode).toBe(200);
    expect(sent.json()).toMatchObject({
      status: 'evidence_received',
      version: 3,
      decision: { outcome: 'allowed' },
    });
  });

  it('refuses a decision on a stale version with 409', async () => {
    const res = await act(team, caseId, 'approve', { expectedVersion: 2 });
    expect(res.statusCode).toBe(409);
    expect(res.json()).toMatchObject({ code: 'CONFLICT' });
  });

  it('approves: the attempt is kept and the participant is entered into the next window', async () => {
    expect((await act(p1, caseId, 'approve', { expectedVersion: 3 })).statusCode).toBe(403);
    const res = await act(team, caseId, 'approve', { expectedVersion: 3 });
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      case: Case;
      attempt: { reasons: Reason[] };
      nextWindow: { id: number; opensOn: string };
      attemptsRemaining: number;
    };
    expect(body.case).toMatchObject({ status: 'approved', nextWindowId: 14, version: 4 });
    expect(body.attempt.reasons[0]).toMatchObject({
      code: 'ASSESSMENT.DEFERRAL_APPROVED',
      clause: '2.5.2',
    });
    expect(body.nextWindow).toMatchObject({ id: 14, opensOn: '2026-11-24' });
    expect(body.attemptsRemaining).toBe(2);
    const view = (
      await p1.request({ method: 'GET', url: '/api/v1/enrolments/1/assessment' })
    ).json() as {
      window: { id: number };
      attemptsRemaining: number;
    };
    expect(view).toMatchObject({ window: { id: 14 }, attemptsRemaining: 2 });
    expect(
      (await act(team, caseId, 'decline', { reasons: 'Too late', expectedVersion: 4 })).statusCode,
    ).toBe(409);
  });

  it('gives one winner and one 409 when two staff decide at once', async () => {
    at(IN_WINDOW);
    const opened = await open(south, 20, 'leave_of_absence');
    expect(opened.statusCode).toBe(201);
    const id = (opened.json() as Case).id;
    const results = await Promise.all([
      act(team, id, 'approve', { expectedVersion: 1 }),
      act(south, id, 'decline', { reasons: 'Not extenuating', expectedVersion: 1 }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
  });

  it('declines during the window with reasons, without losing an attempt yet', async () => {
    at(IN_WINDOW);
    const opened = await open(north, 9, 'other_significant_unforeseen');
    expect(opened.statusCode).toBe(201);
    const c = opened.json() as Case;
    const res = await act(north, c.id, 'decline', {
      reasons: 'A planned holiday is not unforeseen.',
      expectedVersion: 1,
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({
      case: { status: 'declined', staffReasons: 'A planned holiday is not unforeseen.' },
      attempt: null,
      attemptsRemaining: 2,
    });
    const [row] = await queryRows<{ used: number }>(
      w.t.db,
      sql`select assessment_attempts_used as used from enrolment where id = 9`,
    );
    expect(row!.used).toBe(0);
  });
});
