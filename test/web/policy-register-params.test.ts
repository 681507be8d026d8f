import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { generateCohortDraft } from '../../src/services/cohort-setup.js';
import { getEnrolmentEngagement } from '../../src/services/engagement/read.js';
import { getEnrolment } from '../../src/services/participants.js';
import { enrolmentHeader } from '../../src/services/staff-dashboard.js';
import { formFields } from '../support/forms.js';
import {
  ADMIN,
  TEAM,
  approveVersion,
  draftVersion as draftShared,
} from '../support/policy-versions.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * Issue 16: rules and pages follow the policy version in force on the day, not the code's v2.2.
 * Version 2.4 (threshold 95%, 3 attempts, modules released 14 days ahead, intent asked 60 days
 * ahead) is approved on 16 March to come into force on 1 April: on 31 March everything still reads
 * 2.2; on 1 April and after, 2.4. Then: discarding a draft (page with confirmation, API) and the
 * what-if's differences as CSV.
 */
let w: DemoWorld;
let team: Session;
let admin: Session;
let partner: Session;
let participant: Session;
let enrolmentId: number;
const deps = () => ({ db: w.t.db, clock: w.clock });
const at = (iso: string) => {
  w.clock.now = () => new Date(iso);
};
const draftVersion = (version: string, values: Record<string, string>) =>
  draftShared(w, version, values);

beforeAll(async () => {
  w = await createDemoWorld({ participants: 30 }); // today 2026-03-16
  [team, admin, partner, participant] = await Promise.all([
    w.signIn(TEAM),
    w.signIn(ADMIN),
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('participant1@demo.npq-ops.test'),
  ]);
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join participant p on p.id = e.participant_id
        where p.email = 'participant1@demo.npq-ops.test' and e.status = 'active' order by e.id limit 1`,
  );
  enrolmentId = row!.id;
  await approveVersion(
    w,
    '2.4',
    {
      engagementThresholdBp: '95',
      assessmentAttempts: '3',
      moduleReleaseLeadDays: '14',
      intentContactLeadDays: '60',
    },
    '2026-04-01',
  );
});
afterAll(async () => {
  await w.destroy();
});

/** What each site says on a day: the figures that differ between 2.2 and 2.4. */
async function onDay(iso: string) {
  at(iso);
  const staff = await w.actor(TEAM);
  const engagement = await getEnrolmentEngagement(deps(), staff, enrolmentId);
  const record = await getEnrolment(deps(), staff, enrolmentId);
  const header = await enrolmentHeader(deps(), staff, enrolmentId);
  const api = await participant.request({
    method: 'GET',
    url: `/api/v1/enrolments/${enrolmentId}/engagement`,
  });
  const page = await participant.request({ method: 'GET', url: '/my-programme' });
  const [cohort] = await queryRows<{ programme_id: number; start_date: string }>(
    w.t.db,
    sql`select programme_id, start_date::text from cohort where name = 'NPQH 2025'`,
  );
  const draft = await generateCohortDraft(deps(), staff, {
    programmeId: cohort!.programme_id,
    startDate: cohort!.start_date,
    clinicCapacity: 20,
    isFinal: false,
    contractEndDate: null,
  });
  expect(api.statusCode).toBe(200);
  expect(page.statusCode).toBe(200);
  return {
    engagementVersion: engagement.decision.policyVersion,
    enrolmentVersion: record.engagement.policyVersion,
    apiVersion: (api.json() as { decision: { policyVersion: string } }).decision.policyVersion,
    pageNeeds: /You need (\d+)% by/.exec(pageText(page.body))?.[1],
    attemptsLeft: header.attemptsLeft,
    releaseLeadDays: draft.releaseLeadDays,
  };
}

describe('the version in force decides on its day, not the code’s 2.2', () => {
  it('on 31 March 2.2 decides (90%, 2 attempts, 7 days’ release lead); from 1 April 2.4', async () => {
    const before = await onDay('2026-03-31T12:00:00Z');
    expect(before).toMatchObject({
      engagementVersion: '2.2',
      enrolmentVersion: '2.2',
      apiVersion: '2.2',
      pageNeeds: '90',
      releaseLeadDays: 7,
    });
    const after = await onDay('2026-04-01T12:00:00Z');
    expect(after).toMatchObject({
      engagementVersion: '2.4',
      enrolmentVersion: '2.4',
      apiVersion: '2.4',
      pageNeeds: '95',
      releaseLeadDays: 14,
    });
    // One more attempt under 2.4 (3 against 2), whatever the participant has used.
    expect(after.attemptsLeft - before.attemptsLeft).toBe(1);
    const later = await onDay('2026-05-01T12:00:00Z');
    expect(later).toMatchObject({ engagementVersion: '2.4', pageNeeds: '95', releaseLeadDays: 14 });
  });
});

describe('discarding a draft', () => {
  it('the draft’s page has the button; the confirmation posts with CSRF; it is audited and no longer a draft', async () => {
    at('2026-05-01T12:00:00Z');
    await draftVersion('2.5', { engagementThresholdBp: '92' });
    const detail = await team.request({ method: 'GET', url: '/policy-register/versions/2.5' });
    expect(detail.body).toContain('data-testid="discard-draft"');
    const confirm = await team.request({
      method: 'GET',
      url: '/policy-register/versions/2.5/discard',
    });
    expect(confirm.statusCode).toBe(200);
    expect(pageText(confirm.body)).toContain(
      'Are you sure you want to discard the draft of version 2.5?',
    );
    const fields = formFields(confirm.body, '/policy-register/versions/2.5/discard');
    expect(typeof fields._csrf).toBe('string');
    // A partner may read the register but not discard: the page does not exist for them.
    const refused = await partner.request({
      method: 'POST',
      url: '/policy-register/versions/2.5/discard',
      payload: {},
    });
    expect(refused.statusCode).toBe(404);
    const done = await team.request({
      method: 'POST',
      url: '/policy-register/versions/2.5/discard',
      payload: fields,
    });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe('/policy-register/versions/2.5?notice=discarded');
    const after = await team.request({ method: 'GET', url: done.headers.location as string });
    expect(after.body).toContain('data-testid="discarded-banner"');
    expect(after.body).not.toContain('data-testid="discard-draft"');
    const audited = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from audit_event where what = 'POLICY_DRAFT_DISCARDED'`,
    );
    expect(audited[0]!.n).toBe(1);
    // Gone as a draft: a second discard is not found; a new draft may start.
    const again = await team.request({
      method: 'GET',
      url: '/policy-register/versions/2.5/discard',
    });
    expect(again.statusCode).toBe(404);
  });

  it('the API discards a draft (200, status discarded); a partner gets 403; not a draft is 404', async () => {
    await draftVersion('2.6', { engagementThresholdBp: '93' });
    const partnerTry = await partner.request({
      method: 'POST',
      url: '/api/v1/policy-versions/2.6/discard',
    });
    expect(partnerTry.statusCode).toBe(403);
    const res = await admin.request({ method: 'POST', url: '/api/v1/policy-versions/2.6/discard' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ version: '2.6', status: 'discarded' });
    const approved = await admin.request({
      method: 'POST',
      url: '/api/v1/policy-versions/2.4/discard',
    });
    expect(approved.statusCode).toBe(404);
  });
});

