import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { fixedClock } from '../../src/clock.js';
import type { Actor } from '../../src/services/actor.js';
import {
  closeDueAssessmentWindows,
  ensureEntered,
  loadAssessmentContext,
  submitAssessment,
} from '../../src/services/assessment.js';
import {
  declineAssessmentDeferral,
  requestAssessmentDeferral,
} from '../../src/services/assessment-deferrals.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';

/**
 * Window-close processing (2.5.4) on NPQSL 2025 (cohort 7): window 13 is 22-29 Sep 2026, window 14
 * 24 Nov-1 Dec 2026. Enrolments 1, 9, 20, 33, 36 are active there; 27 too.
 */
let w: DemoWorld;
let team: Actor;
const IN_WINDOW = fixedClock('2026-09-24T10:00:00Z');

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

interface State {
  id: number;
  used: number;
  version: number;
  entry: number | null;
  result: string | null;
}
async function state(ids: number[]): Promise<State[]> {
  return queryRows<State>(
    w.t.db,
    sql`select e.id, e.assessment_attempts_used as used, e.version, ae.window_id as entry,
               (select r.result from assessment_window_result r where r.enrolment_id = e.id and r.window_id = 13) as result
        from enrolment e left join assessment_entry ae on ae.enrolment_id = e.id
        where e.id in (${sql.join(
          ids.map((i) => sql`${i}`),
          sql`, `,
        )}) order by e.id`,
  );
}
const byId = (rows: State[], id: number) => rows.find((r) => r.id === id)!;

beforeAll(async () => {
  w = await createDemoWorld();
  team = await w.actor('programme.team@demo.npq-ops.test');
  for (const id of [1, 9, 20, 36]) await completeEverything(id);
  const deps = { db: w.t.db, clock: IN_WINDOW };
  // 1 submits; 9 is entered and does nothing; 20 tells us of circumstances; 36 is entered and does
  // nothing; 33 never reached 90% so is never entered.
  await submitAssessment(deps, team, { enrolmentId: 1 });
  // Reads never write: entering a window is an explicit step (the daily job's, here one by one).
  for (const id of [9, 33, 36])
    await w.t.db.transaction(async (tx) =>
      ensureEntered(tx, await loadAssessmentContext(tx, id, '2026-09-24'), IN_WINDOW.now()),
    );
  await requestAssessmentDeferral(deps, team, {
    enrolmentId: 20,
    circumstance: 'unforeseen_illness_or_health',
    description: 'In hospital for the whole window',
  });
});
afterAll(async () => {
  await w.destroy();
});

