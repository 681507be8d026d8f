import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/app.js';
import { fixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { queryRows } from '../../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import { clauseNumbers, POLICY_REGISTER } from '../../src/policy/index.js';
import { clauseAnchor, clauseLink } from '../../src/web/clause-link.js';
import { brandFreeStylesheet } from '../../src/web/shell.js';
import { createDemoWorld, pageText, type DemoWorld } from '../support/demo-world.js';
import { formFields } from '../support/forms.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * The public pages (policy, help, contact, how engagement is counted, accessibility, privacy,
 * cookies) and the service shell: on the demo, and from an empty database.
 */
let w: DemoWorld;
beforeAll(async () => {
  w = await createDemoWorld({ participants: 12 });
});
afterAll(async () => {
  await w?.destroy();
});

const get = (url: string) => w.app.inject({ method: 'GET', url });
const decode = (html: string) => pageText(html).replace(/&#x2F;/g, '/');

describe('the published policy', () => {
  it('shows every clause of the policy in force word for word, each under its own anchor', async () => {
    const res = await get('/policy');
    expect(res.statusCode).toBe(200);
    const text = decode(res.body);
    for (const number of clauseNumbers()) {
      expect(res.body, number).toContain(`id="${clauseAnchor(number)}"`);
      const clause = POLICY_REGISTER.clauses[number];
      for (const line of clause.text.split('\n')) {
        expect(text, number).toContain(line.replace(/^- /, '').replace(/\s+/g, ' '));
      }
    }
    expect(res.body).toContain('id="clause-2-3-2"');
    expect(clauseLink('2.3.2')).toBe('/policy#clause-2-3-2');
    expect(clauseLink('2.2.1.5')).toBe('/policy#clause-2-2-1-5');
  });

  it('shows the version, owner, review dates and the version history (header and 3.1.1)', async () => {
    const text = decode((await get('/policy')).body);
    expect(text).toContain('NPQ Part-Time, Deferral and Portability Policy');
    expect(text).toContain('Version 2.2, in force');
    expect(text).toMatch(/Policy owner\s+Director, NPQ Programmes/);
    expect(text).toMatch(/Last reviewed\s+August 2025/);
    expect(text).toMatch(/Next review due\s+July 2026/);
    for (const v of POLICY_REGISTER.versionHistory) {
      expect(text).toContain(`${v.version} ${v.released} ${v.summary} ${v.approver}`);
    }
  });

  it('says the withdrawal and refund policies are not published until the lead provider links them', async () => {
    const res = await get('/policy');
    const link238 = /data-testid="policy-link-2.3.8">([\s\S]*?)<\/p>/.exec(res.body)?.[1] ?? '';
    const link242 = /data-testid="policy-link-2.4.2">([\s\S]*?)<\/p>/.exec(res.body)?.[1] ?? '';
    expect(pageText(link238)).toContain('The NPQ Withdrawal policy is not published here yet');
    expect(pageText(link242)).toContain('The NPQ Refund Policy is not published here yet');
    expect(link238).not.toContain('href');
  });

  it('links them once an admin gives their addresses on the Organisation page', async () => {
    const admin = await w.signIn('admin@demo.npq-ops.test');
    const page = await admin.request({ method: 'GET', url: '/admin/organisation' });
    const fields = formFields(page.body, '/admin/organisation');
    const bad = await admin.request({
      method: 'POST',
      url: '/admin/organisation',
      payload: { ...fields, withdrawalPolicyUrl: 'javascript:alert(1)' },
    });
    expect(bad.statusCode).toBe(422);
    expect(pageText(bad.body)).toContain(
      'Enter the web address of the withdrawal policy as a full web address starting https://',
    );
    const saved = await admin.request({
      method: 'POST',
      url: '/admin/organisation',
      payload: {
        ...fields,
        withdrawalPolicyUrl: 'https://example.org/npq/withdrawal',
        refundPolicyUrl: 'https://example.org/npq/refunds',
      },
    });
    expect(saved.statusCode).toBe(303);
    const res = await get('/policy');
    expect(res.body).toMatch(
      /data-testid="policy-link-2.3.8"><a class="govuk-link" href="https:\/\/example.org\/npq\/withdrawal"[^>]*>Read the NPQ Withdrawal policy<\/a>/,
    );
    expect(res.body).toContain('href="https://example.org/npq/refunds"');
    // The API shows them too, and a PUT without them clears them (PUT replaces).
    const api = await admin.request({ method: 'GET', url: '/api/v1/lead-provider' });
    expect(api.json()).toMatchObject({
      withdrawalPolicyUrl: 'https://example.org/npq/withdrawal',
      refundPolicyUrl: 'https://example.org/npq/refunds',
    });
    const cleared = await admin.request({
      method: 'PUT',
      url: '/api/v1/lead-provider',
      payload: {
        name: 'Ambition Institute',
        expectedVersion: (api.json() as { version: number }).version,
        withdrawalPolicyUrl: 'https://example.org/npq/withdrawal',
      },
    });
    expect(cleared.statusCode).toBe(200);
    expect(cleared.json()).toMatchObject({ refundPolicyUrl: null });
    expect(decode((await get('/policy')).body)).toContain('The NPQ Refund Policy is not published');
  });

  it("links a participant's decision reasons to their clauses there", async () => {
    const me = await w.signIn('participant1@demo.npq-ops.test');
    const res = await me.request({ method: 'GET', url: '/changes/deferral' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain(
      '<a class="govuk-link app-clause-link" href="/policy#clause-2-3-2">(Policy 2.3.2)</a>',
    );
  });
});

describe('the footer pages', () => {
  it('are linked from every page, signed in or not', async () => {
    const res = await get('/sign-in');
    for (const href of ['/help', '/contact', '/policy', '/accessibility', '/privacy', '/cookies']) {
      expect(res.body, href).toContain(`class="govuk-footer__link" href="${href}"`);
    }
  });

  it('say sensible things for a lead provider running NPQs', async () => {
    expect(decode((await get('/help')).body)).toContain('Forgotten your password?');
    expect(decode((await get('/cookies')).body)).toMatch(/uses one cookie.*npq_session/s);
    const privacy = decode((await get('/privacy')).body);
    expect(privacy).toContain(
      'We keep your personal details for 7 years after your last enrolment ends',
    );
    expect(privacy).toContain('Ambition Institute is the data controller');
    expect(decode((await get('/accessibility')).body)).toContain('WCAG 2.2 at level AA');
    const engagement = decode((await get('/how-engagement-is-counted')).body);
    expect(engagement).toContain('at least 90% of the programme content');
    expect(engagement).toContain('NPQEL and EHCO');
    expect(engagement).toContain('planned length in minutes');
  });

  it("show a signed-in participant their own delivery partner's contact details", async () => {
    await w.t.db.execute(
      sql`update delivery_partner set contact_email = 'hello@north.example', contact_phone = '01632 960 001', opening_hours = 'Mon–Fri 9am–5pm' where slug = 'north'`,
    );
    await w.t.db.execute(
      sql`update lead_provider set contact_email = 'npq@ambition.example', contact_phone = '0808 157 0192'`,
    );
    const anonymous = decode((await get('/contact')).body);
    expect(anonymous).toContain('npq@ambition.example');
    expect(anonymous).not.toContain('hello@north.example');
    expect(anonymous).toContain('Sign in to see their contact details');

    const [north] = await queryRows<{ email: string }>(
      w.t.db,
      sql`select lower(p.email) as email from participant p join enrolment e on e.participant_id = p.id
            join delivery_partner dp on dp.id = e.delivery_partner_id join app_user u on lower(u.email) = lower(p.email)
            where dp.slug = 'north' order by p.id limit 1`,
    );
    const me = await w.signIn(north!.email);
    const mine = decode((await me.request({ method: 'GET', url: '/contact' })).body);
    expect(mine).toContain('hello@north.example');
    expect(mine).toContain('01632 960 001');
    expect(mine).toContain('npq@ambition.example');

    const staff = await w.signIn('partner.south@demo.npq-ops.test');
    const theirs = decode((await staff.request({ method: 'GET', url: '/contact' })).body);
    expect(theirs).not.toContain('hello@north.example');
  });
});

describe('the service shell', () => {
  it('names the lead provider and npq-ops, with no crown, Royal Arms or Crown copyright', async () => {
    const res = await get('/policy');
    expect(res.body).toContain('Ambition Institute · npq-ops');
    expect(res.body).toMatch(/<title>[^<]* – Ambition Institute – npq-ops<\/title>/);
    for (const crown of [
      'govuk-logo',
      'govuk-header__logo',
      'govuk-footer__crown',
      'govuk-footer__copyright-logo',
      'Crown copyright',
      '© Crown',
      'Open Government Licence',
      'GOV.UK',
      'favicon',
      'govuk-icon',
      'govuk-crest',
    ]) {
      expect(res.body, crown).not.toContain(crown);
    }
    expect(res.body).not.toMatch(/<svg[^>]*govuk-(logo|header)/);
  });

  it('serves no GDS Transport font, crest or crown icon', async () => {
    const css = await get('/stylesheets/govuk-frontend.min.css');
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toContain('text/css');
    expect(css.body).not.toContain('GDS Transport');
    expect(css.body).not.toContain('@font-face');
    expect(css.body).not.toContain('govuk-crest');
    expect(css.body).toContain('font-family:arial,sans-serif');
    expect(css.body).toContain('.govuk-button'); // still the Design System's styles
    for (const asset of [
      '/assets/fonts/light-94a07e06a1-v2.woff2',
      '/assets/fonts/bold-b542beb274-v2.woff2',
      '/assets/images/govuk-crest.svg',
      '/assets/images/favicon.ico',
      '/assets/images/favicon.svg',
      '/assets/images/govuk-icon-180.png',
      '/assets/manifest.json',
      '/stylesheets/govuk-frontend.min.css.map',
    ]) {
      expect((await get(asset)).statusCode, asset).toBe(404);
    }
  });

  it('strips the typeface from whatever stylesheet GOV.UK Frontend ships', () => {
    const sample =
      '/*! Copyright (c) 2011 by Margaret Calvert & Henrik Kubel. for gov.uk */@font-face{font-family:GDS Transport;src:url(/assets/fonts/x.woff2)}.a{font-family:GDS Transport,arial,sans-serif}.b{font-family:GDS Transport}.c{background-image:url(/assets/images/govuk-crest.svg)}';
    expect(brandFreeStylesheet(sample)).toBe(
      '.a{font-family:arial,sans-serif}.b{font-family:arial,sans-serif}.c{background-image:none}',
    );
  });
});

describe('on an empty database', () => {
  let t: TestDatabase;
  let app: FastifyInstance;
  beforeAll(async () => {
    t = await createTestDatabase();
    app = await createApp({
      db: t.db,
      clock: fixedClock(DEFAULT_DEMO_NOW),
      config: loadConfig({ NODE_ENV: 'test' }),
    });
  });
  afterAll(async () => {
    await app?.close();
    await t?.destroy();
  });

  it('the shell says npq-ops and every public page works', async () => {
    for (const url of [
      '/policy',
      '/help',
      '/contact',
      '/accessibility',
      '/privacy',
      '/cookies',
      '/how-engagement-is-counted',
    ]) {
      const res = await app.inject({ method: 'GET', url });
      expect(res.statusCode, url).toBe(200);
      expect(res.body, url).toContain('govuk-service-navigation__service-name');
      expect(res.body, url).toMatch(/<title>[^<]* – npq-ops<\/title>/);
      expect(res.body, url).not.toContain('Ambition Institute · npq-ops');
    }
    const policy = pageText((await app.inject({ method: 'GET', url: '/policy' })).body);
    expect(policy).toContain('The NPQ Withdrawal policy is not published here yet');
    const contact = pageText((await app.inject({ method: 'GET', url: '/contact' })).body);
    expect(contact).toContain('The lead provider has not been set up yet.');
  });
});
