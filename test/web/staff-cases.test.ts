import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { requestAssessmentDeferral } from '../../src/services/assessment-deferrals.js';
import {
  approveDeferral,
  recordDeferralDiscussion,
  requestDeferral,
  startDeferral,
} from '../../src/services/deferral-cases.js';
import { fixedClock } from '../../src/clock.js';
import { runDailyProcessing } from '../../src/services/daily.js';
import { recordSchoolMove } from '../../src/services/school-moves.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let north: Session;
let south: Session;
let team: Session;

beforeAll(async () => {
  w = await createDemoWorld();
  [north, south, team] = await Promise.all([
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('partner.south@demo.npq-ops.test'),
    w.signIn('programme.team@demo.npq-ops.test'),
  ]);
});
afterAll(async () => {
  await w?.destroy();
});

const deps = () => ({ db: w.t.db, clock: w.clock });
const get = (s: Session, url: string) => s.request({ method: 'GET', url });
const post = (s: Session, url: string, payload: Record<string, unknown>) =>
  s.request({ method: 'POST', url, payload });

/** Active, commenced enrolments of a 2025 cohort by partner, so a deferral request is allowed. */
async function activeEnrolments(partner: string): Promise<number[]> {
  const rows = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join cohort c on c.id = e.cohort_id
        join delivery_partner dp on dp.id = e.delivery_partner_id join participant p on p.id = e.participant_id
        where c.year = 2025 and e.status = 'active' and dp.slug = ${partner}
          and p.dfe_registration_confirmed and p.employment_confirmed
          and exists (select 1 from engagement_record r where r.participant_id = p.id)
          and exists (select 1 from cohort c2 where c2.programme_id = c.programme_id and c2.year = 2026)
        order by e.id`,
  );
  return rows.map((r) => r.id);
}

async function openCase(enrolmentId: number, email = 'partner.north@demo.npq-ops.test') {
  return requestDeferral(deps(), await w.actor(email), {
    enrolmentId,
    circumstance: 'illness_or_health',
    description: 'Long-term illness',
  });
}

const versionOf = (html: string) => Number(/name="expectedVersion" value="(\d+)"/.exec(html)?.[1]);

describe('the deferral case journey through the pages', () => {
  it('shows the case in the queue, with the policy’s reasons, consequences and the re-join plan', async () => {
    const [enrolmentId] = await activeEnrolments('north');
    const c = await openCase(enrolmentId!);
    const queue = await get(north, '/cases');
    expect(queue.statusCode).toBe(200);
    expect(queue.body).toContain(`href="/cases/deferrals/${c.id}"`);

    const page = await get(north, `/cases/deferrals/${c.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toMatch(/href="\/policy#clause-2-3-2"/);
    expect(page.body).toMatch(/href="\/policy#clause-2-4-[12]"/);
    expect(page.body).toContain('data-testid="rejoin-plan"');
    expect(page.body).toContain('Record the discussion');
    expect(page.body).not.toContain('Approve the exception');

    // Missing choices are field errors, and nothing changes.
    const bad = await post(north, `/cases/deferrals/${c.id}/discussion`, {
      expectedVersion: String(c.version),
    });
    expect(bad.statusCode).toBe(422);
    expect(bad.body).toContain('href="#alternativesOffered"');

    const discussed = await post(north, `/cases/deferrals/${c.id}/discussion`, {
      expectedVersion: String(c.version),
      alternativesOffered: ['defer', 'continue_with_current_cohort'],
      participantChoice: 'defer',
    });
    expect(discussed.statusCode).toBe(303);
    expect(discussed.headers.location).toBe(`/cases/deferrals/${c.id}?notice=discussed`);

    // Someone who read the case before the discussion gets a conflict, not a silent overwrite.
    const stale = await post(north, `/cases/deferrals/${c.id}/approve`, {
      expectedVersion: String(c.version),
    });
    expect(stale.statusCode).toBe(409);
    expect(stale.body).toContain('changed by someone else');

    const afterDiscussion = await get(north, discussed.headers.location as string);
    expect(afterDiscussion.body).toContain('Discussion recorded');
    const approved = await post(north, `/cases/deferrals/${c.id}/approve`, {
      expectedVersion: String(versionOf(afterDiscussion.body)),
    });
    expect(approved.statusCode).toBe(303);

    const plan = await get(north, `/cases/deferrals/${c.id}/plan`);
    expect(plan.statusCode).toBe(200);
    expect(plan.body).toContain('data-testid="plan-summary"');
    expect(plan.body).toContain('Re-join here');
    expect(plan.body).toContain('New deadline for 90% engagement');
    const [stored] = await queryRows<{ status: string; rejoin_date: string; target: string }>(
      w.t.db,
      sql`select dc.status, dc.rejoin_date::text, c.name as target from deferral_case dc join cohort c on c.id = dc.target_cohort_id where dc.id = ${c.id}`,
    );
    expect(stored!.status).toBe('approved');
    expect(plan.body).toContain(stored!.target);

    const approvedPage = await get(north, `/cases/deferrals/${c.id}`);
    const started = await post(north, `/cases/deferrals/${c.id}/start`, {
      expectedVersion: String(versionOf(approvedPage.body)),
    });
    expect(started.statusCode).toBe(303);
    const [e] = await queryRows<{ status: string }>(
      w.t.db,
      sql`select status from enrolment where id = ${enrolmentId}`,
    );
    expect(e!.status).toBe('deferred');

    const audit = await get(north, `/audit/deferral-case/${c.id}`);
    expect(audit.statusCode).toBe(200);
    for (const what of [
      'Deferral requested',
      'Deferral options discussed',
      'Deferral approved',
      'Deferral started',
    ]) {
      expect(audit.body).toContain(what);
    }
  });

  it('declines with reasons, and asks for them first', async () => {
    const [, enrolmentId] = await activeEnrolments('north');
    const c = await openCase(enrolmentId!);
    const missing = await post(north, `/cases/deferrals/${c.id}/decline`, {
      expectedVersion: String(c.version),
      reason: ' ',
    });
    expect(missing.statusCode).toBe(422);
    expect(missing.body).toContain('href="#reason"');
    const declined = await post(north, `/cases/deferrals/${c.id}/decline`, {
      expectedVersion: String(c.version),
      reason: 'We agreed to continue with adjustments',
    });
    expect(declined.statusCode).toBe(303);
    const page = await get(north, `/cases/deferrals/${c.id}`);
    expect(page.body).toContain('We agreed to continue with adjustments');
    expect(page.body).toContain('data-testid="no-actions"');
  });

  it('needs the programme team’s exception for a second deferral', async () => {
    const [enrolmentId] = await activeEnrolments('south');
    await w.t.db.execute(sql`update enrolment set deferral_count = 1 where id = ${enrolmentId!}`);
    const c = await openCase(enrolmentId!, 'partner.south@demo.npq-ops.test');
    expect(c.decision?.deferral.outcome).toBe('needs_exception');

    const partnerView = await get(south, `/cases/deferrals/${c.id}`);
    expect(partnerView.body).toContain('data-testid="needs-exception"');
    expect(partnerView.body).toContain('href="/policy#clause-2-3-9"');
    expect(partnerView.body).not.toContain('Record the discussion');
    const refused = await post(south, `/cases/deferrals/${c.id}/exception`, {
      expectedVersion: String(c.version),
      rationale: 'Trying anyway',
    });
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('Only the programme team can approve a further deferral');

    // An admin is not offered what the policy would refuse (it accepts the programme team only).
    const admin = await w.signIn('admin@demo.npq-ops.test');
    const adminView = await get(admin, `/cases/deferrals/${c.id}`);
    expect(adminView.statusCode).toBe(200);
    expect(adminView.body).toContain('data-testid="needs-exception"');
    expect(adminView.body).not.toContain('Approve the exception');
    expect(
      (
        await post(admin, `/cases/deferrals/${c.id}/exception`, {
          expectedVersion: String(c.version),
          rationale: 'Admin trying',
        })
      ).statusCode,
    ).toBe(403);

    const teamView = await get(team, `/cases/deferrals/${c.id}`);
    expect(teamView.body).toContain('Approve the exception');
    const approved = await post(team, `/cases/deferrals/${c.id}/exception`, {
      expectedVersion: String(c.version),
      rationale: 'Second serious illness, evidence seen',
    });
    expect(approved.statusCode).toBe(303);
    const after = await get(south, `/cases/deferrals/${c.id}`);
    expect(after.body).toContain('Further deferral approved as an exception');
    expect(after.body).toContain('Record the discussion');
  });

  it('keeps one partner out of another partner’s cases, reading and writing', async () => {
    const [enrolmentId] = (await activeEnrolments('south')).slice(1);
    const c = await openCase(enrolmentId!, 'partner.south@demo.npq-ops.test');
    expect((await get(north, `/cases/deferrals/${c.id}`)).statusCode).toBe(404);
    expect((await get(north, `/cases/deferrals/${c.id}/plan`)).statusCode).toBe(404);
    expect((await get(north, `/audit/deferral-case/${c.id}`)).statusCode).toBe(404);
    const write = await post(north, `/cases/deferrals/${c.id}/decline`, {
      expectedVersion: String(c.version),
      reason: 'no',
    });
    expect(write.statusCode).toBe(404);
    expect((await get(north, '/cases')).body).not.toContain(`href="/cases/deferrals/${c.id}"`);
    expect((await get(team, '/cases')).body).toContain(`href="/cases/deferrals/${c.id}"`);
  });
});

