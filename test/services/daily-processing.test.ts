import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { loadEnrolmentFacts } from '../../src/db/queries/enrolment-facts.js';
import { addDays, evaluateEngagement } from '../../src/policy/index.js';
import { runDailyProcessing } from '../../src/services/daily.js';
import {
  approveDeferral,
  recordDeferralDiscussion,
  requestDeferral,
  startDeferral,
  type DeferralCaseView,
} from '../../src/services/deferral-cases.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';

let w: DemoWorld;

beforeAll(async () => {
  w = await createDemoWorld();
});
afterAll(async () => {
  await w.destroy();
});

const at = (day: string) => fixedClock(`${day}T06:00:00Z`);

/** Active enrolments the policy says can no longer reach 90% by their deadline on `day`. */
async function unreachableByPolicy(day: string): Promise<number[]> {
  const active = await queryRows<{ id: number }>(
    w.t.db,
    sql`select id from enrolment where status = 'active' order by id`,
  );
  const out: number[] = [];
  for (const { id } of active) {
    const facts = await loadEnrolmentFacts(w.t.db, id);
    const d = evaluateEngagement({
      course: facts!.cohort.course,
      activities: facts!.activities,
      completedActivityIds: facts!.completedActivityIds,
      deadline: facts!.cohort.engagementDeadline,
      today: day,
    });
    if (d.details.totalWeight > 0 && !d.details.projection.reachable) out.push(id);
  }
  return out;
}

async function alerted(): Promise<number[]> {
  const rows = await queryRows<{ enrolment_id: number }>(
    w.t.db,
    sql`select enrolment_id from engagement_alert where kind = 'engagement_unreachable' order by enrolment_id`,
  );
  return rows.map((r) => r.enrolment_id);
}

async function counts() {
  const [row] = await queryRows<{
    tasks: number;
    alerts: number;
    withdrawals: number;
    window_results: number;
    audit_events: number;
    case_versions: number;
    enrolment_versions: number;
  }>(
    w.t.db,
    sql`select (select count(*)::int from staff_task) as tasks,
               (select count(*)::int from engagement_alert) as alerts,
               (select count(*)::int from withdrawal) as withdrawals,
               (select count(*)::int from assessment_window_result) as window_results,
               (select count(*)::int from audit_event) as audit_events,
               (select coalesce(sum(version), 0)::int from deferral_case) as case_versions,
               (select coalesce(sum(version), 0)::int from enrolment) as enrolment_versions`,
  );
  return row!;
}

