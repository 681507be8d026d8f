import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createApp } from '../../src/app.js';
import { fixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { appUser } from '../../src/db/schema.js';
import { createApiToken, hashPassword } from '../../src/services/auth.js';
import { insertReferenceWorld } from '../support/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { rowCounts } from '../support/row-counts.js';

const config = loadConfig({ NODE_ENV: 'test' });
const clock = fixedClock('2025-11-03T09:00:00Z');
let t: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  t = await createTestDatabase();
  await insertReferenceWorld(t.db);
  await t.db.insert(appUser).values({
    email: 'Staff@Example.test',
    displayName: 'Sam Staff',
    passwordHash: await hashPassword('correct horse'),
    role: 'programme_team',
    leadProviderId: 1,
  });
  app = await createApp({ db: t.db, clock, config });
});
afterAll(async () => {
  await app.close();
  await t.destroy();
});

function cookiesOf(res: LightMyRequestResponse): Record<string, string> {
  return Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));
}

async function signInForm() {
  const page = await app.inject({ method: 'GET', url: '/sign-in' });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(page.body)?.[1];
  expect(csrf).toBeDefined();
  return { csrf: csrf!, cookies: cookiesOf(page) };
}

describe('sign-in', () => {
  it('shows a GOV.UK sign-in form with a CSRF token and a secure, http-only session cookie', async () => {
    const page = await app.inject({ method: 'GET', url: '/sign-in' });
    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<label class="govuk-label" for="email">');
    const cookie = page.cookies.find((c) => c.name === 'npq_session');
    expect(cookie).toMatchObject({ httpOnly: true, secure: true, sameSite: 'Lax' });
  });

  it('signs in with the right password (email in any case) and out again', async () => {
    const { csrf, cookies } = await signInForm();
    const res = await app.inject({
      method: 'POST',
      url: '/sign-in',
      cookies,
      payload: { _csrf: csrf, email: 'staff@example.TEST', password: 'correct horse' },
    });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/');
    const session = cookiesOf(res);
    const home = await app.inject({ method: 'GET', url: '/', cookies: session });
    expect(home.body).toContain('Sam Staff');
    const signOutCsrf = /action="\/sign-out"[\s\S]*?name="_csrf" value="([^"]+)"/.exec(
      home.body,
    )?.[1];
    const out = await app.inject({
      method: 'POST',
      url: '/sign-out',
      cookies: { ...session, ...cookiesOf(home) },
      payload: { _csrf: signOutCsrf },
    });
    expect(out.statusCode).toBe(303);
    const after = await app.inject({ method: 'GET', url: '/', cookies: cookiesOf(out) });
    expect(after.body).not.toContain('Sam Staff');
    // A copy of the cookie taken before signing out is dead too: the session ended on the server.
    const copied = await app.inject({ method: 'GET', url: '/api/v1/session', cookies: session });
    expect(copied.statusCode).toBe(401);
  });

  it('says what is wrong with the form, field by field, in an error summary', async () => {
    const { csrf, cookies } = await signInForm();
    const res = await app.inject({
      method: 'POST',
      url: '/sign-in',
      cookies,
      payload: { _csrf: csrf, email: 'nope', password: '' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('href="#email"');
    expect(res.body).toContain('href="#password"');
    expect(res.body).toContain('<title>Error: Sign in');
  });

  it('refuses a wrong password without saying which part was wrong', async () => {
    const { csrf, cookies } = await signInForm();
    const res = await app.inject({
      method: 'POST',
      url: '/sign-in',
      cookies,
      payload: { _csrf: csrf, email: 'staff@example.test', password: 'wrong' },
    });
    expect(res.statusCode).toBe(401);
    expect(res.body).toContain('Enter a correct email address and password');
  });

  it('refuses a form post without the CSRF token', async () => {
    const { cookies } = await signInForm();
    const before = await rowCounts(t.db);
    const res = await app.inject({
      method: 'POST',
      url: '/sign-in',
      cookies,
      payload: { email: 'staff@example.test', password: 'correct horse' },
    });
    expect(res.statusCode).toBe(403);
    // Not signed in, and nothing recorded (no sign-in audit entry, no throttle counts).
    expect(await rowCounts(t.db)).toEqual(before);
    const after = await app.inject({
      method: 'GET',
      url: '/api/v1/session',
      cookies: { ...cookies, ...cookiesOf(res) },
    });
    expect(after.statusCode).toBe(401);
  });

  it('never redirects off-site after sign-in', async () => {
    const { csrf, cookies } = await signInForm();
    const res = await app.inject({
      method: 'POST',
      url: '/sign-in',
      cookies,
      payload: {
        _csrf: csrf,
        email: 'staff@example.test',
        password: 'correct horse',
        next: '//evil.example/',
      },
    });
    expect(res.headers.location).toBe('/');
  });
});

describe('API tokens', () => {
  it('authenticates a bearer token, stores only its digest, and needs no CSRF token', async () => {
    const { token } = await createApiToken(
      t.db,
      { email: 'robot@example.test', role: 'programme_team', name: 'robot' },
      clock.now(),
    );
    const stored = await t.db.execute(sql`select token_hash from api_token`);
    expect(JSON.stringify(stored)).not.toContain(token);
    const res = await app.inject({
      method: 'GET',
      url: '/',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.body).toContain('robot');
    const bad = await app.inject({
      method: 'GET',
      url: '/',
      headers: { authorization: 'Bearer npq_not-a-token' },
    });
    expect(bad.body).not.toContain('robot');
  });

  it('refuses a token for a role the email does not have', async () => {
    await expect(
      createApiToken(t.db, { email: 'staff@example.test', role: 'admin' }, clock.now()),
    ).rejects.toThrow(/has the role programme_team/);
  });
});
