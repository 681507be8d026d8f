import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { queryRows } from '../../src/db/client.js';
import { issueAccountLink } from '../../src/services/account-links.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let world: DemoWorld;
const sessions: Record<string, Session> = {};

beforeAll(async () => {
  world = await createDemoWorld();
  // A route that fails, to see the 500 page's headers. Added before the app is first used.
  world.app.get('/test-only/fail', async () => {
    throw new Error('boom');
  });
  for (const who of ['participant1', 'partner.north', 'coach', 'assessor', 'admin']) {
    sessions[who] = await world.signIn(`${who}@demo.npq-ops.test`);
  }
});
afterAll(async () => {
  await world?.destroy();
});

const get = (url: string) => world.app.inject({ method: 'GET', url });
const as = (who: string, url: string) => sessions[who]!.request({ method: 'GET', url });

type Csp = Map<string, string[]>;

function cspOf(res: LightMyRequestResponse): Csp {
  const header = res.headers['content-security-policy'];
  expect(header, 'Content-Security-Policy header').toBeTypeOf('string');
  return new Map(
    String(header)
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name, ...values]) => [name!, values]),
  );
}

/**
 * The headers every reply carries, whatever made it; returns the script nonce. A page has one; a
 * reply with nothing to run inline (JSON) has none (`nonce: false`): its scripts are this origin's only.
 */
function expectSecurityHeaders(res: LightMyRequestResponse, { nonce = true } = {}): string {
  const csp = cspOf(res);
  expect(String(res.headers['content-security-policy'])).not.toContain('unsafe-inline');
  expect(String(res.headers['content-security-policy'])).not.toContain('unsafe-eval');
  expect(csp.get('default-src')).toEqual(["'self'"]);
  const scriptSrc = csp.get('script-src') ?? [];
  expect(scriptSrc[0]).toBe("'self'");
  const nonces = scriptSrc.filter((s) => /^'nonce-[A-Za-z0-9+/=_-]{16,}'$/.test(s));
  expect(nonces, nonce ? 'one script nonce' : 'no nonce').toHaveLength(nonce ? 1 : 0);
  expect(scriptSrc).toHaveLength(nonce ? 2 : 1);
  expect(csp.get('style-src')).toHaveLength(nonce ? 2 : 1);
  expect(csp.get('script-src-attr')).toEqual(["'none'"]);
  expect(csp.get('style-src')?.[0]).toBe("'self'");
  expect(csp.get('style-src')?.every((s) => s === "'self'" || s.startsWith("'nonce-"))).toBe(true);
  expect(csp.get('img-src')).toEqual(["'self'", 'data:']);
  expect(csp.get('form-action')).toEqual(["'self'"]);
  expect(csp.get('frame-ancestors')).toEqual(["'none'"]);
  expect(csp.get('base-uri')).toEqual(["'none'"]);
  expect(csp.get('object-src')).toEqual(["'none'"]);
  expect(res.headers['x-content-type-options']).toBe('nosniff');
  expect(res.headers['referrer-policy']).toBe('no-referrer');
  expect(res.headers['x-frame-options']).toBe('DENY');
  expect(res.headers['x-powered-by']).toBeUndefined();
  // Tests run as NODE_ENV=test: HSTS would pin a developer's localhost to HTTPS.
  expect(res.headers['strict-transport-security']).toBeUndefined();
  return nonce ? nonces[0]!.slice("'nonce-".length, -1) : '';
}

/**
 * A page: the headers, no-store when asked, and every inline script carries the header's nonce
 * (so the browser runs it) while no style attribute or inline handler exists for the CSP to block.
 */
function expectPage(res: LightMyRequestResponse, options: { noStore: boolean }): string[] {
  expect(res.headers['content-type']).toContain('text/html');
  const nonce = expectSecurityHeaders(res);
  if (options.noStore) expect(res.headers['cache-control']).toContain('no-store');
  const scripts = [...res.body.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1] ?? '');
  const inline = scripts.filter((attrs) => !/\ssrc=/.test(attrs));
  // GOV.UK Frontend's own `js-enabled` script is inline on every page.
  expect(inline.length, 'inline scripts').toBeGreaterThanOrEqual(1);
  for (const attrs of inline) expect(attrs).toContain(` nonce="${nonce}"`);
  for (const attrs of scripts.filter((a) => /\ssrc=/.test(a))) {
    expect(attrs, 'scripts only from this origin').toMatch(/\ssrc="\/[^/]/);
  }
  expect(res.body).not.toMatch(/<[^>]+\sstyle=/);
  expect(res.body).not.toMatch(/<[^>]+\son[a-z]+=/i);
  return inline;
}

describe('security headers on public pages', () => {
  it('sign-in, forgotten password, 404 and the 500 page', async () => {
    for (const url of ['/sign-in', '/forgotten-password']) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expectPage(res, { noStore: true });
    }
    const missing = await get('/no-such-page');
    expect(missing.statusCode).toBe(404);
    expectPage(missing, { noStore: true });

    const failed = await get('/test-only/fail');
    expect(failed.statusCode).toBe(500);
    expect(failed.body).toContain('govuk-template');
    expectPage(failed, { noStore: true });
  });

  it('the set-password page of an invitation link, and an unknown link', async () => {
    const [user] = await queryRows<{ id: number }>(
      world.t.db,
      sql`select id from app_user where email = 'coach@demo.npq-ops.test'`,
    );
    const { token } = await issueAccountLink(world.t.db, {
      userId: user!.id,
      purpose: 'invitation',
      createdBy: 'security-headers test',
      now: world.clock.now(),
    });
    const page = await get(`/account/set-password/${token}`);
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('name="password"');
    expectPage(page, { noStore: true });

    const unknown = await get('/account/set-password/not-a-real-link-at-all-xxxxx');
    expect(unknown.statusCode).toBe(404);
    expectPage(unknown, { noStore: true });
  });

  it('gives every reply its own nonce', async () => {
    const nonces = new Set<string>();
    for (let i = 0; i < 3; i += 1) nonces.add(expectSecurityHeaders(await get('/sign-in')));
    expect(nonces.size).toBe(3);
  });
});

