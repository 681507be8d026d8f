import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createApp } from '../../src/app.js';
import { fixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { queryRows } from '../../src/db/client.js';
import { appUser } from '../../src/db/schema.js';
import { hashPassword } from '../../src/services/auth.js';
import { createFirstAdmin } from '../../src/services/accounts/bootstrap.js';
import { pageText } from '../support/demo-world.js';
import { insertReferenceWorld } from '../support/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const config = loadConfig({ NODE_ENV: 'test', PUBLIC_URL: 'https://npq.example.test' });
const clock = fixedClock('2025-11-03T09:00:00Z');
const PASSWORD = 'orange piano bicycle cloud';
let t: TestDatabase;
let app: FastifyInstance;

type Cookies = Record<string, string>;
const cookiesOf = (res: LightMyRequestResponse): Cookies =>
  Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));
const csrfOf = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? '';

/** Opens a page with a form and posts it, as a browser would (cookies and CSRF token carried over). */
async function postForm(
  url: string,
  payload: Record<string, string>,
  options: { cookies?: Cookies; formUrl?: string; remoteAddress?: string } = {},
) {
  const form = await app.inject({
    method: 'GET',
    url: options.formUrl ?? url,
    cookies: options.cookies ?? {},
  });
  const cookies = { ...(options.cookies ?? {}), ...cookiesOf(form) };
  const res = await app.inject({
    method: 'POST',
    url,
    cookies,
    payload: { _csrf: csrfOf(form.body), ...payload },
    ...(options.remoteAddress ? { remoteAddress: options.remoteAddress } : {}),
  });
  return Object.assign(res, { session: { ...cookies, ...cookiesOf(res) } });
}

const signIn = (email: string, password = PASSWORD, remoteAddress?: string) =>
  postForm('/sign-in', { email, password }, { remoteAddress });

async function signedIn(email: string): Promise<Cookies> {
  const res = await signIn(email);
  expect(res.statusCode).toBe(303);
  return res.session;
}

async function newestLink(email: string): Promise<string> {
  const [row] = await queryRows<{ link: string }>(
    t.db,
    sql`select personalisation->>'link' as link from email_message where lower(to_email) = lower(${email}) order by id desc limit 1`,
  );
  return new URL(row!.link).pathname;
}

let adminCookies: Cookies;

beforeAll(async () => {
  t = await createTestDatabase();
  await insertReferenceWorld(t.db);
  const { userId } = await createFirstAdmin(
    t.db,
    { email: 'admin@example.test', name: 'Ada Admin' },
    clock.now(),
    config.publicUrl,
  );
  await t.db.execute(
    sql`update app_user set password_hash = ${await hashPassword(PASSWORD)} where id = ${userId}`,
  );
  await t.db.insert(appUser).values([
    {
      email: 'team@example.test',
      displayName: 'Tam Team',
      passwordHash: await hashPassword(PASSWORD),
      role: 'programme_team',
      leadProviderId: 1,
    },
    {
      email: 'north@example.test',
      displayName: 'Nia North',
      passwordHash: await hashPassword(PASSWORD),
      role: 'delivery_partner_staff',
      leadProviderId: 1,
      deliveryPartnerId: 1,
    },
  ]);
  app = await createApp({ db: t.db, clock, config });
  adminCookies = await signedIn('admin@example.test');
});
afterAll(async () => {
  await app.close();
  await t.destroy();
});