describe('the what-if’s differences as CSV', () => {
  it('page and API give one row per participant and outcome that changes, with the clause', async () => {
    at('2026-05-01T12:00:00Z');
    await draftVersion('2.7', { engagementThresholdBp: '50' });
    const query = 'version=2.7&scope=all&asOf=2026-05-01';
    const pageRes = await team.request({
      method: 'GET',
      url: `/policy-register/what-if?${query}`,
    });
    expect(pageRes.body).toContain('data-testid="what-if-csv"');
    const csv = await team.request({ method: 'GET', url: `/policy-register/what-if.csv?${query}` });
    expect(csv.statusCode).toBe(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    expect(csv.headers['content-disposition']).toBe(
      'attachment; filename="policy-2.7-against-2.4-what-if-2026-05-01.csv"',
    );
    const lines = csv.body.trimEnd().split('\r\n');
    expect(lines[0]).toBe(
      'Participant ID,Enrolment ID,Name,Delivery partner,Cohort ID,Outcome,Under the version in force,Under this version,Clause,Parameter,Why',
    );
    const api = await team.request({
      method: 'GET',
      url: '/api/v1/policy-versions/2.7/what-if?asOf=2026-05-01',
    });
    const result = api.json() as { participants: { differences: unknown[] }[] };
    const differences = result.participants.reduce((n, p) => n + p.differences.length, 0);
    expect(differences).toBeGreaterThan(0);
    expect(lines).toHaveLength(differences + 1);
    expect(lines.slice(1).every((l) => l.includes(',2.1.1,engagementThresholdBp,'))).toBe(true);
    const apiCsv = await team.request({
      method: 'GET',
      url: '/api/v1/policy-versions/2.7/what-if.csv?asOf=2026-05-01',
    });
    expect(apiCsv.statusCode).toBe(200);
    expect(apiCsv.body).toBe(csv.body);
    const bad = await team.request({
      method: 'GET',
      url: '/policy-register/what-if.csv?version=2.7&scope=all&asOf=2026-02-30',
    });
    expect(bad.statusCode).toBe(303);

    // Scoped to one cohort, the page's CSV holds exactly that cohort's rows of the whole file.
    const cohortOf = (line: string) => line.split(',')[4];
    const cohorts = [...new Set(lines.slice(1).map(cohortOf))];
    expect(cohorts.length).toBeGreaterThan(1);
    const scoped = await team.request({
      method: 'GET',
      url: `/policy-register/what-if.csv?version=2.7&scope=cohort&cohortId=${cohorts[0]}&asOf=2026-05-01`,
    });
    const scopedLines = scoped.body.trimEnd().split('\r\n');
    expect(scopedLines.slice(1)).toEqual(lines.slice(1).filter((l) => cohortOf(l) === cohorts[0]));
    const apiScoped = await team.request({
      method: 'GET',
      url: `/api/v1/policy-versions/2.7/what-if.csv?asOf=2026-05-01&cohortId=${cohorts[0]}`,
    });
    expect(apiScoped.body).toBe(scoped.body);
  });
});