/** Takes an enrolment through request, discussion, approval and deferral as of the demo's today. */
async function deferred(participantEmail: string, staffEmail: string): Promise<DeferralCaseView> {
  const deps = { db: w.t.db, clock: w.clock };
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join participant p on p.id = e.participant_id where p.email = ${participantEmail}`,
  );
  const participant = await w.actor(participantEmail);
  const staff = await w.actor(staffEmail);
  let c = await requestDeferral(deps, participant, {
    enrolmentId: row!.id,
    circumstance: 'illness_or_health',
  });
  expect(c.status).toBe('requested');
  c = await recordDeferralDiscussion(deps, staff, c.id, {
    expectedVersion: c.version,
    alternativesOffered: ['defer', 'continue_with_current_cohort'],
    participantChoice: 'defer',
  });
  c = await approveDeferral(deps, staff, c.id, { expectedVersion: c.version });
  return startDeferral(deps, staff, c.id, { expectedVersion: c.version });
}

describe('daily processing', () => {
  it('raises "90% no longer reachable" alerts exactly where the engagement policy says so', async () => {
    const today = '2026-03-16';
    const expected = await unreachableByPolicy(today);
    const report = await runDailyProcessing({ db: w.t.db, clock: at(today) });
    expect(await alerted()).toEqual(expected);
    expect(report.engagementUnreachableAlerts).toBe(expected.length);
    // The demo has both kinds, so the comparison means something.
    const [active] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from enrolment where status = 'active'`,
    );
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(active!.n);

    // After the specialist deadlines (15 May) dated events have passed: more become unreachable.
    const later = '2026-06-01';
    const expectedLater = [...new Set([...expected, ...(await unreachableByPolicy(later))])].sort(
      (a, b) => a - b,
    );
    await runDailyProcessing({ db: w.t.db, clock: at(later) });
    expect(await alerted()).toEqual(expectedLater);
    const [details] = await queryRows<{ details: { totalWeight: number; clause: string } }>(
      w.t.db,
      sql`select details from engagement_alert order by id limit 1`,
    );
    expect(details!.details).toMatchObject({ clause: '2.1.1' });
    expect(details!.details.totalWeight).toBeGreaterThan(0);
  });

  it('changes nothing when run a second time on the same day', async () => {
    const clock = at('2026-06-01');
    await runDailyProcessing({ db: w.t.db, clock });
    const before = await counts();
    const again = await runDailyProcessing({ db: w.t.db, clock });
    expect(Object.values(again).every((n) => n === 0)).toBe(true);
    expect(await counts()).toEqual(before);
  });

  it('opens the intent contact when due, and withdraws a participant who did not return (2.3.7, 2.3.8)', async () => {
    const c = await deferred('participant1@demo.npq-ops.test', 'partner.south@demo.npq-ops.test');
    expect(c.status).toBe('deferred');
    const dueOn = c.intentContactDueOn!;
    const restartOn = c.rejoinDate!;

    const dayBefore = await runDailyProcessing({ db: w.t.db, clock: at(addDays(dueOn, -1)) });
    expect(dayBefore.intentContactsDue).toBe(0);

    const due = await runDailyProcessing({ db: w.t.db, clock: at(dueOn) });
    expect(due).toMatchObject({ intentContactsDue: 1, intentContactTasksOpened: 1 });
    const sameDay = await runDailyProcessing({ db: w.t.db, clock: at(dueOn) });
    expect(sameDay).toMatchObject({ intentContactsDue: 0, intentContactTasksOpened: 0 });

    // On the restart day itself the participant can still return.
    const restartDay = await runDailyProcessing({ db: w.t.db, clock: at(restartOn) });
    expect(restartDay.nonReturnersWithdrawn).toBe(0);

    const after = await runDailyProcessing({ db: w.t.db, clock: at(addDays(restartOn, 1)) });
    expect(after.nonReturnersWithdrawn).toBe(1);
    const [row] = await queryRows<{
      enrolment_status: string;
      case_status: string;
      reason: string;
      recorded_by: string;
      withdrawn_on: string;
      task_status: string;
      decision: { returnFromDeferral: { outcome: string; reasons: { clause: string }[] } };
    }>(
      w.t.db,
      sql`select e.status as enrolment_status, dc.status as case_status, wd.reason, wd.recorded_by,
                 wd.withdrawn_on::text, t.status as task_status, dc.decision
          from deferral_case dc join enrolment e on e.id = dc.enrolment_id
          join withdrawal wd on wd.enrolment_id = e.id
          join staff_task t on t.deferral_case_id = dc.id
          where dc.id = ${c.id}`,
    );
    expect(row).toMatchObject({
      enrolment_status: 'withdrawn',
      case_status: 'withdrawn',
      reason: 'other',
      recorded_by: 'system',
      withdrawn_on: addDays(restartOn, 1),
      task_status: 'done',
    });
    expect(row!.decision.returnFromDeferral.outcome).toBe('not_met');
    expect(row!.decision.returnFromDeferral.reasons[0]!.clause).toBe('2.3.8');

    const next = await runDailyProcessing({ db: w.t.db, clock: at(addDays(restartOn, 2)) });
    expect(next.nonReturnersWithdrawn).toBe(0);
  });

  it('produces no duplicates when two runs happen at once', async () => {
    const c = await deferred('participant4@demo.npq-ops.test', 'partner.north@demo.npq-ops.test');
    const clock = at(c.intentContactDueOn!);
    const before = await counts();
    const [a, b] = await Promise.all([
      runDailyProcessing({ db: w.t.db, clock }),
      runDailyProcessing({ db: w.t.db, clock }),
    ]);
    expect(a.intentContactsDue! + b.intentContactsDue!).toBe(1);
    const [tasks] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from staff_task where deferral_case_id = ${c.id}`,
    );
    expect(tasks!.n).toBe(1);
    const [dupes] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from (select enrolment_id from engagement_alert group by kind, enrolment_id having count(*) > 1) d`,
    );
    expect(dupes!.n).toBe(0);
    // Each alert raised today (new, or re-opened after being cleared) is one open row dated today.
    const [raisedToday] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from engagement_alert
          where raised_on = ${c.intentContactDueOn!}::date and cleared_on is null`,
    );
    expect(raisedToday!.n).toBe(
      a.engagementUnreachableAlerts! +
        b.engagementUnreachableAlerts! +
        a.engagementBehindAlerts! +
        b.engagementBehindAlerts!,
    );
    const after = await counts();
    expect(after.window_results - before.window_results).toBe(
      a.assessmentResultsProcessed! + b.assessmentResultsProcessed!,
    );
  });
});