describe('a request the policy refuses at once (2.3.10)', () => {
  it('stays in the partner’s queue so someone tells the participant their options', async () => {
    // Not yet registered with the DfE: not eligible (2.3.2), so the policy refuses at once.
    const ids = await activeEnrolments('north');
    const enrolmentId = ids[ids.length - 1]!;
    await w.t.db.execute(
      sql`update participant set dfe_registration_confirmed = false
          where id = (select participant_id from enrolment where id = ${enrolmentId})`,
    );
    const row = { id: enrolmentId };
    const c = await openCase(row.id);
    expect(c.status).toBe('declined');
    const queue = await get(north, '/cases');
    expect(queue.body).toContain(`href="/cases/deferrals/${c.id}"`);
    expect(queue.body).toContain('Refused by the policy: tell the participant their options');
  });
});

describe('intent to return contacts (2.3.7)', () => {
  it('appear in the queue of the participant’s partner when the daily job finds them due', async () => {
    const [, , enrolmentId] = await activeEnrolments('north');
    const actor = await w.actor('partner.north@demo.npq-ops.test');
    let c = await openCase(enrolmentId!);
    c = await recordDeferralDiscussion(deps(), actor, c.id, {
      expectedVersion: c.version,
      alternativesOffered: ['defer', 'continue_with_current_cohort'],
      participantChoice: 'defer',
    });
    c = await approveDeferral(deps(), actor, c.id, { expectedVersion: c.version });
    c = await startDeferral(deps(), actor, c.id, { expectedVersion: c.version });
    const [due] = await queryRows<{ on: string }>(
      w.t.db,
      sql`select intent_contact_due_on::text as on from deferral_case where id = ${c.id}`,
    );
    const section = (html: string) => html.slice(html.indexOf('id="intent-contacts"'));
    expect(section((await get(north, '/cases')).body)).not.toContain(
      `href="/cases/deferrals/${c.id}"`,
    );

    const report = await runDailyProcessing({
      db: w.t.db,
      clock: fixedClock(`${due!.on}T09:00:00Z`),
      // Sessions run on the world's session clock (test/support/demo-world.ts): purge on it too.
      wallClock: w.sessionClock,
    });
    expect(report.intentContactTasksOpened).toBeGreaterThanOrEqual(1);
    const queue = await get(north, '/cases');
    expect(section(queue.body)).toContain(`href="/cases/deferrals/${c.id}"`);
    const other = await get(south, '/cases');
    expect(other.body).not.toContain(`href="/cases/deferrals/${c.id}"`);
  });
});

