import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * Issue 10 (2.2.1.1): the release lead time can be changed after set-up, on pages (form, check
 * answers, error summary) and through the API, checked against the cohort's scheduled releases as
 * set-up checks them, and audited; cohorts can be set up and read through the API, with the same
 * roles as the pages.
 */
let w: DemoWorld;
let team: Session;
let north: Session;
let participant: Session;
let cohortId: number;

async function leadDays(id = cohortId): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    w.t.db,
    sql`select release_lead_days as n from cohort where id = ${id}`,
  );
  return row!.n;
}

async function audits(id = cohortId) {
  return queryRows<{ who: string; details: { from: number; to: number } }>(
    w.t.db,
    sql`select who, details from audit_event where what = 'COHORT_RELEASE_LEAD_DAYS_CHANGED'
        and subject_type = 'cohort' and subject_id = ${String(id)} order by id`,
  );
}

/** The least number of days any module of the cohort is released before its ideal window. */
async function leastGap(id = cohortId): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    w.t.db,
    sql`select min(ideal_window_start - release_date)::int as n from cohort_module_release where cohort_id = ${id}`,
  );
  return row!.n;
}

async function programmeId(identifier: string): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select p.id from programme p join course c on c.id = p.course_id where c.identifier = ${identifier}`,
  );
  return row!.id;
}

beforeAll(async () => {
  w = await createDemoWorld({ participants: 12 });
  team = await w.signIn('programme.team@demo.npq-ops.test');
  north = await w.signIn('partner.north@demo.npq-ops.test');
  participant = await w.signIn('participant2@demo.npq-ops.test');
  const [c] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select c.id from cohort c where exists (select 1 from enrolment e where e.cohort_id = c.id) order by c.id limit 1`,
  );
  cohortId = c!.id;
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

