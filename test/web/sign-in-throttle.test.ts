import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createApp } from '../../src/app.js';
import { fixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { appUser } from '../../src/db/schema.js';
import { hashPassword } from '../../src/services/auth.js';
import { THROTTLE, TOO_MANY_SIGN_INS } from '../../src/web/throttle.js';
import { pageText } from '../support/demo-world.js';
import { insertReferenceWorld } from '../support/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const PASSWORD = 'orange piano bicycle cloud';
let t: TestDatabase;
let app: FastifyInstance;

const cookiesOf = (res: LightMyRequestResponse) =>
  Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));

/** Posts a form from a given address (inject never sends traffic anywhere). */
async function post(url: string, payload: Record<string, string>, remoteAddress: string) {
  const form = await app.inject({
    method: 'GET',
    url: url === '/sign-in' ? url : url,
    remoteAddress,
  });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  return app.inject({
    method: 'POST',
    url,
    cookies: cookiesOf(form),
    payload: { _csrf: csrf, ...payload },
    remoteAddress,
  });
}

/** What the refusal says, without the email the person typed (which the form shows back). */
const refusalText = (res: LightMyRequestResponse, email: string) =>
  pageText(res.body).split(email).join('EMAIL');

beforeAll(async () => {
  t = await createTestDatabase();
  await insertReferenceWorld(t.db);
  await t.db.insert(appUser).values({
    email: 'Staff@Example.test',
    displayName: 'Sam Staff',
    passwordHash: await hashPassword(PASSWORD),
    role: 'programme_team',
    leadProviderId: 1,
  });
  app = await createApp({
    db: t.db,
    clock: fixedClock('2025-11-03T09:00:00Z'),
    config: loadConfig({ NODE_ENV: 'test' }),
  });
});
afterAll(async () => {
  await app.close();
  await t.destroy();
});

describe('sign-in throttling per account', () => {
  it('refuses the 6th attempt for one email, even with the right password from another address', async () => {
    for (let i = 0; i < THROTTLE.accountFailures.max; i += 1) {
      const res = await post(
        '/sign-in',
        { email: 'staff@example.test', password: `wrong guess ${i}` },
        '192.0.2.10',
      );
      expect(res.statusCode).toBe(401);
    }
    const sixth = await post(
      '/sign-in',
      { email: 'STAFF@example.test ', password: PASSWORD },
      '198.51.100.20',
    );
    expect(sixth.statusCode).toBe(429);
    expect(pageText(sixth.body)).toContain(TOO_MANY_SIGN_INS);
    expect(sixth.body).toContain('govuk-error-summary');
    expect(sixth.headers.location).toBeUndefined();
    // Another account is not affected by this one's lock.
    await t.db.insert(appUser).values({
      email: 'other@example.test',
      displayName: 'Olly Other',
      passwordHash: await hashPassword(PASSWORD),
      role: 'programme_team',
      leadProviderId: 1,
    });
    expect(
      (await post('/sign-in', { email: 'other@example.test', password: PASSWORD }, '192.0.2.10'))
        .statusCode,
    ).toBe(303);
  });

  it('says exactly the same for an email with no account, so the message reveals nothing', async () => {
    let last: LightMyRequestResponse | undefined;
    for (let i = 0; i <= THROTTLE.accountFailures.max; i += 1)
      last = await post(
        '/sign-in',
        { email: 'nobody@example.test', password: `guess ${i}` },
        '203.0.113.30',
      );
    const known = await post(
      '/sign-in',
      { email: 'staff@example.test', password: 'anything at all' },
      '203.0.113.31',
    );
    expect(last!.statusCode).toBe(429);
    expect(known.statusCode).toBe(429);
    expect(refusalText(last!, 'nobody@example.test')).toBe(
      refusalText(known, 'staff@example.test'),
    );
  });
});

describe('throttling per address', () => {
  it('stops a flood of "Forgotten your password?" requests from one address with a page saying how long to wait', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= THROTTLE.forgottenPassword.max; i += 1)
      statuses.push(
        (await post('/forgotten-password', { email: `someone${i}@example.test` }, '192.0.2.77'))
          .statusCode,
      );
    expect(statuses.slice(0, -1).every((s) => s === 200)).toBe(true);
    expect(statuses.at(-1)).toBe(429);
    const refused = await post('/forgotten-password', { email: 'x@example.test' }, '192.0.2.77');
    expect(refused.statusCode).toBe(429);
    expect(pageText(refused.body)).toMatch(
      /too many attempts from your connection. Wait 15 minutes/,
    );
    expect(refused.headers['retry-after']).toBeDefined();
    // Another address is not affected.
    expect(
      (await post('/forgotten-password', { email: 'x@example.test' }, '192.0.2.78')).statusCode,
    ).toBe(200);
  });

  it('limits sign-in attempts from one address, whatever the emails', async () => {
    const statuses: number[] = [];
    for (let i = 0; i <= THROTTLE.signIn.max; i += 1)
      statuses.push(
        (await post('/sign-in', { email: `p${i}@example.test`, password: 'x' }, '192.0.2.99'))
          .statusCode,
      );
    expect(statuses.filter((s) => s === 401)).toHaveLength(THROTTLE.signIn.max);
    expect(statuses.at(-1)).toBe(429);
  });
});
