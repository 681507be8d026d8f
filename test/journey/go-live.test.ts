/**
 * Go live, end to end: a production-mode app on an empty database with no demo data, driven only
 * through the command line and HTTP (pages and the JSON API), from the first admin to a participant
 * who has started their programme and may ask for a deferral (policy 2.3.2).
 *
 * On the PostgreSQL run the CLI and the app share a fresh database of their own and the CLI runs in
 * production mode; on the embedded run the CLI works on a PGlite directory that the app opens after.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { sql } from 'drizzle-orm';
import { createApp } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { queryRows, type Database } from '../../src/db/client.js';
import { PARTICIPANT_CSV_COLUMNS } from '../../src/services/participant-import.js';
import { prepareDatabase } from '../../src/services/bootstrap.js';
import { pageText } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';
import { createCliDatabase, type CliDatabase } from '../support/cli-database.js';
import { readFile } from 'node:fs/promises';

const PUBLIC_URL = 'https://npq.example.test';
const SECRET = 'a-go-live-session-secret-of-at-least-32-characters';
const GOOD_PASSWORD = 'correct horse battery staple';

let t: CliDatabase;
let database: Database | undefined;
let app: FastifyInstance | undefined;
let today = new Date('2026-05-04T09:00:00Z');
const clock: Clock = { now: () => new Date(today) };

/** The CLI in production mode on PostgreSQL; the embedded run can only be development mode. */
const cli = (...args: string[]) =>
  t.cli(args, {
    PUBLIC_URL,
    NODE_ENV: t.databaseUrl ? 'production' : 'development',
    SESSION_SECRET: SECRET,
  });

/** A browser: a cookie jar, forms posted as forms, and the API's CSRF header once signed in. */
class Browser {
  cookies: Record<string, string> = {};
  apiCsrf = '';

  async send(
    method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE',
    url: string,
    options: { form?: Record<string, string | string[]>; json?: unknown; csv?: string } = {},
  ): Promise<LightMyRequestResponse> {
    const headers: Record<string, string> = {};
    let payload: string | undefined;
    if (options.form) {
      const body = new URLSearchParams();
      for (const [k, v] of Object.entries(options.form))
        for (const value of Array.isArray(v) ? v : [v]) body.append(k, value);
      payload = body.toString();
      headers['content-type'] = 'application/x-www-form-urlencoded';
    } else if (options.json !== undefined) {
      payload = JSON.stringify(options.json);
      headers['content-type'] = 'application/json';
    } else if (options.csv !== undefined) {
      payload = options.csv;
      headers['content-type'] = 'text/csv';
    }
    if (method !== 'GET' && !options.form) headers['x-csrf-token'] = this.apiCsrf;
    const res = await app!.inject({
      method,
      url,
      cookies: this.cookies,
      headers,
      ...(payload !== undefined ? { payload } : {}),
    });
    for (const c of res.cookies) this.cookies[c.name] = c.value;
    return res;
  }

  /** GETs a page and posts its form (action) with the user's changes, as a browser would. */
  async submit(
    pageUrl: string,
    action: string,
    changes: Record<string, string | string[]>,
    page?: LightMyRequestResponse,
  ): Promise<LightMyRequestResponse> {
    const form = page ?? (await this.send('GET', pageUrl));
    expect(form.statusCode, `${pageUrl}: ${form.body.slice(0, 300)}`).toBe(200);
    return this.send('POST', action, { form: { ...formFields(form.body, action), ...changes } });
  }

  async signIn(email: string, password: string): Promise<void> {
    const res = await this.submit('/sign-in', '/sign-in', { email, password });
    expect(res.statusCode, pageText(res.body).slice(0, 400)).toBe(303);
    const session = await this.send('GET', '/api/v1/session');
    this.apiCsrf = (session.json() as { csrfToken: string }).csrfToken;
  }
}

function linkPath(link: string): string {
  expect(link.startsWith(`${PUBLIC_URL}/account/`)).toBe(true);
  return link.slice(PUBLIC_URL.length);
}

