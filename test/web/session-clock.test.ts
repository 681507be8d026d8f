import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createApp } from '../../src/app.js';
import { fixedClock, type Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { queryRows } from '../../src/db/client.js';
import { appUser } from '../../src/db/schema.js';
import { hashPassword } from '../../src/services/auth.js';
import { insertReferenceWorld } from '../support/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

/**
 * Sign-in sessions start and expire on the app's session clock, so a test whose app runs on a
 * fixed clock can hand the same clock in and never depend on the real time (test/support/demo-world.ts
 * does). The business clock here is fixed far from the session clock to show which one counts.
 */
const START = Date.parse('2026-03-16T09:00:00Z');
let sessionNow = START;
const sessionClock: Clock = { now: () => new Date(sessionNow) };
let t: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  t = await createTestDatabase();
  await insertReferenceWorld(t.db);
  await t.db.insert(appUser).values({
    email: 'staff@example.test',
    displayName: 'Sam Staff',
    passwordHash: await hashPassword('correct horse'),
    role: 'programme_team',
    leadProviderId: 1,
  });
  app = await createApp({
    db: t.db,
    clock: fixedClock('2030-01-01T12:00:00Z'),
    sessionClock,
    config: loadConfig({ NODE_ENV: 'test' }),
  });
}, 120_000);
afterAll(async () => {
  await app?.close();
  await t?.destroy();
});

const cookiesOf = (res: LightMyRequestResponse) =>
  Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));

async function signIn(): Promise<Record<string, string>> {
  const form = await app.inject({ method: 'GET', url: '/sign-in' });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  const res = await app.inject({
    method: 'POST',
    url: '/sign-in',
    cookies: cookiesOf(form),
    payload: { _csrf: csrf, email: 'staff@example.test', password: 'correct horse' },
  });
  expect(res.statusCode).toBe(303);
  return cookiesOf(res);
}

const whoAmI = async (cookies: Record<string, string>) =>
  (await app.inject({ method: 'GET', url: '/api/v1/session', cookies })).statusCode;

describe('sign-in sessions on the session clock', () => {
  it('start at the session clock’s time and end 12 hours later on that clock, whatever the real time', async () => {
    sessionNow = START;
    const cookies = await signIn();
    const [row] = await queryRows<{ created: string; expires: string }>(
      t.db,
      sql`select to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI') as created,
                 to_char(expires_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI') as expires
          from user_session order by created_at desc limit 1`,
    );
    expect(row).toEqual({ created: '2026-03-16T09:00', expires: '2026-03-16T21:00' });
    expect(await whoAmI(cookies)).toBe(200);
    sessionNow = START + 12 * 3600_000 - 60_000;
    expect(await whoAmI(cookies)).toBe(200);
    sessionNow = START + 12 * 3600_000 + 60_000;
    expect(await whoAmI(cookies)).toBe(401);
  });
});