describe('inviting a member of staff', () => {
  it('is in the navigation for admins and the programme team only', async () => {
    const home = await app.inject({ method: 'GET', url: '/', cookies: adminCookies });
    expect(home.body).toContain('href="/admin"');
    const hub = await app.inject({ method: 'GET', url: '/admin', cookies: adminCookies });
    expect(hub.body).toContain('href="/admin/accounts"');
    const north = await signedIn('north@example.test');
    const page = await app.inject({ method: 'GET', url: '/', cookies: north });
    expect(page.body).not.toContain('href="/admin"');
    expect(
      (await app.inject({ method: 'GET', url: '/admin/accounts', cookies: north })).statusCode,
    ).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/admin/accounts' })).statusCode).toBe(302);
  });

  it('says what is wrong in a GOV.UK error summary, and a duplicate email is an error on the email field', async () => {
    const empty = await postForm(
      '/admin/accounts',
      {},
      { cookies: adminCookies, formUrl: '/admin/accounts/new' },
    );
    expect(empty.statusCode).toBe(422);
    expect(empty.body).toContain('govuk-error-summary');
    for (const field of ['name', 'email', 'role']) expect(empty.body).toContain(`href="#${field}"`);
    expect(empty.body).toContain('<title>Error: Invite a member of staff');

    const duplicate = await postForm(
      '/admin/accounts',
      { name: 'Tam Again', email: 'TEAM@example.test', role: 'coach' },
      { cookies: adminCookies, formUrl: '/admin/accounts/new' },
    );
    expect(duplicate.statusCode).toBe(422);
    expect(pageText(duplicate.body)).toContain(
      'There is already an account with this email address',
    );
    expect(duplicate.body).toContain('value="Tam Again"');

    const noPartner = await postForm(
      '/admin/accounts',
      { name: 'Pat Partner', email: 'pat@example.test', role: 'delivery_partner_staff' },
      { cookies: adminCookies, formUrl: '/admin/accounts/new' },
    );
    expect(noPartner.body).toContain('href="#deliveryPartnerId"');
  });

  it('sends the invitation and confirms it in a panel; the link sets a password once, then says it was used', async () => {
    const sent = await postForm(
      '/admin/accounts',
      {
        name: 'Pat Partner',
        email: 'pat@example.test',
        role: 'delivery_partner_staff',
        deliveryPartnerId: '2',
      },
      { cookies: adminCookies, formUrl: '/admin/accounts/new' },
    );
    expect(sent.statusCode).toBe(303);
    const panel = await app.inject({
      method: 'GET',
      url: sent.headers.location!,
      cookies: adminCookies,
    });
    expect(panel.body).toContain('govuk-panel--confirmation');
    expect(pageText(panel.body)).toContain('Invitation sent');
    expect(pageText(panel.body)).toContain('South Hub');

    const link = await newestLink('pat@example.test');
    expect(link).toMatch(/^\/account\/set-password\//);
    const form = await app.inject({ method: 'GET', url: link });
    expect(form.statusCode).toBe(200);
    expect(form.headers['referrer-policy']).toBe('no-referrer');
    expect(pageText(form.body)).toContain('Use at least 12 characters');

    const mismatch = await postForm(link, {
      password: PASSWORD,
      confirmPassword: 'something else entirely',
    });
    expect(mismatch.statusCode).toBe(422);
    expect(mismatch.body).toContain('href="#confirmPassword"');
    const common = await postForm(link, {
      password: 'qwerty123456',
      confirmPassword: 'qwerty123456',
    });
    expect(common.statusCode).toBe(422);
    expect(pageText(common.body)).toContain('most common passwords');

    const done = await postForm(link, { password: PASSWORD, confirmPassword: PASSWORD });
    expect(done.statusCode).toBe(303);
    const confirmation = await app.inject({ method: 'GET', url: done.headers.location! });
    expect(pageText(confirmation.body)).toContain('Password saved');
    expect((await signIn('pat@example.test')).statusCode).toBe(303);

    const used = await app.inject({ method: 'GET', url: link });
    expect(used.statusCode).toBe(410);
    expect(pageText(used.body)).toContain('This link has already been used');
    expect(pageText(used.body)).toContain('ask whoever invited you');
    const again = await postForm(
      link,
      { password: PASSWORD, confirmPassword: PASSWORD },
      { formUrl: '/sign-in' },
    );
    expect(again.statusCode).toBe(410);
  });

  it('an unknown link is a page that says so and how to get a new one', async () => {
    const res = await app.inject({
      method: 'GET',
      url: '/account/reset-password/not-a-real-link-at-all-xxxxx',
    });
    expect(res.statusCode).toBe(404);
    expect(pageText(res.body)).toContain('This link is not valid');
    expect(res.body).toContain('href="/forgotten-password"');
  });
});

describe('forgotten password', () => {
  it('is linked from the sign-in page and answers the same whether or not the account exists', async () => {
    const signInPage = await app.inject({ method: 'GET', url: '/sign-in' });
    expect(signInPage.body).toContain('href="/forgotten-password"');
    const unknown = await postForm('/forgotten-password', { email: 'nobody@example.test' });
    const known = await postForm('/forgotten-password', { email: 'team@example.test' });
    expect(unknown.statusCode).toBe(200);
    expect(known.statusCode).toBe(200);
    const text = (r: LightMyRequestResponse, email: string) =>
      pageText(r.body).replace(email, 'EMAIL');
    expect(text(unknown, 'nobody@example.test')).toBe(text(known, 'team@example.test'));
    expect(pageText(known.body)).toContain(
      'If an account exists for team@example.test, we have sent a link; it expires in 1 hour',
    );
    const [queued] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from email_message where to_email in ('nobody@example.test', 'team@example.test')`,
    );
    expect(queued!.n).toBe(1);

    const link = await newestLink('team@example.test');
    expect(link).toMatch(/^\/account\/reset-password\//);
    expect(
      (
        await postForm(link, {
          password: 'a new team passphrase',
          confirmPassword: 'a new team passphrase',
        })
      ).statusCode,
    ).toBe(303);
    const used = await app.inject({ method: 'GET', url: link });
    expect(pageText(used.body)).toContain('Forgotten your password?');
    expect(pageText(used.body)).not.toContain('ask whoever invited you');
  });

  it('asks for a valid email address', async () => {
    const res = await postForm('/forgotten-password', { email: 'not an email' });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('href="#email"');
  });
});

describe('deactivating an account', () => {
  it('asks to confirm, then ends their live session at once', async () => {
    const north = await signedIn('north@example.test');
    expect((await app.inject({ method: 'GET', url: '/', cookies: north })).body).toContain(
      'Nia North',
    );
    const [row] = await queryRows<{ id: number }>(
      t.db,
      sql`select id from app_user where email = 'north@example.test'`,
    );
    const account = await app.inject({
      method: 'GET',
      url: `/admin/accounts/${row!.id}`,
      cookies: adminCookies,
    });
    expect(account.body).toContain(`href="/admin/accounts/${row!.id}/deactivate"`);
    const confirmUrl = `/admin/accounts/${row!.id}/deactivate`;
    const confirm = await app.inject({ method: 'GET', url: confirmUrl, cookies: adminCookies });
    expect(pageText(confirm.body)).toContain('Deactivate Nia North’s account?');
    const done = await postForm(
      confirmUrl,
      { expectedVersion: /name="expectedVersion" value="(\d+)"/.exec(confirm.body)![1]! },
      { cookies: adminCookies },
    );
    expect(done.statusCode).toBe(303);
    const after = await app.inject({ method: 'GET', url: '/', cookies: north });
    expect(after.statusCode).toBeGreaterThanOrEqual(300);
    expect(after.headers.location).toContain('/sign-in');
    const list = await app.inject({
      method: 'GET',
      url: '/admin/accounts?status=deactivated',
      cookies: adminCookies,
    });
    expect(pageText(list.body)).toContain('Nia North');
    expect(pageText(list.body)).not.toContain('Tam Team');
  });
});