describe('the re-join planner before any request', () => {
  it('shows the target cohort’s timeline, catch-up list, new deadline and window', async () => {
    const ids = await activeEnrolments('north');
    const enrolmentId = ids.at(-1)!;
    const [p] = await queryRows<{ participant_id: number }>(
      w.t.db,
      sql`select participant_id from enrolment where id = ${enrolmentId}`,
    );
    const res = await get(
      north,
      `/participants/${p!.participant_id}/rejoin-plan?enrolment=${enrolmentId}`,
    );
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('data-testid="plan-summary"');
    expect(res.body).toContain('Assessment window');
    expect(res.body).toMatch(/data-testid="(catch-up|no-catch-up)"/);
    expect(res.body).toMatch(/href="\/policy#clause-2-3-\d+"/);
    // Another participant's enrolment in the query is not a way in.
    expect(ids.length).toBeGreaterThan(1);
    const other = await get(
      north,
      `/participants/${p!.participant_id}/rejoin-plan?enrolment=${ids[0]}`,
    );
    expect(other.statusCode).toBe(404);
  });
});

describe('school moves and transfers', () => {
  it('shows a move outside the network with its decision and the transfer steps', async () => {
    const [enrolmentId] = await activeEnrolments('north');
    const [outside] = await queryRows<{ urn: string }>(
      w.t.db,
      sql`select s.urn from school s where not exists (select 1 from lead_provider_region lr where lr.region_id = s.region_id) order by s.id limit 1`,
    );
    const ids = await activeEnrolments('north');
    const move = await recordSchoolMove(deps(), await w.actor('partner.north@demo.npq-ops.test'), {
      enrolmentId: ids[2] ?? enrolmentId!,
      newSchoolUrn: outside!.urn,
      movedOn: '2026-03-10',
    });
    expect(move.transfer).not.toBeNull();
    const queue = await get(north, '/cases');
    expect(queue.body).toContain(`href="/cases/school-moves/${move.id}"`);
    const page = await get(north, `/cases/school-moves/${move.id}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('href="/policy#clause-2-6-4"');
    const chosen = await post(
      north,
      `/cases/school-moves/${move.id}/transfers/${move.transfer!.id}/provider`,
      {
        expectedVersion: String(move.transfer!.version),
        name: 'Another Lead Provider',
      },
    );
    expect(chosen.statusCode).toBe(303);
    const after = await get(north, `/cases/school-moves/${move.id}`);
    expect(after.body).toContain('Another Lead Provider');
    expect((await get(south, `/cases/school-moves/${move.id}`)).statusCode).toBe(404);
  });
});

describe('assessment deferral requests', () => {
  it('shows the decision and lets staff ask for evidence, record it and approve', async () => {
    const [e] = await queryRows<{ id: number }>(
      w.t.db,
      sql`select e.id from enrolment e join cohort c on c.id = e.cohort_id join delivery_partner dp on dp.id = e.delivery_partner_id
          where c.name = 'NPQSL 2025' and dp.slug = 'north' and e.status = 'active' order by e.id desc limit 1`,
    );
    // Everything done before the deadline, then a request made during the first window.
    await w.t.db.execute(sql`
      insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
      select e.participant_id, a.id, a.kind, (c.engagement_deadline - 1)::timestamp + interval '10 hours', 'staff', 'staff-cases-' || a.id
      from enrolment e join cohort c on c.id = e.cohort_id
      join programme_activity a on a.programme_id = c.programme_id and a.required
      where e.id = ${e!.id} on conflict do nothing`);
    const original = w.clock.now;
    w.clock.now = () => new Date('2026-09-24T10:00:00Z');
    try {
      const c = await requestAssessmentDeferral(
        deps(),
        await w.actor('partner.north@demo.npq-ops.test'),
        {
          enrolmentId: e!.id,
          circumstance: 'bereavement',
          description: 'A close family bereavement during the window',
        },
      );
      const queue = await get(north, '/cases');
      expect(queue.body).toContain(`href="/cases/assessment-deferrals/${c.id}"`);
      const page = await get(north, `/cases/assessment-deferrals/${c.id}`);
      expect(page.statusCode).toBe(200);
      expect(page.body).toMatch(/href="\/policy#clause-2-5-2"/);
      const asked = await post(north, `/cases/assessment-deferrals/${c.id}/request-evidence`, {
        expectedVersion: String(c.version),
        request: 'A copy of the death certificate',
      });
      expect(asked.statusCode).toBe(303);
      const v2 = versionOf((await get(north, `/cases/assessment-deferrals/${c.id}`)).body);
      const noted = await post(north, `/cases/assessment-deferrals/${c.id}/evidence`, {
        expectedVersion: String(v2),
        note: 'Certificate seen',
      });
      expect(noted.statusCode).toBe(303);
      const v3 = versionOf((await get(north, `/cases/assessment-deferrals/${c.id}`)).body);
      const approved = await post(north, `/cases/assessment-deferrals/${c.id}/approve`, {
        expectedVersion: String(v3),
      });
      expect(approved.statusCode).toBe(303);
      const after = await get(north, `/cases/assessment-deferrals/${c.id}`);
      expect(after.body).toContain('Certificate seen');
      expect(after.body).toContain('data-testid="no-actions"');
      expect((await get(south, `/cases/assessment-deferrals/${c.id}`)).statusCode).toBe(404);
      expect((await get(north, `/audit/assessment-deferral-case/${c.id}`)).statusCode).toBe(200);
    } finally {
      w.clock.now = original;
    }
  });
});