describe('closeDueAssessmentWindows', () => {
  it('does nothing while the window is still open on its last day', async () => {
    const before = await state([1, 9, 20, 33, 36]);
    expect(await closeDueAssessmentWindows({ db: w.t.db, clock: w.clock }, '2026-09-29')).toEqual({
      processed: 0,
      attemptsLost: 0,
      protected: 0,
    });
    expect(await state([1, 9, 20, 33, 36])).toEqual(before);
  });

  it('loses an attempt for a silent non-submission, protects a pending request and records a submission', async () => {
    const before = await state([1, 9, 20, 33, 36]);
    expect(byId(before, 33).entry).toBeNull();
    const report = await closeDueAssessmentWindows({ db: w.t.db, clock: w.clock }, '2026-09-30');
    expect(report).toEqual({ processed: 4, attemptsLost: 2, protected: 1 });
    const after = await state([1, 9, 20, 33, 36]);
    expect(byId(after, 1)).toMatchObject({ used: 1, result: 'submitted', entry: 13 });
    expect(byId(after, 9)).toMatchObject({ used: 1, result: 'attempt_lost', entry: 14 });
    expect(byId(after, 9).version).toBe(byId(before, 9).version + 1);
    expect(byId(after, 36)).toMatchObject({ used: 1, result: 'attempt_lost', entry: 14 });
    expect(byId(after, 20)).toMatchObject({ used: 0, result: 'protected', entry: 13 });
    expect(byId(after, 33)).toEqual(byId(before, 33));

    const [lost] = await queryRows<{
      decision: { outcome: string; reasons: { code: string; clause: string }[] };
    }>(
      w.t.db,
      sql`select decision from assessment_window_result where enrolment_id = 9 and window_id = 13`,
    );
    expect(lost!.decision.outcome).toBe('not_met');
    expect(lost!.decision.reasons[0]).toMatchObject({
      code: 'ASSESSMENT.ATTEMPT_LOST',
      clause: '2.5.4',
    });
    const audits = await queryRows<{ subject_id: string; details: { nextWindowId: number } }>(
      w.t.db,
      sql`select subject_id, details from audit_event where what = 'ASSESSMENT_ATTEMPT_LOST' order by subject_id`,
    );
    expect(audits.map((a) => a.subject_id)).toEqual(['36', '9']);
    expect(audits.every((a) => a.details.nextWindowId === 14)).toBe(true);
  });

  it('changes nothing when run again, even twice at once', async () => {
    const before = await state([1, 9, 20, 33, 36]);
    const runs = await Promise.all([
      closeDueAssessmentWindows({ db: w.t.db, clock: w.clock }, '2026-10-01'),
      closeDueAssessmentWindows({ db: w.t.db, clock: w.clock }, '2026-10-01'),
    ]);
    expect(runs).toEqual([
      { processed: 0, attemptsLost: 0, protected: 0 },
      { processed: 0, attemptsLost: 0, protected: 0 },
    ]);
    expect(await state([1, 9, 20, 33, 36])).toEqual(before);
  });

  it('loses the protected attempt when the request is declined after the window closed, once', async () => {
    const [c] = await queryRows<{ id: number; version: number }>(
      w.t.db,
      sql`select id, version from assessment_deferral_case where enrolment_id = 20`,
    );
    const res = await declineAssessmentDeferral(
      { db: w.t.db, clock: fixedClock('2026-10-02T10:00:00Z') },
      team,
      c!.id,
      { reasons: 'No evidence of the illness was provided.', expectedVersion: c!.version },
    );
    expect(res.attempt?.reasons[0]).toMatchObject({
      code: 'ASSESSMENT.DEFERRAL_NOT_APPROVED',
      clause: '2.5.2',
    });
    expect(res.attemptsRemaining).toBe(1);
    expect(res.nextWindow).toMatchObject({ id: 14 });
    expect(byId(await state([20]), 20)).toMatchObject({
      used: 1,
      result: 'attempt_lost',
      entry: 14,
    });
    const report = await closeDueAssessmentWindows({ db: w.t.db, clock: w.clock }, '2026-10-03');
    expect(report.processed).toBe(0);
    expect(byId(await state([20]), 20).used).toBe(1);
  });

  it('uses the second attempt at the next window once, when two runs race, and leaves nobody with a third', async () => {
    const runs = await Promise.all([
      closeDueAssessmentWindows({ db: w.t.db, clock: w.clock }, '2026-12-02'),
      closeDueAssessmentWindows({ db: w.t.db, clock: w.clock }, '2026-12-02'),
    ]);
    // 9, 20 and 36 were entered into window 14 and did not submit: each loses one attempt, once.
    expect(runs.reduce((n, r) => n + r.attemptsLost, 0)).toBe(3);
    expect(runs.reduce((n, r) => n + r.processed, 0)).toBe(3);
    const after = await state([9, 20, 36]);
    expect(after.map((r) => r.used)).toEqual([2, 2, 2]);
    // No attempts left: they stay in window 14 rather than being entered into another.
    expect(after.map((r) => r.entry)).toEqual([14, 14, 14]);
    const [audits] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from audit_event where what = 'ASSESSMENT_ATTEMPT_LOST'`,
    );
    expect(audits!.n).toBe(5);
  });
});