/** Sets a password from an emailed or printed link, as the person would. */
async function acceptLink(browser: Browser, link: string): Promise<void> {
  const url = linkPath(link);
  const form = await browser.send('GET', url);
  expect(form.statusCode).toBe(200);
  const action = /<form[^>]*action="([^"]+)"/.exec(form.body)?.[1] ?? url;
  const tooCommon = await browser.submit(url, action, {
    password: 'qwerty123456',
    confirmPassword: 'qwerty123456',
  });
  expect(tooCommon.statusCode).toBe(422);
  expect(pageText(tooCommon.body)).toContain('There is a problem');
  const done = await browser.submit(url, action, {
    password: GOOD_PASSWORD,
    confirmPassword: GOOD_PASSWORD,
  });
  expect(done.statusCode, pageText(done.body).slice(0, 400)).toBeLessThan(400);
  // The link works once.
  expect((await browser.send('GET', url)).statusCode).toBe(410);
}

/** The newest email to someone, read where the deployment keeps it: the CLI or the mailbox API. */
async function newestLinkTo(admin: Browser, email: string): Promise<string> {
  let body: string;
  if (t.databaseUrl) {
    const printed = await cli('mailbox', '--to', email, '--limit', '1');
    expect(printed.code).toBe(0);
    body = printed.stdout;
  } else {
    const res = await admin.send('GET', `/api/v1/email-messages?to=${encodeURIComponent(email)}`);
    expect(res.statusCode).toBe(200);
    body = (res.json() as { items: { body: string | null }[] }).items[0]?.body ?? '';
  }
  const link = new RegExp(`${PUBLIC_URL}/account/(?:set|reset)-password/[A-Za-z0-9_-]+`).exec(
    body,
  )?.[0];
  if (!link) throw new Error(`No link in the email to ${email}: ${body.slice(0, 300)}`);
  return link;
}

/** {a: 1, b: {c: 2}} → {a: 1, 'b.c': 2}: the API's parameter fields. */
function flatten(o: Record<string, unknown>, prefix = ''): Record<string, number> {
  return Object.fromEntries(
    Object.entries(o).flatMap(([k, v]) =>
      v !== null && typeof v === 'object'
        ? Object.entries(flatten(v as Record<string, unknown>, `${prefix}${k}.`))
        : [[`${prefix}${k}`, v as number]],
    ),
  );
}

async function createCohort(team: Browser, course: RegExp, startDate: string): Promise<void> {
  const start = await team.send('GET', '/cohorts/new');
  const programmeId = new RegExp(`<option value="(\\d+)"[^>]*>[^<]*${course.source}`).exec(
    start.body,
  )?.[1];
  expect(programmeId, 'the catalogue offers the programme').toBeDefined();
  const schedule = await team.submit(
    '/cohorts/new',
    '/cohorts/new',
    { programmeId: programmeId!, startDate, clinicCapacity: '20' },
    start,
  );
  expect(schedule.statusCode, pageText(schedule.body).slice(0, 600)).toBe(200);
  const saved = await team.send('POST', '/cohorts', {
    form: formFields(schedule.body, '/cohorts'),
  });
  expect(saved.statusCode, pageText(saved.body).slice(0, 600)).toBe(303);
}

beforeAll(async () => {
  t = await createCliDatabase('go-live');
});

afterAll(async () => {
  await app?.close();
  await database?.close();
  await t?.destroy();
});

