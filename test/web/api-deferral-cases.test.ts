import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { loadEnrolmentFacts } from '../../src/db/queries/enrolment-facts.js';
import { runDailyProcessing } from '../../src/services/daily.js';
import { confirmReturn, resumeFromDeferral } from '../../src/services/deferral-cases.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let north: Session;
let south: Session;
let team: Session;
let admin: Session;
let p1: Session;
let p2: Session;

beforeAll(async () => {
  w = await createDemoWorld();
  [north, south, team, admin, p1, p2] = await Promise.all([
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('partner.south@demo.npq-ops.test'),
    w.signIn('programme.team@demo.npq-ops.test'),
    w.signIn('admin@demo.npq-ops.test'),
    w.signIn('participant1@demo.npq-ops.test'),
    w.signIn('participant2@demo.npq-ops.test'),
  ]);
});
afterAll(async () => {
  await w.destroy();
});

interface Reason {
  code: string;
  clause: string;
  met: boolean;
}
interface CaseBody {
  id: number;
  enrolmentId: number;
  status: string;
  version: number;
  targetCohortId: number | null;
  rejoinDate: string | null;
  rejoinActivityId: number | null;
  intentContactDueOn: string | null;
  isException: boolean;
  alternativesOffered: { option: string }[] | null;
  declineReason: string | null;
  rejoinPlan: { catchUpActivityIds: string[]; targetCohortId: string } | null;
  decision: {
    outcome: string;
    reasons: Reason[];
    details: { options: { option: string }[]; plan: unknown };
  };
  funding: { outcome: string; reasons: Reason[] } | null;
  preWindow: { outcome: string; reasons: Reason[] } | null;
}

/**
 * A request the policy refuses answers 422 POLICY_REFUSED (the one refusal shape) and is recorded
 * as a declined case at Location: the case as recorded, with its reasons and options.
 */
async function refusedCase(
  res: { statusCode: number; headers: Record<string, unknown>; json(): unknown },
  who: Session,
) {
  expect(res.statusCode).toBe(422);
  expect(res.json()).toMatchObject({ code: 'POLICY_REFUSED', policyVersion: '2.2' });
  const location = String(res.headers.location);
  expect(location).toMatch(/^\/api\/v1\/deferral-cases\/\d+$/);
  const recorded = await get(who, location.replace('/api/v1', ''));
  expect(recorded.statusCode).toBe(200);
  return recorded.json() as CaseBody;
}

async function enrolmentOf(email: string): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join participant p on p.id = e.participant_id where p.email = ${email}`,
  );
  return row!.id;
}

/** An active enrolment of a 2025 cohort of this course, delivered by this partner. */
async function activeEnrolment(course: string, partner: string, skip: number[] = []) {
  const rows = await queryRows<{ id: number; cohort_id: number }>(
    w.t.db,
    sql`select e.id, e.cohort_id from enrolment e join cohort c on c.id = e.cohort_id
        join programme pr on pr.id = c.programme_id join course co on co.id = pr.course_id
        join delivery_partner dp on dp.id = e.delivery_partner_id
        join participant p on p.id = e.participant_id
        where co.identifier = ${course} and c.year = 2025 and e.status = 'active' and dp.slug = ${partner}
          and p.dfe_registration_confirmed and p.employment_confirmed
          and exists (select 1 from engagement_record r where r.participant_id = p.id)
        order by e.id`,
  );
  const row = rows.find((r) => !skip.includes(r.id));
  if (!row) throw new Error(`No active ${course} enrolment at ${partner}`);
  return row;
}

async function cohortOf(course: string, year: number): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select c.id from cohort c join programme pr on pr.id = c.programme_id join course co on co.id = pr.course_id
        where co.identifier = ${course} and c.year = ${year}`,
  );
  return row!.id;
}

const post = (s: Session, url: string, payload: unknown, headers?: Record<string, string>) =>
  s.request({ method: 'POST', url: `/api/v1${url}`, payload, ...(headers ? { headers } : {}) });
