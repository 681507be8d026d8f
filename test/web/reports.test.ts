import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/client.js';
import type { FunnelRow } from '../../src/db/queries/reports.js';
import { programmeReport, reportParticipants } from '../../src/services/reports.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';
import { buildReportWorld, type ReportWorld } from '../support/report-world.js';

/**
 * Issue 16: the programme reports' figures on a hand-built cohort (test/support/report-world.ts),
 * through the service, the pages, the CSV downloads and the API; partner staff see only their own.
 */
let w: DemoWorld;
let r: ReportWorld;
let team: Session;
let north: Session;

beforeAll(async () => {
  w = await createDemoWorld({ participants: 12 });
  r = await buildReportWorld(w.t.db);
  team = await w.signIn('programme.team@demo.npq-ops.test');
  north = await w.signIn('partner.north@demo.npq-ops.test');
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

const deps = () => ({ db: w.t.db, clock: w.clock });
const counts = (o: Omit<FunnelRow, 'key' | 'label'>) => ({
  accepted: o.accepted,
  commenced: o.commenced,
  retained_1: o.retained_1,
  retained_2: o.retained_2,
  completed: o.completed,
  passed: o.passed,
});

describe('report figures (hand-built cohort)', () => {
  it('count the funnel from accepted to passed, by partner and by working pattern', async () => {
    const actor = await w.actor('programme.team@demo.npq-ops.test');
    const byPartner = await programmeReport(deps(), actor, { cohortId: r.cohortId }, 'partner');
    expect(byPartner.funnel.total).toEqual({
      accepted: 7,
      commenced: 5,
      retained_1: 2,
      retained_2: 1,
      completed: 2,
      passed: 1,
    });
    expect(Object.fromEntries(byPartner.funnel.rows.map((row) => [row.key, counts(row)]))).toEqual({
      [r.north]: {
        accepted: 4,
        commenced: 3,
        retained_1: 2,
        retained_2: 1,
        completed: 1,
        passed: 1,
      },
      [r.south]: {
        accepted: 3,
        commenced: 2,
        retained_1: 0,
        retained_2: 0,
        completed: 1,
        passed: 0,
      },
    });
    const byPattern = await programmeReport(deps(), actor, { cohortId: r.cohortId }, 'pattern');
    expect(byPattern.funnel.rows.map((row) => [row.label, counts(row)])).toEqual([
      [
        'Full time',
        { accepted: 5, commenced: 3, retained_1: 1, retained_2: 1, completed: 1, passed: 1 },
      ],
      [
        'Part time',
        { accepted: 2, commenced: 2, retained_1: 1, retained_2: 0, completed: 1, passed: 0 },
      ],
    ]);
    const partTime = await programmeReport(
      deps(),
      actor,
      { cohortId: r.cohortId, workingPattern: 'part_time', deliveryPartnerId: r.south },
      'cohort',
    );
    expect(partTime.funnel.total).toEqual({
      accepted: 1,
      commenced: 1,
      retained_1: 0,
      retained_2: 0,
      completed: 1,
      passed: 0,
    });
  });

  it('break down deferrals, assessment deferrals, withdrawals, moves and transfers', async () => {
    const actor = await w.actor('programme.team@demo.npq-ops.test');
    const report = await programmeReport(deps(), actor, { cohortId: r.cohortId }, 'cohort');
    expect(report.deferrals).toEqual([
      { key: 'illness_or_health', outcome: 'declined', participants: 1 },
      { key: 'illness_or_health', outcome: 'deferred', participants: 1 },
      { key: 'other', outcome: 'declined', participants: 1 },
    ]);
    expect(report.assessmentDeferrals).toEqual([
      { key: 'bereavement', outcome: 'approved', participants: 1 },
      { key: 'bereavement', outcome: 'declined', participants: 1 },
    ]);
    expect(report.withdrawals).toEqual([
      { key: 'personal-reason-moving-school', outcome: '', participants: 1 },
      { key: 'started-in-error', outcome: '', participants: 1 },
    ]);
    expect(report.schoolMoves).toEqual([
      { key: 'inside', outcome: '', participants: 1 },
      { key: 'outside', outcome: '', participants: 1 },
    ]);
    expect(report.transfers).toEqual([{ key: 'opened', outcome: '', participants: 1 }]);
  });

  it('count participants at risk at the end of each week', async () => {
    const actor = await w.actor('programme.team@demo.npq-ops.test');
    const report = await programmeReport(deps(), actor, { cohortId: r.cohortId }, 'cohort');
    expect(report.today).toBe('2026-03-16');
    expect(report.atRisk.map((p) => [p.on, p.behind, p.unreachable, p.total])).toEqual([
      ['2025-12-29', 0, 0, 0],
      ['2026-01-05', 0, 1, 1],
      ['2026-01-12', 0, 1, 1],
      ['2026-01-19', 0, 1, 1],
      ['2026-01-26', 0, 1, 1],
      ['2026-02-02', 0, 0, 0],
      ['2026-02-09', 0, 0, 0],
      ['2026-02-16', 0, 0, 0],
      ['2026-02-23', 0, 0, 0],
      ['2026-03-02', 1, 0, 1],
      ['2026-03-09', 1, 0, 1],
      ['2026-03-16', 2, 0, 2],
    ]);
  });

  it('list the participants behind each figure, the same ones the count counts', async () => {
    const actor = await w.actor('programme.team@demo.npq-ops.test');
    const names = async (figure: Parameters<typeof reportParticipants>[3]) =>
      (
        await reportParticipants(deps(), actor, { cohortId: r.cohortId }, figure, {
          limit: null,
          offset: 0,
        })
      ).rows.map((p) => p.fullName);
    expect(await names({ kind: 'accepted' })).toEqual(
      ['A1', 'A2', 'A3', 'A4', 'A5', 'A6', 'A8'].map((n) => `Report ${n}`),
    );
    expect(await names({ kind: 'commenced' })).toEqual(
      ['A2', 'A3', 'A4', 'A5', 'A8'].map((n) => `Report ${n}`),
    );
    expect(await names({ kind: 'retained_1' })).toEqual(['Report A2', 'Report A3']);
    expect(await names({ kind: 'passed' })).toEqual(['Report A3']);
    expect(
      await names({ kind: 'deferral', circumstance: 'illness_or_health', outcome: 'declined' }),
    ).toEqual(['Report A2']);
    expect(await names({ kind: 'withdrawal', reason: 'started-in-error' })).toEqual(['Report A6']);
    expect(await names({ kind: 'at_risk', on: '2026-01-26' })).toEqual(['Report A5']);
    expect(await names({ kind: 'at_risk', on: '2026-02-02' })).toEqual([]);
    expect(await names({ kind: 'at_risk', on: '2026-03-16', alert: 'engagement_behind' })).toEqual([
      'Report A2',
      'Report A8',
    ]);
    expect(await names({ kind: 'school_move', insideNetwork: false })).toEqual(['Report A8']);
    expect(await names({ kind: 'transfer', status: 'opened' })).toEqual(['Report A8']);
  });

  it('cost a fixed number of statements, however many participants there are', async () => {
    const actor = await w.actor('programme.team@demo.npq-ops.test');
    let statements = 0;
    const counting = new Proxy(w.t.db, {
      get(target, prop, receiver) {
        if (prop === 'execute') {
          return (...args: unknown[]) => {
            statements += 1;
            return (target.execute as (...a: unknown[]) => unknown).apply(target, args);
          };
        }
        return Reflect.get(target, prop, receiver) as unknown;
      },
    }) as Db;
    await programmeReport({ db: counting, clock: w.clock }, actor, {}, 'partner');
    expect(statements).toBe(3);
  });
});

describe('partner staff', () => {
  it('see only their own participants, whatever partner the query names', async () => {
    const actor = await w.actor('partner.north@demo.npq-ops.test');
    const report = await programmeReport(deps(), actor, { cohortId: r.cohortId }, 'cohort');
    expect(report.funnel.total).toEqual({
      accepted: 4,
      commenced: 3,
      retained_1: 2,
      retained_2: 1,
      completed: 1,
      passed: 1,
    });
    expect(report.withdrawals).toEqual([]);
    expect(report.assessmentDeferrals).toEqual([
      { key: 'bereavement', outcome: 'approved', participants: 1 },
    ]);
    const res = await north.request({
      method: 'GET',
      url: `/reports?cohort=${r.cohortId}&partner=${r.south}`,
    });
    expect(res.statusCode).toBe(200);
    expect(pageText(res.body)).toContain('Of 4 accepted participants, 3 commenced (75%)');
    const list = await north.request({
      method: 'GET',
      url: `/reports/participants?cohort=${r.cohortId}&figure=withdrawal&key=started-in-error`,
    });
    expect(list.statusCode).toBe(200);
    expect(list.body).not.toContain('Report A6');
    const api = await north.request({
      method: 'GET',
      url: `/api/v1/reports/participants?cohort=${r.cohortId}&figure=accepted`,
    });
    expect(api.statusCode).toBe(200);
    expect((api.json() as { total: number }).total).toBe(4);
  });
});

describe('report pages', () => {
  it('show each chart as an image named by its summary, with the table and links beneath', async () => {
    const res = await team.request({
      method: 'GET',
      url: `/reports?cohort=${r.cohortId}&by=pattern`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.body).toMatch(
      /<svg[^>]*class="app-chart__svg" role="img" aria-labelledby="funnel-heading funnel-summary"/,
    );
    expect(res.body).not.toMatch(/<svg[^>]*\swidth="\d/);
    expect(res.body).not.toMatch(/<style|style="/);
    const text = pageText(res.body);
    expect(text).toContain(
      'Of 7 accepted participants, 5 commenced (71%), 2 were retained at milestone 1 (29%) and 1 at milestone 2 (14%), 2 completed (29%) and 1 passed (14%).',
    );
    expect(text).toContain(
      'On 16 March 2026, 2 participants were at risk (2 behind, 0 no longer able',
    );
    expect(res.body).toContain(
      `href="/reports/participants?cohort=${r.cohortId}&amp;pattern=part_time&amp;figure=commenced"`,
    );
    expect(res.body).toContain(`href="/reports/csv/funnel?cohort=${r.cohortId}&amp;by=pattern"`);
    expect(res.headers['content-security-policy']).toContain("style-src 'self'");
  });

  it('download each table as CSV with the figures the page shows', async () => {
    const res = await team.request({
      method: 'GET',
      url: `/reports/csv/funnel?cohort=${r.cohortId}&by=pattern`,
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/csv');
    expect(res.body).toBe(
      'pattern,accepted,commenced,retained_1,retained_2,completed,passed\r\n' +
        'Full time,5,3,1,1,1,1\r\nPart time,2,2,1,0,1,0\r\nTotal,7,5,2,1,2,1\r\n',
    );
    const withdrawals = await team.request({
      method: 'GET',
      url: `/reports/csv/withdrawals?cohort=${r.cohortId}`,
    });
    expect(withdrawals.body).toBe(
      'dfe_reason,participants\r\npersonal-reason-moving-school,1\r\nstarted-in-error,1\r\n',
    );
    const people = await team.request({
      method: 'GET',
      url: `/reports/participants/csv?cohort=${r.cohortId}&figure=retained_1`,
    });
    expect(
      people.body
        .split('\r\n')
        .filter(Boolean)
        .map((l) => l.split(',')[2]),
    ).toEqual(['full_name', 'Report A2', 'Report A3']);
  });

  it('list the participants behind a figure, linked to their records', async () => {
    const res = await team.request({
      method: 'GET',
      url: `/reports/participants?cohort=${r.cohortId}&figure=deferral&key=illness_or_health&outcome=deferred`,
    });
    expect(res.statusCode).toBe(200);
    expect(pageText(res.body)).toContain('Showing 1 to 1 of 1 participant.');
    expect(res.body).toContain(`href="/participants/${r.participant.A8}"`);
    const incomplete = await team.request({
      method: 'GET',
      url: '/reports/participants?figure=deferral',
    });
    expect(incomplete.statusCode).toBe(404);
  });

  it('are not there for roles that do not report', async () => {
    const coach = await w.signIn('coach@demo.npq-ops.test');
    expect((await coach.request({ method: 'GET', url: '/reports' })).statusCode).toBe(404);
    expect(
      (await coach.request({ method: 'GET', url: '/api/v1/reports/summary' })).statusCode,
    ).toBe(403);
  });
});

describe('reports API', () => {
  it('answers the same figures as JSON and checks its query', async () => {
    const res = await team.request({
      method: 'GET',
      url: `/api/v1/reports/summary?cohort=${r.cohortId}&by=partner`,
    });
    expect(res.statusCode).toBe(200);
    const body = res.json() as { funnel: { total: Record<string, number> } };
    expect(body.funnel.total.passed).toBe(1);
    const bad = await team.request({
      method: 'GET',
      url: '/api/v1/reports/summary?pattern=sometimes',
    });
    expect(bad.statusCode).toBe(400);
    const incomplete = await team.request({
      method: 'GET',
      url: '/api/v1/reports/participants?figure=withdrawal',
    });
    expect(incomplete.statusCode).toBe(422);
  });
});