describe('going live from an empty database', () => {
  it(
    'takes a lead provider from nothing to a participant who has started and may defer',
    { timeout: 300_000 },
    async () => {
      // 1. The first admin, from the command line: a one-time link, never a password.
      const created = await cli('admin', 'create', '--email', 'ada@lp.example', '--name', 'Ada');
      expect(created.code, created.stderr).toBe(0);
      const adminLink = created.stdout.trim();
      // stdout is the link alone: nothing else to copy, and no password anywhere.
      expect(adminLink).toMatch(/^https:\/\/npq\.example\.test\/account\/set-password\/[\w-]+$/);

      // 2. The app, as `serve` starts it in production: migrated, the catalogue, no demo.
      database = await t.open();
      const config = loadConfig({
        NODE_ENV: 'production',
        // The embedded run opens PGlite itself; production config only insists a URL is given.
        DATABASE_URL: t.databaseUrl || 'postgres://unused.invalid/npq',
        SESSION_SECRET: SECRET,
        PUBLIC_URL,
        LOG_LEVEL: 'silent',
      });
      const report = await prepareDatabase(database.db, config, clock.now());
      expect(report.demoSeeded).toBe(false);
      expect(report.demoSignIns).toEqual([]);
      app = await createApp({ db: database.db, clock, config });
      const [people] = await queryRows<{ users: number; participants: number }>(
        database.db,
        sql`select (select count(*)::int from app_user) as users, (select count(*)::int from participant) as participants`,
      );
      expect(people).toEqual({ users: 1, participants: 0 });

      // 3. The admin sets a password from the link and signs in.
      const admin = new Browser();
      await acceptLink(admin, adminLink);
      await admin.signIn('ada@lp.example', GOOD_PASSWORD);

      // 4. The lead provider, a delivery partner with contact details, and the area it serves.
      const lp = await admin.send('PUT', '/api/v1/lead-provider', {
        json: {
          name: 'Northern Lights Institute',
          slug: 'northern-lights',
          contractEndDate: '2030-08-31',
          contactEmail: 'npq@northern-lights.example',
          contactPhone: '0300 000 0000',
          openingHours: 'Monday to Friday, 9am to 5pm',
        },
      });
      expect(lp.statusCode, lp.body).toBe(201);
      const partner = await admin.send('POST', '/api/v1/delivery-partners', {
        json: {
          name: 'Tyneside Teaching Hub',
          slug: 'tyneside',
          contactEmail: 'npq@tyneside.example',
          contactPhone: '0191 000 0000',
          openingHours: 'Weekdays 8am to 6pm',
        },
      });
      expect(partner.statusCode, partner.body).toBe(201);
      const partnerId = (partner.json() as { id: number }).id;

      // 5. Schools from the DfE's GIAS file; the partner serves Gateshead (LA 390).
      const gias = await readFile('test/fixtures/gias-sample.csv');
      const imported = await admin.send('POST', '/api/v1/school-imports?fileName=gias.csv', {
        csv: gias.toString('latin1'),
      });
      expect(imported.statusCode, imported.body).toBe(201);
      const summary = imported.json() as { created: number; errors: unknown[] };
      expect(summary.created).toBeGreaterThan(3);
      expect(summary.errors.length).toBeGreaterThan(0);
      const area = await admin.send('POST', `/api/v1/delivery-partners/${partnerId}/areas`, {
        json: { code: '390', name: 'Gateshead' },
      });
      expect(area.statusCode, area.body).toBeLessThan(300);

      // 6. The cohort for this year and next year's (somewhere to defer to, 2.3.3).
      await createCohort(admin, /Senior Leadership/, '2026-09-07');
      await createCohort(admin, /Senior Leadership/, '2027-09-06');

      // 7. A member of the partner's staff is invited, sets a password and signs in.
      const invited = await admin.submit('/admin/accounts/new', '/admin/accounts', {
        name: 'Sam Partner',
        email: 'sam@tyneside.example',
        role: 'delivery_partner_staff',
        deliveryPartnerId: String(partnerId),
      });
      expect(invited.statusCode, pageText(invited.body).slice(0, 500)).toBeLessThan(400);
      const duplicate = await admin.send('POST', '/api/v1/accounts', {
        json: { name: 'Sam Again', email: 'SAM@tyneside.example', role: 'coach' },
      });
      expect(duplicate.statusCode).toBe(422);
      expect(JSON.stringify(duplicate.json())).toContain('email');
      const sam = new Browser();
      await acceptLink(sam, await newestLinkTo(admin, 'sam@tyneside.example'));
      await sam.signIn('sam@tyneside.example', GOOD_PASSWORD);

      // 8. Sam imports participants for Tyneside at a Gateshead school.
      const [school] = await queryRows<{ urn: string }>(
        database.db,
        sql`select s.urn from school s join local_authority la on la.id = s.local_authority_id
            where la.code = '390' and s.status = 'Open' order by s.urn limit 1`,
      );
      expect(school).toBeDefined();
      const row = (o: Record<string, string>) =>
        PARTICIPANT_CSV_COLUMNS.map((c) => o[c] ?? '').join(',');
      const base = {
        school_urn: school!.urn,
        funding_route: 'dfe_scholarship',
        working_pattern: 'full_time',
        dfe_registration_confirmed: 'yes',
        employment_confirmed: 'yes',
        course_identifier: 'npq-senior-leadership',
        cohort_year: '2026',
        delivery_partner: 'tyneside',
      };
      const csv = [
        PARTICIPANT_CSV_COLUMNS.join(','),
        row({ ...base, trn: '1234567', full_name: 'Priya Shah', email: 'priya@school.example' }),
        row({ ...base, trn: '7654321', full_name: 'Tom Reed', email: 'tom@school.example' }),
      ].join('\n');
      const importPage = await sam.submit('/imports', '/imports/participants', {
        participantsCsv: csv,
      });
      expect(importPage.statusCode, pageText(importPage.body).slice(0, 500)).toBe(200);
      expect(pageText(importPage.body)).toContain(
        '2 participants added, 2 enrolments added, 0 already there, 2 invitations to set a password emailed',
      );

      // 9. Priya cannot sign in before setting her password; she accepts her invitation.
      const priya = new Browser();
      const early = await priya.submit('/sign-in', '/sign-in', {
        email: 'priya@school.example',
        password: GOOD_PASSWORD,
      });
      expect(early.statusCode).not.toBe(303);
      await acceptLink(priya, await newestLinkTo(admin, 'priya@school.example'));
      await priya.signIn('priya@school.example', GOOD_PASSWORD);

      // 10. The programme starts: Priya completes her first study session and becomes active.
      today = new Date('2026-09-08T17:30:00Z');
      const programme = await priya.send('GET', '/my-programme');
      expect(programme.statusCode).toBe(200);
      const sessionId = /href="\/sessions\/(\d+)"/.exec(programme.body)?.[1];
      expect(sessionId).toBeDefined();
      const sessionPage = await priya.send('GET', `/sessions/${sessionId}`);
      const action = `/sessions/${sessionId}/complete`;
      const completed = await priya.send('POST', action, {
        form: formFields(sessionPage.body, action),
      });
      expect(completed.statusCode, pageText(completed.body).slice(0, 400)).toBe(303);
      const enrolments = (
        await queryRows<{ id: number; status: string; commenced_at: Date | null }>(
          database.db,
          sql`select e.id, e.status, e.commenced_at from enrolment e join participant p on p.id = e.participant_id
              where p.email = 'priya@school.example'`,
        )
      ).map((e) => ({ ...e, commenced: e.commenced_at !== null }));
      expect(enrolments).toMatchObject([{ status: 'active', commenced: true }]);
      const enrolmentId = enrolments[0]!.id;
      const seen = await sam.send('GET', `/api/v1/enrolments/${enrolmentId}`);
      expect(seen.statusCode).toBe(200);
      expect(seen.json()).toMatchObject({ status: 'active' });

      // 11. …and may now ask for a deferral (2.3.2 met; next year's cohort to go to, 2.3.3).
      const preview = await priya.send(
        'POST',
        `/api/v1/enrolments/${enrolmentId}/deferral-preview`,
        {
          json: { circumstance: 'illness_or_health' },
        },
      );
      expect(preview.statusCode, preview.body).toBe(200);
      const decision = (
        preview.json() as {
          decision: { outcome: string; reasons: { clause: string; met: boolean }[] };
        }
      ).decision;
      expect(decision.reasons.filter((r) => r.clause === '2.3.2').every((r) => r.met)).toBe(true);
      expect(decision.outcome).toBe('allowed');

      // Tom, who has not engaged, is still accepted: commencement needs engagement (2.3.2).
      const [tom] = await queryRows<{ status: string }>(
        database.db,
        sql`select e.status from enrolment e join participant p on p.id = e.participant_id where p.email = 'tom@school.example'`,
      );
      expect(tom).toEqual({ status: 'accepted' });
    },
  );

  it(
    'gives the programme team its reports, a new policy version tried with the what-if, approved and published',
    { timeout: 300_000 },
    async () => {
      // Continues the deployment above (Priya active, Tom accepted, on 8 September 2026).
      const admin = new Browser();
      await admin.signIn('ada@lp.example', GOOD_PASSWORD);
      const sam = new Browser();
      await sam.signIn('sam@tyneside.example', GOOD_PASSWORD);

      // Reports: the partner's own figures, the participants behind one, and the CSV.
      const summary = await sam.send('GET', '/api/v1/reports/summary');
      expect(summary.statusCode, summary.body).toBe(200);
      expect(
        (summary.json() as { funnel: { total: Record<string, number> } }).funnel.total,
      ).toMatchObject({
        accepted: 2,
        commenced: 1,
      });
      const page = await sam.send('GET', '/reports');
      expect(page.statusCode).toBe(200);
      const behind = await sam.send('GET', '/reports/participants?figure=commenced');
      expect(behind.statusCode).toBe(200);
      expect(pageText(behind.body)).toContain('Priya Shah');
      expect(pageText(behind.body)).not.toContain('Tom Reed');
      const csv = await sam.send('GET', '/reports/csv/funnel');
      expect(csv.statusCode).toBe(200);
      expect(csv.headers['content-type']).toContain('text/csv');

      // The register as a fresh database holds it: 2.2 in force, with the seed's version table.
      const inForce = await admin.send('GET', '/api/v1/policy-versions/2.2');
      expect(inForce.statusCode, inForce.body).toBe(200);

      // A programme team member, invited, who will approve what the admin drafts.
      const invited = await admin.submit('/admin/accounts/new', '/admin/accounts', {
        name: 'Pat Programme',
        email: 'pat@lp.example',
        role: 'programme_team',
      });
      expect(invited.statusCode, pageText(invited.body).slice(0, 500)).toBeLessThan(400);
      const pat = new Browser();
      await acceptLink(pat, await newestLinkTo(admin, 'pat@lp.example'));
      await pat.signIn('pat@lp.example', GOOD_PASSWORD);

      // The admin drafts 2.3 with a 95% threshold.
      const created = await admin.send('POST', '/api/v1/policy-versions', {
        json: { version: '2.3', summary: 'Engagement threshold raised to 95%' },
      });
      expect(created.statusCode, created.body).toBe(201);
      const draft = created.json() as { revision: number; parameters: Record<string, unknown> };
      const edited = await admin.send('PUT', '/api/v1/policy-versions/2.3', {
        json: {
          revision: draft.revision,
          summary: 'Engagement threshold raised to 95%',
          owner: 'Director, NPQ Programmes',
          appliesTo: 'All NPQ participants',
          nextReviewOn: '2027-07-01',
          // Every parameter is sent, by field ("eventNoticeDays.clinic"): 2.2's, with 95%.
          parameters: { ...flatten(draft.parameters), engagementThresholdBp: 9500 },
        },
      });
      expect(edited.statusCode, edited.body).toBe(200);

      // The what-if over everyone as of today: both enrolments considered, nothing written.
      const rowsNow = async () =>
        queryRows<{ audit: number; versions: number }>(
          database!.db,
          sql`select (select count(*)::int from audit_event) as audit, (select count(*)::int from policy_version) as versions`,
        );
      const before = await rowsNow();
      const whatIf = await pat.send('GET', '/api/v1/policy-versions/2.3/what-if?asOf=2026-09-08');
      expect(whatIf.statusCode, whatIf.body).toBe(200);
      expect((whatIf.json() as { enrolmentsConsidered: number }).enrolmentsConsidered).toBe(2);
      expect(await rowsNow()).toEqual(before);
      const whatIfPage = await pat.send(
        'GET',
        '/policy-register/what-if?version=2.3&scope=all&asOf=2026-09-08',
      );
      expect(whatIfPage.statusCode).toBe(200);

      // Pat approves it from 10 September; from that day /policy publishes 2.3 at 95%.
      const current = (await pat.send('GET', '/api/v1/policy-versions/2.3')).json() as {
        revision: number;
      };
      const approved = await pat.send('POST', '/api/v1/policy-versions/2.3/approve', {
        json: {
          revision: current.revision,
          issuedOn: '2026-09-10',
          approver: 'Programme Operations Committee',
        },
      });
      expect(approved.statusCode, approved.body).toBe(200);
      const published = async () =>
        pageText((await app!.inject({ method: 'GET', url: '/policy' })).body);
      const stillOld = await published();
      expect(stillOld).toContain('Version 2.2, in force');
      expect(stillOld).not.toContain('95%');
      today = new Date('2026-09-10T09:00:00Z');
      const policy = await published();
      expect(policy).toContain('Version 2.3, in force');
      expect(policy).toContain('Approved by Programme Operations Committee');
      expect(policy).toContain('95%');
    },
  );
});
