/**
 * X-With-Server-Date (issue 10, "Time for tests and training"): outside production an API request
 * may set its own "now"; invalid values and any use in production are refused with 400; sessions
 * and tokens keep running on the real clocks, so the header cannot revive an expired one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createApiToken } from '../../src/services/auth.js';
import { parseServerDate } from '../../src/web/api/server-date.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let team: Session;
let enrolmentId: number;

beforeAll(async () => {
  w = await createDemoWorld();
  team = await w.signIn('programme.team@demo.npq-ops.test');
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join participant p on p.id = e.participant_id
        where p.email = 'participant1@demo.npq-ops.test'`,
  );
  enrolmentId = row!.id;
});
afterAll(async () => {
  await w.destroy();
});

const assessment = (s: Session, date?: string) =>
  s.request({
    method: 'GET',
    url: `/api/v1/enrolments/${enrolmentId}/assessment`,
    ...(date === undefined ? {} : { headers: { 'x-with-server-date': date } }),
  });

const windowState = (res: { json(): unknown }) =>
  (res.json() as { window: { state: string; opensOn: string; closesOn: string } }).window.state;

describe('X-With-Server-Date outside production', () => {
  it("sets the request's now: the same window is upcoming, open, then closed", async () => {
    const today = await assessment(team);
    expect(today.statusCode).toBe(200);
    expect(windowState(today)).toBe('upcoming'); // the demo's today, 16 March 2026
    const { opensOn, closesOn } = (
      today.json() as { window: { opensOn: string; closesOn: string } }
    ).window;

    const during = await assessment(team, `${opensOn}T10:42:00Z`);
    expect(during.statusCode).toBe(200);
    expect(windowState(during)).toBe('open');
    // The answer says which instant it was computed at.
    expect(during.headers['x-with-server-date']).toBe(`${opensOn}T10:42:00.000Z`);

    const dayAfter = new Date(Date.parse(`${closesOn}T12:00:00Z`) + 86_400_000);
    const after = await assessment(team, dayAfter.toISOString().slice(0, 10));
    expect(windowState(after)).toBe('closed');
  });

  it('a date alone is that day in London', async () => {
    const today = await assessment(team);
    const { opensOn } = (today.json() as { window: { opensOn: string } }).window;
    expect(windowState(await assessment(team, opensOn))).toBe('open');
  });

  it('applies to its own request only, even when requests run at once', async () => {
    const { opensOn } = ((await assessment(team)).json() as { window: { opensOn: string } }).window;
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        assessment(team, i % 2 ? `${opensOn}T12:00:00Z` : undefined),
      ),
    );
    expect(answers.map(windowState)).toEqual([
      'upcoming',
      'open',
      'upcoming',
      'open',
      'upcoming',
      'open',
    ]);
    // And nothing of it stays behind for the next request.
    expect(windowState(await assessment(team))).toBe('upcoming');
  });

  it.each([
    'yesterday',
    '2026-02-30',
    '2026-09-24T10:00:00',
    '24/09/2026',
    '2026-09-24T25:00:00Z',
    '',
  ])('refuses %j with 400 at headers.x-with-server-date', async (value) => {
    const res = await assessment(team, value);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({
      code: 'BAD_REQUEST',
      errors: [
        { path: 'headers.x-with-server-date', message: expect.stringContaining('ISO 8601') },
      ],
    });
  });

  it('leaves pages alone: only /api/v1 reads it', async () => {
    const res = await team.request({
      method: 'GET',
      url: '/',
      headers: { 'x-with-server-date': 'not a date' },
    });
    expect(res.statusCode).toBe(200);
  });
});

describe('sessions and tokens stay on the real clocks', () => {
  it('an expired session is not revived by a date before its expiry', async () => {
    const s = await w.signIn('partner.north@demo.npq-ops.test');
    expect((await assessment(s)).statusCode).not.toBe(401);
    const userId = (await w.actor('partner.north@demo.npq-ops.test')).userId;
    // Expired an hour before the session clock's now.
    await w.t.db.execute(
      sql`update user_session set expires_at = ${new Date(w.sessionClock.now().getTime() - 3_600_000)}
          where user_id = ${userId}`,
    );
    const before = new Date(w.sessionClock.now().getTime() - 2 * 3_600_000).toISOString();
    const res = await assessment(s, before);
    expect(res.statusCode).toBe(401);
  });

  it('an expired bearer token is not revived by a date before its expiry', async () => {
    const { token, id } = await createApiToken(
      w.t.db,
      { email: 'programme.team@demo.npq-ops.test', role: 'programme_team' },
      w.clock.now(),
    );
    const call = (date: string) =>
      w.app.inject({
        method: 'GET',
        url: `/api/v1/enrolments/${enrolmentId}/assessment`,
        headers: { authorization: `Bearer ${token}`, 'x-with-server-date': date },
      });
    const earlier = new Date(w.clock.now().getTime() - 2 * 3_600_000).toISOString();
    expect((await call(earlier)).statusCode).toBe(200);
    await w.t.db.execute(
      sql`update api_token set expires_at = ${new Date(w.clock.now().getTime() - 3_600_000)} where id = ${id}`,
    );
    expect((await call(earlier)).statusCode).toBe(401);
  });

  it('a signed-out caller gets 401, not an answer about the header', async () => {
    const res = await w.app.inject({
      method: 'GET',
      url: `/api/v1/enrolments/${enrolmentId}/assessment`,
      headers: { 'x-with-server-date': '2026-09-24' },
    });
    expect(res.statusCode).toBe(401);
  });
});

describe('in production', () => {
  let prod: DemoWorld;
  beforeAll(async () => {
    prod = await createDemoWorld({
      participants: 3,
      ownPglite: true,
      env: {
        NODE_ENV: 'production',
        DATABASE_URL: 'postgres://unused.invalid/npq',
        SESSION_SECRET: 'a-production-session-secret-for-this-test-only',
        PUBLIC_URL: 'https://npq.example',
      },
    });
  });
  afterAll(async () => {
    await prod?.destroy();
  });

  it('refuses the header with 400 and says why; without it the request is answered', async () => {
    const { token } = await createApiToken(
      prod.t.db,
      { email: 'programme.team@demo.npq-ops.test', role: 'programme_team' },
      prod.clock.now(),
    );
    const call = (headers: Record<string, string>) =>
      prod.app.inject({
        method: 'GET',
        url: '/api/v1/session',
        headers: { authorization: `Bearer ${token}`, ...headers },
      });
    expect((await call({})).statusCode).toBe(200);
    const refused = await call({ 'x-with-server-date': '2026-09-24T10:42:00Z' });
    expect(refused.statusCode).toBe(400);
    expect(refused.json()).toEqual({
      error: 'The request is not valid',
      code: 'BAD_REQUEST',
      errors: [
        {
          path: 'headers.x-with-server-date',
          message: expect.stringContaining('not accepted in production'),
        },
      ],
    });
  });
});

describe('parseServerDate', () => {
  it.each([
    ['2025-01-10T10:42:00Z', '2025-01-10T10:42:00.000Z'],
    ['2025-01-10T10:42Z', '2025-01-10T10:42:00.000Z'],
    ['2025-07-10T10:42:00+01:00', '2025-07-10T09:42:00.000Z'],
    ['2025-01-10T10:42:00.5Z', '2025-01-10T10:42:00.500Z'],
    ['2025-07-10', '2025-07-10T12:00:00.000Z'],
    ['2024-02-29', '2024-02-29T12:00:00.000Z'],
  ])('%s is %s', (value, iso) => {
    expect(parseServerDate(value)?.toISOString()).toBe(iso);
  });

  it.each([
    '2025-02-29',
    '2025-13-01',
    '2025-01-10 10:42:00Z',
    '2025-01-10T10:42:00',
    'now',
    '1736505720',
  ])('%s is refused', (value) => {
    expect(parseServerDate(value)).toBeNull();
  });
});