describe('changing the release lead time on the pages', () => {
  it('is offered on the cohort dashboard to the programme team, not to a partner', async () => {
    const dash = await team.request({ method: 'GET', url: `/cohorts/${cohortId}` });
    expect(dash.statusCode).toBe(200);
    expect(dash.body).toContain(`href="/cohorts/${cohortId}/release-lead-time"`);
    const theirs = await north.request({ method: 'GET', url: `/cohorts/${cohortId}` });
    expect(theirs.body).not.toContain('/release-lead-time"');
    expect(
      (await north.request({ method: 'GET', url: `/cohorts/${cohortId}/release-lead-time` }))
        .statusCode,
    ).toBe(404);
    const posted = await north.request({
      method: 'POST',
      url: `/cohorts/${cohortId}/release-lead-time/confirm`,
      payload: { releaseLeadDays: '3' },
    });
    // A read they may not make is 404; a change they may not make is 403 (as in the API).
    expect(posted.statusCode).toBe(403);
    expect(await leadDays()).toBe(7);
  });

  it('refuses what is not whole days from 0 to 28 with an error summary', async () => {
    for (const bad of ['', 'soon', '29', '-1']) {
      const res = await team.request({
        method: 'POST',
        url: `/cohorts/${cohortId}/release-lead-time`,
        payload: { releaseLeadDays: bad },
      });
      expect(res.statusCode, bad).toBe(422);
      expect(res.body).toContain('govuk-error-summary');
      expect(res.body).toContain('href="#releaseLeadDays"');
      expect(pageText(res.body)).toContain(
        'Enter how many days ahead modules are released, from 0 to 28',
      );
    }
  });

  it('refuses a lead time the scheduled releases do not keep, naming the module and dates', async () => {
    const gap = await leastGap();
    const res = await team.request({
      method: 'POST',
      url: `/cohorts/${cohortId}/release-lead-time`,
      payload: { releaseLeadDays: String(gap + 1) },
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('href="#releaseLeadDays"');
    expect(pageText(res.body)).toMatch(
      new RegExp(
        `at least ${gap + 1} days before its ideal window starts; \\d+ module\\(s\\) are released later than that: Module 1 is released on`,
      ),
    );
    // The same refusal if the check page is skipped.
    const direct = await team.request({
      method: 'POST',
      url: `/cohorts/${cohortId}/release-lead-time/confirm`,
      payload: { releaseLeadDays: String(gap + 1) },
    });
    expect(direct.statusCode).toBe(422);
    expect(await leadDays()).toBe(7);
    expect(await audits()).toEqual([]);
  });

  it('checks the answers, then changes the lead time and audits it', async () => {
    const form = await team.request({
      method: 'GET',
      url: `/cohorts/${cohortId}/release-lead-time`,
    });
    expect(form.statusCode).toBe(200);
    expect(form.body).toContain('value="7"');
    expect(form.body).toContain('data-testid="releases"');
    const check = await team.request({
      method: 'POST',
      url: `/cohorts/${cohortId}/release-lead-time`,
      payload: { releaseLeadDays: '3' },
    });
    expect(check.statusCode).toBe(200);
    expect(pageText(check.body)).toContain('Released ahead of the ideal window 7 days → 3 days');
    expect(check.body).toContain('data-outcome="met"');
    expect(check.body).toContain('data-code="CALENDAR.RELEASED_AHEAD"');
    // Nothing is saved by the check.
    expect(await leadDays()).toBe(7);
    const done = await team.request({
      method: 'POST',
      url: `/cohorts/${cohortId}/release-lead-time/confirm`,
      payload: { releaseLeadDays: '3' },
    });
    expect(done.statusCode).toBe(303);
    expect(done.headers.location).toBe(`/cohorts/${cohortId}?notice=lead-time-changed`);
    expect(await leadDays()).toBe(3);
    const [entry] = await audits();
    expect(entry!.details).toMatchObject({ from: 7, to: 3 });
    expect(entry!.who).toMatch(/^user:\d+$/);
    const dash = await team.request({ method: 'GET', url: done.headers.location as string });
    expect(pageText(dash.body)).toContain('Release lead time changed');
    expect(pageText(dash.body)).toContain('Modules released ahead 3 days (at least)');
  });
});

describe('the cohort set-up API', () => {
  it('changes the lead time with PATCH, refuses one the releases do not keep, and audits', async () => {
    const gap = await leastGap();
    const refused = await team.request({
      method: 'PATCH',
      url: `/api/v1/cohorts/${cohortId}`,
      payload: { releaseLeadDays: gap + 1 },
    });
    expect(refused.statusCode).toBe(422);
    const body = refused.json() as {
      code: string;
      reasons: { code: string; clause: string; met: boolean }[];
      errors: { path: string }[];
      policyVersion: string;
    };
    expect(body.code).toBe('POLICY_REFUSED');
    expect(body.reasons).toContainEqual(
      expect.objectContaining({ code: 'CALENDAR.RELEASED_LATE', clause: '2.2.1.1', met: false }),
    );
    expect(body.errors[0]!.path).toBe('policy.2.2.1.1');
    expect(body.policyVersion).toBeTruthy();

    const before = (await audits()).length;
    const ok = await team.request({
      method: 'PATCH',
      url: `/api/v1/cohorts/${cohortId}`,
      payload: { releaseLeadDays: gap },
    });
    expect(ok.statusCode).toBe(200);
    const changed = ok.json() as { changed: boolean; cohort: { releaseLeadDays: number } };
    expect(changed).toMatchObject({ changed: true, cohort: { releaseLeadDays: gap } });
    expect(await leadDays()).toBe(gap);
    expect((await audits()).length).toBe(before + 1);
    // The same value again changes and audits nothing.
    const again = await team.request({
      method: 'PATCH',
      url: `/api/v1/cohorts/${cohortId}`,
      payload: { releaseLeadDays: gap },
    });
    expect((again.json() as { changed: boolean }).changed).toBe(false);
    expect((await audits()).length).toBe(before + 1);
  });

  it('answers 400 with field paths for a body that does not match the schema', async () => {
    const res = await team.request({
      method: 'PATCH',
      url: `/api/v1/cohorts/${cohortId}`,
      payload: { releaseLeadDays: 40 },
    });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { errors: { path: string }[] }).errors[0]!.path).toBe(
      'body.releaseLeadDays',
    );
    const create = await team.request({
      method: 'POST',
      url: '/api/v1/cohorts',
      payload: { programmeId: 'x', startDate: '5 October' },
    });
    expect(create.statusCode).toBe(400);
    const paths = (create.json() as { errors: { path: string }[] }).errors.map((e) => e.path);
    expect(paths).toEqual(expect.arrayContaining(['body.programmeId', 'body.startDate']));
  });

  it('sets a cohort up as the pages do, reads it back, and refuses a start that makes no sense', async () => {
    const pid = await programmeId('npq-early-years-leadership');
    const silly = await team.request({
      method: 'POST',
      url: '/api/v1/cohorts',
      payload: { programmeId: pid, startDate: '2099-10-05' },
    });
    expect(silly.statusCode).toBe(422);
    expect((silly.json() as { errors: { path: string }[] }).errors[0]!.path).toBe('startDate');

    const res = await team.request({
      method: 'POST',
      url: '/api/v1/cohorts',
      payload: { programmeId: pid, startDate: '2027-10-04', releaseLeadDays: 10 },
    });
    expect(res.statusCode).toBe(201);
    const created = res.json() as {
      id: number;
      releaseLeadDays: number;
      startDate: string;
      modules: { releaseDate: string; idealWindowStart: string }[];
    };
    expect(created.releaseLeadDays).toBe(10);
    expect(created.startDate).toBe('2027-10-04');
    expect(created.modules[0]).toMatchObject({
      idealWindowStart: '2027-10-04',
      releaseDate: '2027-09-24',
    });
    const [audit] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from audit_event where what = 'COHORT_CREATED' and subject_id = ${String(created.id)}`,
    );
    expect(audit!.n).toBe(1);
    const read = await team.request({ method: 'GET', url: `/api/v1/cohorts/${created.id}` });
    expect(read.statusCode).toBe(200);
    expect(read.json()).toEqual(created);
    // One cohort of a programme a year: the second is a field error.
    const twice = await team.request({
      method: 'POST',
      url: '/api/v1/cohorts',
      payload: { programmeId: pid, startDate: '2027-10-04' },
    });
    expect(twice.statusCode).toBe(422);
    expect((twice.json() as { errors: { path: string }[] }).errors[0]!.path).toBe('startDate');
  });

  it('is for the same roles as the pages: others are refused and nothing changes', async () => {
    const pid = await programmeId('npq-leading-literacy');
    for (const who of [north, participant]) {
      const create = await who.request({
        method: 'POST',
        url: '/api/v1/cohorts',
        payload: { programmeId: pid, startDate: '2027-10-04' },
      });
      expect(create.statusCode).toBe(403);
      const patch = await who.request({
        method: 'PATCH',
        url: `/api/v1/cohorts/${cohortId}`,
        payload: { releaseLeadDays: 0 },
      });
      expect(patch.statusCode).toBe(403);
      const read = await who.request({ method: 'GET', url: `/api/v1/cohorts/${cohortId}` });
      expect(read.statusCode).toBe(404);
    }
    expect(await leadDays()).not.toBe(0);
    const [n] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from cohort c join programme p on p.id = c.programme_id
          join course co on co.id = p.course_id where co.identifier = 'npq-leading-literacy' and c.year = 2027`,
    );
    expect(n!.n).toBe(0);
    // Signed out: 401.
    const anon = await w.app.inject({ method: 'GET', url: `/api/v1/cohorts/${cohortId}` });
    expect(anon.statusCode).toBe(401);
  });
});
