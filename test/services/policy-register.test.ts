import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { cohortEngagement } from '../../src/db/queries/cohort-engagement.js';
import { seedCatalogue } from '../../src/db/seed/catalogue.js';
import { DEFAULT_DEMO_NOW, seedDemo } from '../../src/db/seed/demo.js';
import { POLICY_REGISTER_V2_2 } from '../../src/policy/register.js';
import { loadActor, type Actor } from '../../src/services/actor.js';
import { ConflictError, ForbiddenError, ValidationError } from '../../src/services/errors.js';
import {
  approveDraft,
  createDraft,
  discardDraft,
  getPolicyVersion,
  listPolicyVersions,
  registerInForce,
  updateDraft,
} from '../../src/services/policy-register.js';
import { runWhatIf } from '../../src/services/policy-what-if.js';
import { raiseEngagementAlerts } from '../../src/services/daily.js';
import { loadAssessmentContext } from '../../src/services/assessment.js';
import { editOf } from '../support/policy-versions.js';
import { rowCounts } from '../support/row-counts.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let t: TestDatabase;
let team: Actor;
let admin: Actor;
const clock = fixedClock(DEFAULT_DEMO_NOW); // 2026-03-16
const deps = () => ({ db: t.db, clock });

async function actorOf(email: string): Promise<Actor> {
  const [row] = await queryRows<{ id: number }>(
    t.db,
    sql`select id from app_user where email = ${email}`,
  );
  return (await loadActor(t.db, row!.id))!;
}

beforeAll(async () => {
  t = await createTestDatabase();
  await seedCatalogue(t.db);
  await seedDemo(t.db, { participants: 60, withUsers: true, now: DEFAULT_DEMO_NOW });
  team = await actorOf('programme.team@demo.npq-ops.test');
  admin = await actorOf('admin@demo.npq-ops.test');
});
afterAll(async () => {
  await t.destroy();
});

describe('the policy register on a fresh database (header and version table, 3.1.1)', () => {
  it('holds the seed policy’s four versions; 2.2 is in force with the code’s v2.2 parameters', async () => {
    const versions = await listPolicyVersions(deps(), team);
    expect(versions.map((v) => [v.version, v.approver, v.issuedOn, v.standing])).toEqual([
      ['1', 'Programme Director, NPQs', '2024-01-01', 'history'],
      ['2', 'Programme Director, NPQs', '2024-07-01', 'history'],
      ['2.1', 'Programme Operations Committee', '2025-06-01', 'history'],
      ['2.2', 'Programme Director, NPQs', '2025-08-01', 'in_force'],
    ]);
    const v22 = versions[3]!;
    expect(v22.owner).toBe('Director, NPQ Programmes');
    expect(v22.nextReviewOn).toBe('2026-07-01');
    expect(v22.appliesTo).toBe(POLICY_REGISTER_V2_2.appliesTo);
    expect(v22.summary).toBe('Minor changes to 2.3 following revised DfE guidance on deferrals.');
    expect(v22.parameters).toEqual(POLICY_REGISTER_V2_2.parameters);
    const register = await registerInForce(t.db, '2026-03-16');
    expect(register.version).toBe('2.2');
    expect(register.parameters).toEqual(POLICY_REGISTER_V2_2.parameters);
    expect(register.versionHistory.map((h) => [h.version, h.released])).toEqual([
      ['1', 'January 2024'],
      ['2', 'July 2024'],
      ['2.1', 'June 2025'],
      ['2.2', 'August 2025'],
    ]);
    // Before 2.2 was issued npq-ops had no earlier rules: decisions fall back to the first it holds.
    expect((await registerInForce(t.db, '2025-01-01')).version).toBe('2.2');
  });

  it('a participant cannot read it; a delivery partner can read but not draft', async () => {
    const [p] = await queryRows<{ id: number }>(
      t.db,
      sql`select id from app_user where role = 'participant' limit 1`,
    );
    const participant = (await loadActor(t.db, p!.id))!;
    await expect(listPolicyVersions(deps(), participant)).rejects.toBeInstanceOf(ForbiddenError);
    const [d] = await queryRows<{ id: number }>(
      t.db,
      sql`select id from app_user where role = 'delivery_partner_staff' limit 1`,
    );
    const partner = (await loadActor(t.db, d!.id))!;
    expect((await listPolicyVersions(deps(), partner)).length).toBe(4);
    await expect(
      createDraft(deps(), partner, { version: '2.3', summary: 'x' }),
    ).rejects.toBeInstanceOf(ForbiddenError);
  });
});