const get = (s: Session, url: string) => s.request({ method: 'GET', url: `/api/v1${url}` });

function codes(reasons: Reason[]): string[] {
  return reasons.map((r) => `${r.code}@${r.clause}:${r.met}`);
}

async function caseCount(enrolmentId: number): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    w.t.db,
    sql`select count(*)::int as n from deferral_case where enrolment_id = ${enrolmentId}`,
  );
  return row!.n;
}

describe('deferral cases: the happy path to resuming in the target cohort', () => {
  it('previews eligibility and consequences without creating anything', async () => {
    const enrolmentId = await enrolmentOf('participant1@demo.npq-ops.test');
    const res = await post(p1, `/enrolments/${enrolmentId}/deferral-preview`, {
      circumstance: 'maternity_leave',
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      decision: CaseBody['decision'];
      funding: { reasons: Reason[] };
      preWindow: { outcome: string };
    };
    expect(body.decision.outcome).toBe('allowed');
    expect(codes(body.decision.reasons)).toEqual(
      expect.arrayContaining([
        'DEFERRAL.FIRST_DEFERRAL@2.3.3:true',
        'DEFERRAL.SUITABLE_COHORT@2.3.3:true',
        'DEFERRAL.INTENT_CONTACT@2.3.7:true',
      ]),
    );
    // participant1 holds a DfE scholarship: retained on restart (2.4.1).
    expect(codes(body.funding.reasons)).toContain('FUNDING.SCHOLARSHIP_RETAINED@2.4.1:true');
    expect(body.preWindow.outcome).toBe('allowed');
    expect(await caseCount(enrolmentId)).toBe(0);
  });

  it('goes requested → discussed → approved → deferred → intent contact due → confirmed → resumed', async () => {
    const enrolmentId = await enrolmentOf('participant1@demo.npq-ops.test');
    const [before] = await queryRows<{ n: number; cohort_id: number; deferral_count: number }>(
      w.t.db,
      sql`select (select count(*)::int from engagement_record r where r.participant_id = e.participant_id) as n,
                 e.cohort_id, e.deferral_count
          from enrolment e where e.id = ${enrolmentId}`,
    );
    const factsBefore = await loadEnrolmentFacts(w.t.db, enrolmentId);

    // The participant asks for themselves; an idempotent replay creates nothing new.
    const headers = { 'idempotency-key': 'deferral-request-p1' };
    const payload = {
      enrolmentId,
      circumstance: 'maternity_leave',
      description: 'Baby due in April',
    };
    const created = await post(p1, '/deferral-cases', payload, headers);
    expect(created.statusCode).toBe(201);
    const requested = created.json() as CaseBody;
    expect(requested).toMatchObject({ status: 'requested', version: 1, enrolmentId });
    expect(requested.decision.outcome).toBe('allowed');
    const replay = await post(p1, '/deferral-cases', payload, headers);
    expect(replay.statusCode).toBe(201);
    expect(replay.headers['idempotent-replay']).toBe('true');
    expect((replay.json() as CaseBody).id).toBe(requested.id);
    expect(await caseCount(enrolmentId)).toBe(1);

    // The participant sees their own case, but cannot decide it; another partner cannot see it.
    expect((await get(p1, `/deferral-cases/${requested.id}`)).statusCode).toBe(200);
    expect(
      (
        await post(p1, `/deferral-cases/${requested.id}/discuss`, {
          expectedVersion: 1,
          alternativesOffered: ['defer'],
          participantChoice: 'defer',
        })
      ).statusCode,
    ).toBe(403);
    expect((await get(north, `/deferral-cases/${requested.id}`)).statusCode).toBe(404);
    expect(
      (await post(north, `/deferral-cases/${requested.id}/approve`, { expectedVersion: 1 }))
        .statusCode,
    ).toBe(404);
    expect((await get(p2, `/deferral-cases/${requested.id}`)).statusCode).toBe(404);

    // Approving before the discussion is out of order.
    const early = await post(south, `/deferral-cases/${requested.id}/approve`, {
      expectedVersion: 1,
    });
    expect(early.statusCode).toBe(422);

    const discussed = await post(south, `/deferral-cases/${requested.id}/discuss`, {
      expectedVersion: 1,
      alternativesOffered: ['defer', 'continue_with_current_cohort', 'withdraw'],
      participantChoice: 'defer',
    });
    expect(discussed.statusCode).toBe(200);
    expect(discussed.json()).toMatchObject({ status: 'discussed', version: 2 });

    const approvedRes = await post(south, `/deferral-cases/${requested.id}/approve`, {
      expectedVersion: 2,
    });
    expect(approvedRes.statusCode).toBe(200);
    const approved = approvedRes.json() as CaseBody;
    const target = await cohortOf('npq-senior-leadership', 2026);
    expect(approved).toMatchObject({ status: 'approved', version: 3, targetCohortId: target });
    expect(approved.rejoinDate).toMatch(/^2026-|^2027-/);
    expect(approved.intentContactDueOn! < approved.rejoinDate!).toBe(true);
    expect(approved.rejoinPlan?.targetCohortId).toBe(String(target));
    expect(approved.funding?.outcome).toBe('met');
    expect(codes(approved.decision.reasons)).toContain('DEFERRAL.REJOIN_POINT@2.3.6:true');

    const deferred = await post(south, `/deferral-cases/${requested.id}/defer`, {
      expectedVersion: 3,
    });
    expect(deferred.statusCode).toBe(200);
    const [afterDefer] = await queryRows<{ status: string; deferral_count: number }>(
      w.t.db,
      sql`select status, deferral_count from enrolment where id = ${enrolmentId}`,
    );
    expect(afterDefer).toEqual({ status: 'deferred', deferral_count: before!.deferral_count + 1 });

    // The daily job on the intent-contact date makes it due and opens a task for staff.
    const dueClock = fixedClock(`${approved.intentContactDueOn}T08:00:00Z`);
    const report = await runDailyProcessing({
      db: w.t.db,
      clock: dueClock,
      wallClock: w.sessionClock,
    });
    expect(report.intentContactsDue).toBe(1);
    expect(report.intentContactTasksOpened).toBe(1);
    const [task] = await queryRows<{ status: string; due_on: string }>(
      w.t.db,
      sql`select status, due_on::text from staff_task where deferral_case_id = ${requested.id} and kind = 'intent_contact'`,
    );
    expect(task).toEqual({ status: 'open', due_on: approved.intentContactDueOn });
    const due = (await get(south, `/deferral-cases/${requested.id}`)).json() as CaseBody;
    expect(due).toMatchObject({ status: 'intent_contact_due', version: 5 });

    // Confirmation and the return happen later than the app's fixed clock: call the services.
    const staff = await w.actor('partner.south@demo.npq-ops.test');
    const deps = { db: w.t.db, clock: dueClock };
    const confirmed = await confirmReturn(deps, staff, requested.id, {
      expectedVersion: 5,
      reasonableAdjustments: 'Evening clinics where possible',
    });
    expect(confirmed.status).toBe('confirmed');
    expect(confirmed.reasonableAdjustments).toBe('Evening clinics where possible');
    expect(confirmed.decision?.intentContact?.outcome).toBe('met');
    const [taskAfter] = await queryRows<{ status: string }>(
      w.t.db,
      sql`select status from staff_task where deferral_case_id = ${requested.id}`,
    );
    expect(taskAfter!.status).toBe('done');

    // Not before the agreed re-join date without a recorded reason (2.3.5).
    await expect(
      resumeFromDeferral(deps, staff, requested.id, { expectedVersion: 6 }),
    ).rejects.toMatchObject({ status: 422 });
    const onTheDay = { db: w.t.db, clock: fixedClock(`${approved.rejoinDate}T09:00:00Z`) };
    const resumed = await resumeFromDeferral(onTheDay, staff, requested.id, {
      expectedVersion: 6,
    });
    expect(resumed.status).toBe('resumed');
    const [after] = await queryRows<{ n: number; cohort_id: number; status: string }>(
      w.t.db,
      sql`select (select count(*)::int from engagement_record r where r.participant_id = e.participant_id) as n,
                 e.cohort_id, e.status
          from enrolment e where e.id = ${enrolmentId}`,
    );
    expect(after).toEqual({ n: before!.n, cohort_id: target, status: 'active' });
    expect(before!.cohort_id).not.toBe(target);
    // Earlier engagement still counts in the new cohort, and the re-join point is the first gap.
    const factsAfter = await loadEnrolmentFacts(w.t.db, enrolmentId);
    expect(factsAfter!.cohort.id).toBe(target);
    expect([...factsAfter!.completedActivityIds].sort()).toEqual(
      [...factsBefore!.completedActivityIds].sort(),
    );
    // The participant has engagement still to do, so there is a re-join point, and it is a gap.
    expect(approved.rejoinActivityId).not.toBeNull();
    expect(factsAfter!.completedActivityIds.has(String(approved.rejoinActivityId))).toBe(false);

    const audit = await queryRows<{ what: string }>(
      w.t.db,
      sql`select what from audit_event where subject_type = 'deferral_case' and subject_id = ${String(requested.id)} order by id`,
    );
    expect(audit.map((a) => a.what)).toEqual([
      'DEFERRAL_REQUESTED',
      'DEFERRAL_DISCUSSED',
      'DEFERRAL_APPROVED',
      'DEFERRAL_STARTED',
      'DEFERRAL_INTENT_CONTACT_DUE',
      'DEFERRAL_RETURN_CONFIRMED',
      'DEFERRAL_RESUMED',
    ]);

    // The participant sees their case in the queue, and only theirs.
    const mine = (await get(p1, '/deferral-cases')).json() as { items: CaseBody[]; total: number };
    expect(mine.items.map((c) => c.id)).toEqual([requested.id]);
  });
});

describe('deferral cases: refusals', () => {
  it('records a request before the programme has commenced as declined by the policy (2.3.2)', async () => {
    const [row] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select id from enrolment where status in ('accepted', 'applied') order by id limit 1`,
    );
    const res = await post(team, '/deferral-cases', {
      enrolmentId: row!.id,
      circumstance: 'illness_or_health',
    });
    const body = await refusedCase(res, team);
    expect(body.status).toBe('declined');
    expect(body.decision.outcome).toBe('refused');
    expect(codes(body.decision.reasons)).toContain('DEFERRAL.NOT_COMMENCED@2.3.2:false');
    expect(body.decision.details.options.map((o) => o.option)).toEqual([
      'continue_with_current_cohort',
      'withdraw',
    ]);
    // Nothing further can be done on a declined case.
    const next = await post(team, `/deferral-cases/${body.id}/discuss`, {
      expectedVersion: body.version,
      alternativesOffered: ['withdraw'],
      participantChoice: 'withdraw',
    });
    expect(next.statusCode).toBe(422);
  });

  it('refuses in the final cohort of a programme, with the options open (2.3.10)', async () => {
    const e = await activeEnrolment('npq-leading-behaviour-culture', 'north');
    await w.t.db.execute(sql`update cohort set is_final = true where id = ${e.cohort_id}`);
    const res = await post(north, '/deferral-cases', {
      enrolmentId: e.id,
      circumstance: 'bereavement',
    });
    const body = await refusedCase(res, north);
    expect(body.status).toBe('declined');
    expect(codes(body.decision.reasons)).toEqual(
      expect.arrayContaining([
        'DEFERRAL.FINAL_COHORT@2.3.10:false',
        'DEFERRAL.OPTIONS@2.3.10:true',
      ]),
    );
    expect(body.decision.details.plan).toBeNull();
  });

  it('refuses when the contract ends before a later cohort would finish (2.3.10)', async () => {
    const e = await activeEnrolment('npq-leading-teaching', 'north');
    await w.t.db.execute(
      sql`update cohort set contract_end_date = '2027-01-31' where id = ${e.cohort_id}`,
    );
    const res = await post(north, '/deferral-cases', {
      enrolmentId: e.id,
      circumstance: 'other',
      description: 'Caring for a relative',
    });
    const body = await refusedCase(res, north);
    expect(body.status).toBe('declined');
    expect(codes(body.decision.reasons)).toContain('DEFERRAL.CONTRACT_ENDS_FIRST@2.3.10:false');
  });

  it('rejects an unknown circumstance, and "other" without a description', async () => {
    const enrolmentId = await enrolmentOf('participant2@demo.npq-ops.test');
    const unknown = await post(p2, '/deferral-cases', { enrolmentId, circumstance: 'holiday' });
    expect(unknown.statusCode).toBe(422);
    expect(JSON.stringify(unknown.json())).toContain('illness_or_health');
    const undescribed = await post(p2, '/deferral-cases', { enrolmentId, circumstance: 'other' });
    expect(undescribed.statusCode).toBe(422);
    expect(undescribed.json()).toMatchObject({ errors: [{ path: 'description' }] });
    expect(await caseCount(enrolmentId)).toBe(0);
  });

  it('needs a programme-team exception for a second deferral (2.3.3, 2.3.9)', async () => {
    const enrolmentId = await enrolmentOf('participant2@demo.npq-ops.test');
    await w.t.db.execute(sql`update enrolment set deferral_count = 1 where id = ${enrolmentId}`);
    const res = await post(p2, '/deferral-cases', {
      enrolmentId,
      circumstance: 'illness_or_health',
    });
    expect(res.statusCode).toBe(201);
    let c = res.json() as CaseBody;
    expect(c.status).toBe('requested');
    expect(c.decision.outcome).toBe('needs_exception');
    expect(codes(c.decision.reasons)).toEqual(
      expect.arrayContaining([
        'DEFERRAL.ALREADY_DEFERRED_ONCE@2.3.3:false',
        'DEFERRAL.EXCEPTION_REQUIRED@2.3.9:false',
      ]),
    );
    // A second open case for the same enrolment is refused.
    const again = await post(p2, '/deferral-cases', { enrolmentId, circumstance: 'bereavement' });
    expect(again.statusCode).toBe(409);

    c = (
      await post(north, `/deferral-cases/${c.id}/discuss`, {
        expectedVersion: c.version,
        alternativesOffered: ['defer', 'continue_with_current_cohort'],
        participantChoice: 'defer',
      })
    ).json() as CaseBody;
    expect(c.status).toBe('discussed');

    const withoutException = await post(north, `/deferral-cases/${c.id}/approve`, {
      expectedVersion: c.version,
    });
    expect(withoutException.statusCode).toBe(422);
    expect(withoutException.json()).toMatchObject({ code: 'POLICY_REFUSED' });
    expect(codes((withoutException.json() as { reasons: Reason[] }).reasons)).toContain(
      'DEFERRAL.EXCEPTION_REQUIRED@2.3.9:false',
    );

    // Delivery partner staff cannot approve the exception.
    const byPartner = await post(north, `/deferral-cases/${c.id}/exception`, {
      expectedVersion: c.version,
      rationale: 'Serious illness',
    });
    expect(byPartner.statusCode).toBe(403);

    const byTeam = await post(team, `/deferral-cases/${c.id}/exception`, {
      expectedVersion: c.version,
      rationale: 'A further period of serious illness, evidenced by the GP',
    });
    expect(byTeam.statusCode).toBe(200);
    c = byTeam.json() as CaseBody;
    expect(c.isException).toBe(true);
    expect(c.decision.outcome).toBe('allowed');
    expect(codes(c.decision.reasons)).toContain('DEFERRAL.EXCEPTION_APPROVED@2.3.9:true');

    const approved = await post(north, `/deferral-cases/${c.id}/approve`, {
      expectedVersion: c.version,
    });
    expect(approved.statusCode).toBe(200);
    expect(approved.json()).toMatchObject({ status: 'approved' });
    // School-funded: no refund at deferral (2.4.2).
    expect(codes((approved.json() as CaseBody).funding!.reasons)).toContain(
      'FUNDING.NO_REFUND_AT_DEFERRAL@2.4.2:true',
    );
  });

  it('answers 409 to a decision on a stale version, and to the loser of two concurrent approvals', async () => {
    const e = await activeEnrolment('npq-senior-leadership', 'north');
    let c = (
      await post(north, '/deferral-cases', { enrolmentId: e.id, circumstance: 'career_break' })
    ).json() as CaseBody;
    expect(c.status).toBe('requested');
    const stale = await post(north, `/deferral-cases/${c.id}/discuss`, {
      expectedVersion: c.version + 1,
      alternativesOffered: ['defer'],
      participantChoice: 'defer',
    });
    expect(stale.statusCode).toBe(409);
    c = (
      await post(north, `/deferral-cases/${c.id}/discuss`, {
        expectedVersion: c.version,
        alternativesOffered: ['defer'],
        participantChoice: 'defer',
      })
    ).json() as CaseBody;

    const results = await Promise.all([
      post(north, `/deferral-cases/${c.id}/approve`, { expectedVersion: c.version }),
      post(team, `/deferral-cases/${c.id}/approve`, { expectedVersion: c.version }),
    ]);
    expect(results.map((r) => r.statusCode).sort()).toEqual([200, 409]);
    const [audits] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from audit_event where what = 'DEFERRAL_APPROVED' and subject_id = ${String(c.id)}`,
    );
    expect(audits!.n).toBe(1);
  });

  it('lets staff decline with reasons; a new request may follow', async () => {
    const enrolmentId = await enrolmentOf('participant4@demo.npq-ops.test');
    const c = (
      await post(north, '/deferral-cases', { enrolmentId, circumstance: 'paternity_leave' })
    ).json() as CaseBody;
    const empty = await post(north, `/deferral-cases/${c.id}/decline`, {
      expectedVersion: c.version,
      reason: '  ',
    });
    expect(empty.statusCode).toBe(422);
    const declined = await post(north, `/deferral-cases/${c.id}/decline`, {
      expectedVersion: c.version,
      reason: 'Leave is two weeks; we agreed catch-up support with the current cohort instead.',
    });
    expect(declined.statusCode).toBe(200);
    expect(declined.json()).toMatchObject({
      status: 'declined',
      declineReason:
        'Leave is two weeks; we agreed catch-up support with the current cohort instead.',
    });
    const list = (await get(north, '/deferral-cases?status=declined')).json() as {
      items: CaseBody[];
    };
    expect(list.items.map((i) => i.id)).toContain(c.id);
    expect(list.items.every((i) => i.status === 'declined')).toBe(true);
    const again = await post(north, '/deferral-cases', {
      enrolmentId,
      circumstance: 'paternity_leave',
    });
    expect(again.statusCode).toBe(201);
  });

  it('does not let an admin record an exception, as the policy accepts only the programme team (2.3.9)', async () => {
    const e = await activeEnrolment('npq-senior-leadership', 'south', [
      await enrolmentOf('participant1@demo.npq-ops.test'),
    ]);
    await w.t.db.execute(sql`update enrolment set deferral_count = 1 where id = ${e.id}`);
    const c = (
      await post(admin, '/deferral-cases', { enrolmentId: e.id, circumstance: 'bereavement' })
    ).json() as CaseBody;
    expect(c.decision.outcome).toBe('needs_exception');
    const res = await post(admin, `/deferral-cases/${c.id}/exception`, {
      expectedVersion: c.version,
      rationale: 'Second bereavement',
    });
    expect(res.statusCode).toBe(403);
    expect(JSON.stringify(res.json())).toContain('Only the programme team');
  });
});