describe('security headers and no-store on signed-in pages', () => {
  it('participant pages', async () => {
    for (const url of ['/my-programme', '/events', '/assessment', '/changes', '/calendar']) {
      const res = await as('participant1', url);
      expect(res.statusCode, url).toBe(200);
      expectPage(res, { noStore: true });
    }
  });

  it('staff pages, including the imports page script and the cohort engagement bars', async () => {
    const [cohort] = await queryRows<{ id: number }>(
      world.t.db,
      sql`select id from cohort order by id limit 1`,
    );
    const pages: [string, string][] = [
      ['partner.north', '/'],
      ['partner.north', '/participants'],
      ['partner.north', '/cases'],
      ['partner.north', `/cohorts/${cohort!.id}`],
      ['coach', '/coaching'],
      ['assessor', '/assessments'],
    ];
    for (const [who, url] of pages) {
      const res = await as(who, url);
      expect(res.statusCode, `${who} ${url}`).toBe(200);
      expectPage(res, { noStore: true });
    }
    const cohortPage = await as('partner.north', `/cohorts/${cohort!.id}`);
    expect(cohortPage.body).toContain('class="app-bar"');

    const imports = await as('partner.north', '/imports');
    expect(imports.statusCode).toBe(200);
    expectPage(imports, { noStore: true });
    // Files are uploaded as files (multipart), with no script needed to read them.
    expect(imports.body).toMatch(/<input[^>]+type="file"/);
  });

  it('admin pages', async () => {
    for (const url of [
      '/admin',
      '/admin/accounts',
      '/admin/mailbox',
      '/admin/organisation',
      '/assignments',
      '/cohorts/new',
    ]) {
      const res = await as('admin', url);
      expect(res.statusCode, url).toBe(200);
      expectPage(res, { noStore: true });
    }
  });

  it('a signed-in 404 page', async () => {
    const res = await as('admin', '/no-such-page');
    expect(res.statusCode).toBe(404);
    expectPage(res, { noStore: true });
  });
});

describe('the JSON API and the calendar feed', () => {
  it('API replies carry the headers and no-store, signed in or not, success or failure', async () => {
    const replies = [
      await as('partner.north', '/api/v1/session'),
      await as('partner.north', '/api/v1/participants'),
      await as('partner.north', '/api/v1/no-such-thing'),
      await get('/api/v1/participants'),
    ];
    expect(replies.map((r) => r.statusCode)).toEqual([200, 200, 404, 401]);
    for (const res of replies) {
      expect(res.headers['content-type']).toContain('application/json');
      expectSecurityHeaders(res, { nonce: false });
      expect(res.headers['cache-control']).toBe('no-store');
    }
  });

  it('the OpenAPI document has the headers; holding no personal data, it may be cached', async () => {
    const res = await get('/api/v1/openapi.json');
    expect(res.statusCode).toBe(200);
    expectSecurityHeaders(res, { nonce: false });
    expect(res.headers['cache-control'] ?? '').not.toContain('no-store');
  });

  it('the calendar feed', async () => {
    const session = sessions.participant1!;
    expect((await session.request({ method: 'POST', url: '/calendar/feed' })).statusCode).toBe(303);
    const page = await session.request({ method: 'GET', url: '/calendar' });
    const token = /\/calendar\/([A-Za-z0-9_-]+)\.ics/.exec(page.body)?.[1];
    expect(token).toBeDefined();
    const feed = await get(`/calendar/${token}.ics`);
    expect(feed.statusCode).toBe(200);
    expect(feed.headers['content-type']).toContain('text/calendar');
    expectSecurityHeaders(feed, { nonce: false });
    expect(feed.headers['cache-control']).toContain('no-store');
  });
});

describe('static assets', () => {
  it('carry the headers and keep their caching', async () => {
    for (const url of [
      '/stylesheets/govuk-frontend.min.css',
      '/stylesheets/app.css',
      '/javascripts/govuk-frontend.min.js',
      '/javascripts/init.js',
    ]) {
      const res = await get(url);
      expect(res.statusCode, url).toBe(200);
      expectSecurityHeaders(res, { nonce: false });
      expect(res.headers['cache-control'], url).toBeDefined();
      expect(res.headers['cache-control'], url).not.toContain('no-store');
    }
    // A missing asset is the app's 404 page, not an asset.
    const missing = await get('/javascripts/nothing-here.js');
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['cache-control']).toBe('no-store');
  });
});

describe('in production', () => {
  it('adds HSTS and upgrade-insecure-requests', async () => {
    const config = { ...loadConfig({ NODE_ENV: 'test' }), env: 'production' as const };
    const logger = pino({ level: 'silent' }) as FastifyBaseLogger;
    const app = await createApp({ db: world.t.db, clock: world.clock, config, logger });
    try {
      for (const url of ['/sign-in', '/stylesheets/app.css', '/api/v1/participants']) {
        const res = await app.inject({ method: 'GET', url });
        expect(res.headers['strict-transport-security'], url).toBe(
          'max-age=63072000; includeSubDomains',
        );
        expect(cspOf(res).has('upgrade-insecure-requests'), url).toBe(true);
        expect(res.headers['x-content-type-options']).toBe('nosniff');
      }
    } finally {
      await app.close();
    }
  });
});