/** Engagement of an enrolment as of `asOf`, from the set-based figures. */
async function engagementOf(enrolmentId: number, asOf: string) {
  const [e] = await queryRows<{ cohort_id: number }>(
    t.db,
    sql`select cohort_id from enrolment where id = ${enrolmentId}`,
  );
  const rows = await cohortEngagement(t.db, {
    cohortId: e!.cohort_id,
    today: asOf,
    completedBy: asOf,
    visibleTo: sql`e.id = ${enrolmentId}`,
  });
  return rows[0]!;
}

/**
 * The demo has no one between 90% and 95%: take participants who have done nearly everything and
 * remove their evidence of their lightest activities, one at a time, until each is below `below`.
 */
async function lowerEngagement(asOf: string, targets: number[]): Promise<void> {
  const top = await queryRows<{ id: number }>(
    t.db,
    sql`select e.id from enrolment e where e.status = 'active' order by e.id`,
  );
  let next = 0;
  for (const below of targets) {
    for (; next < top.length; next++) {
      const id = top[next]!.id;
      if ((await engagementOf(id, asOf)).basisPoints >= 9500) break;
    }
    const id = top[next++]!.id;
    for (let i = 0; i < 50 && (await engagementOf(id, asOf)).basisPoints >= below; i++) {
      await t.db.execute(sql`
        delete from engagement_record where participant_id = (select participant_id from enrolment where id = ${id})
          and activity_id = (
            select a.id from engagement_record r join programme_activity a on a.id = r.activity_id
            join enrolment e on e.participant_id = r.participant_id and e.id = ${id}
            join cohort c on c.id = e.cohort_id
            where a.programme_id = c.programme_id and a.required and a.kind <> 'coaching'
            order by coalesce(a.weight, a.planned_minutes), a.id limit 1)`);
    }
  }
}

describe('what-if: a draft run over the lead provider as of a date writes nothing', () => {
  const asOf = '2027-06-01';
  beforeAll(async () => {
    await lowerEngagement(asOf, [9500, 9400, 9200]);
  });
  it('a draft with no parameter changed changes no one', async () => {
    await createDraft(deps(), team, { version: '2.2.1', summary: 'No change' });
    const before = await rowCounts(t.db);
    const result = await runWhatIf(deps(), team, {
      version: '2.2.1',
      scope: { kind: 'all' },
      asOf,
    });
    expect(await rowCounts(t.db)).toEqual(before);
    expect(result.comparedWith).toBe('2.2');
    expect(result.changedParameters).toEqual([]);
    expect(result.enrolmentsConsidered).toBeGreaterThan(20);
    expect(result.participantsChanged).toBe(0);
    expect(result.participants).toEqual([]);
    await discardDraft(deps(), team, '2.2.1');
  });

  it('raising the threshold to 95% changes exactly the participants between 90% and 95%', async () => {
    const draft = await createDraft(deps(), team, { version: '2.3', summary: 'Threshold 95%' });
    await updateDraft(deps(), team, '2.3', editOf(draft, { engagementThresholdBp: '95' }));
    const before = await rowCounts(t.db);
    const result = await runWhatIf(deps(), team, { version: '2.3', scope: { kind: 'all' }, asOf });
    expect(await rowCounts(t.db)).toEqual(before);
    expect(result.changedParameters).toEqual([
      {
        field: 'engagementThresholdBp',
        label: 'Engagement needed to sit the assessment',
        from: '90%',
        to: '95%',
      },
    ]);

    // The same facts, independently, cohort by cohort: who sits in [90%, 95%) as of the date.
    const cohorts = await queryRows<{ id: number }>(t.db, sql`select id from cohort order by id`);
    const between = new Set<number>();
    const nearly = new Set<number>();
    for (const { id } of cohorts) {
      const rows = await cohortEngagement(t.db, {
        cohortId: id,
        today: asOf,
        completedBy: asOf,
        visibleTo: sql`e.status in ('accepted', 'active', 'deferred')`,
      });
      for (const r of rows) {
        const at = (w: number, bp: number) => r.totalWeight > 0 && w * 10_000 >= r.totalWeight * bp;
        if (at(r.completedWeight, 9000) && !at(r.completedWeight, 9500)) between.add(r.enrolmentId);
        const best = r.completedWeight + r.stillPossibleWeight;
        const inBand = (bp: number) => bp >= 9000 && bp < 9500;
        if (
          !at(r.completedWeight, 9000) &&
          (inBand(r.projectedBasisPoints) || (at(best, 9000) && !at(best, 9500)))
        )
          nearly.add(r.enrolmentId);
      }
    }
    expect(between.size).toBeGreaterThan(0);
    const lostEligibility = result.participants
      .filter((p) => p.differences.some((d) => d.outcome === 'eligible'))
      .map((p) => p.enrolmentId);
    expect(new Set(lostEligibility)).toEqual(between);
    expect(result.counts.eligible).toEqual({ gained: 0, lost: between.size });
    // Everyone else who changed was short of 90% but could reach (or was heading for) 90-95%.
    for (const p of result.participants) {
      expect(between.has(p.enrolmentId) || nearly.has(p.enrolmentId)).toBe(true);
      for (const d of p.differences) {
        expect(d).toMatchObject({ clause: '2.1.1', parameter: 'engagementThresholdBp' });
        expect(d.explanation).toContain('from 90% to 95%');
      }
    }
    expect(result.counts.deferral_allowed).toEqual({ gained: 0, lost: 0 });
    expect(result.counts.attempts_left).toEqual({ gained: 0, lost: 0 });
  });

  it('deferrals and attempts: each difference names its clause and parameter', async () => {
    const draft = await getPolicyVersion(deps(), team, '2.3');
    await updateDraft(
      deps(),
      team,
      '2.3',
      editOf(draft, {
        engagementThresholdBp: '90',
        deferralsAllowed: '2',
        assessmentAttempts: '3',
      }),
    );
    const result = await runWhatIf(deps(), team, { version: '2.3', scope: { kind: 'all' }, asOf });
    expect(result.counts.eligible).toEqual({ gained: 0, lost: 0 });
    const [deferred] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from enrolment
          where status in ('accepted', 'active', 'deferred') and deferral_count = 1`,
    );
    expect(result.counts.deferral_allowed).toEqual({ gained: deferred!.n, lost: 0 });
    // Every open enrolment gains an attempt.
    expect(result.counts.attempts_left.gained).toBe(result.enrolmentsConsidered);
    const sample = result.participants[0]!.differences.find((d) => d.outcome === 'attempts_left')!;
    expect(sample).toMatchObject({ clause: '2.5.1', parameter: 'assessmentAttempts' });
  });

  it('a cohort or a partner narrows the scope', async () => {
    const [c] = await queryRows<{ id: number; n: number }>(
      t.db,
      sql`select cohort_id as id, count(*)::int as n from enrolment
          where status in ('accepted', 'active', 'deferred') group by cohort_id order by n desc limit 1`,
    );
    const result = await runWhatIf(deps(), team, {
      version: '2.3',
      scope: { kind: 'cohort', cohortId: c!.id },
      asOf,
    });
    expect(result.enrolmentsConsidered).toBe(c!.n);
    expect(result.participants.every((p) => p.cohortId === c!.id)).toBe(true);
    await expect(
      runWhatIf(deps(), team, {
        version: '2.3',
        scope: { kind: 'partner', deliveryPartnerId: 99999 },
        asOf,
      }),
    ).rejects.toBeInstanceOf(ValidationError);
  });
});

describe('approving a draft (four eyes) and the version in force on a date', () => {
  it('validates the draft field by field and refuses a stale edit', async () => {
    const draft = await getPolicyVersion(deps(), team, '2.3');
    const bad = editOf(draft, {
      engagementThresholdBp: '49',
      assessmentWindowDays: '0',
      assessmentAttempts: 'two',
    });
    const error = await updateDraft(deps(), team, '2.3', {
      ...bad,
      nextReviewOn: '2027-02-30',
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.path).sort()).toEqual([
      'assessmentAttempts',
      'assessmentWindowDays',
      'engagementThresholdBp',
      'nextReviewOn',
    ]);
    await expect(
      updateDraft(deps(), team, '2.3', { ...editOf(draft, {}), revision: draft.revision - 1 }),
    ).rejects.toBeInstanceOf(ConflictError);
    await expect(
      createDraft(deps(), admin, { version: '2.4', summary: 'Second draft' }),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('the drafter may not approve; another approver makes it the version in force from its issue date', async () => {
    const draft = await getPolicyVersion(deps(), team, '2.3');
    await updateDraft(deps(), team, '2.3', editOf(draft, { engagementThresholdBp: '92.5' }));
    const edited = await getPolicyVersion(deps(), team, '2.3');
    await expect(
      approveDraft(deps(), team, '2.3', {
        revision: edited.revision,
        issuedOn: '2026-04-01',
        approver: 'Programme Operations Committee',
      }),
    ).rejects.toBeInstanceOf(ForbiddenError);
    const past = await approveDraft(deps(), admin, '2.3', {
      revision: edited.revision,
      issuedOn: '2026-03-01',
      approver: 'Programme Operations Committee',
    }).catch((e: unknown) => e);
    expect((past as ValidationError).errors[0]!.path).toBe('issuedOn');

    const approved = await approveDraft(deps(), admin, '2.3', {
      revision: edited.revision,
      issuedOn: '2026-04-01',
      approver: 'Programme Operations Committee',
    });
    expect(approved.standing).toBe('scheduled');
    expect((await registerInForce(t.db, '2026-03-31')).version).toBe('2.2');
    const from = await registerInForce(t.db, '2026-04-01');
    expect(from.version).toBe('2.3');
    expect(from.parameters.engagementThresholdBp).toBe(9250);
    expect(from.parameters.deferralsAllowed).toBe(2);
    expect(from.approvedBy).toBe('Programme Operations Committee');
    expect(from.nextReviewDueOn).toBe('2027-07-01');
    expect(from.versionHistory.map((h) => h.version)).toEqual(['1', '2', '2.1', '2.2', '2.3']);
    const audits = await queryRows<{ what: string }>(
      t.db,
      sql`select what from audit_event where subject_type = 'policy_version' order by id`,
    );
    expect(audits.map((a) => a.what)).toEqual([
      'POLICY_DRAFT_CREATED',
      'POLICY_DRAFT_DISCARDED',
      'POLICY_DRAFT_CREATED',
      'POLICY_DRAFT_EDITED',
      'POLICY_DRAFT_EDITED',
      'POLICY_DRAFT_EDITED',
      'POLICY_VERSION_APPROVED',
    ]);
    // An approved version can no longer be edited.
    await expect(updateDraft(deps(), team, '2.3', editOf(approved, {}))).rejects.toMatchObject({
      status: 404,
    });
  });

  it('decisions made on or after its issue date are made under it, and keep its version', async () => {
    await t.db.transaction((tx) => raiseEngagementAlerts(tx, '2026-04-02'));
    const alerts = await queryRows<{ details: { policyVersion: string; thresholdBp: number } }>(
      t.db,
      sql`select details from engagement_alert where raised_on = '2026-04-02'`,
    );
    expect(alerts.length).toBeGreaterThan(0);
    for (const a of alerts)
      expect(a.details).toMatchObject({ policyVersion: '2.3', thresholdBp: 9250 });
    const [e] = await queryRows<{ id: number }>(
      t.db,
      sql`select id from enrolment where status = 'active' order by id limit 1`,
    );
    const before = await loadAssessmentContext(t.db, e!.id, '2026-03-31');
    const after = await loadAssessmentContext(t.db, e!.id, '2026-04-01');
    expect(before.engagement.policyVersion).toBe('2.2');
    expect(after.engagement.policyVersion).toBe('2.3');
    expect(after.engagement.reasons[0]!.evidence.thresholdBp).toBe(9250);
    expect(after.attemptsRemaining - before.attemptsRemaining).toBe(1);
  });
});
