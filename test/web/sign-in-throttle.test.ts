import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import { createApp } from '../../src/app.js';
import type { Clock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { appUser } from '../../src/db/schema.js';
import { hashPassword } from '../../src/services/auth.js';
import { delaySeconds, SLOW_DOWN } from '../../src/services/sign-in-throttle.js';
import { THROTTLE, tooManySignIns } from '../../src/web/throttle.js';
import { pageText } from '../support/demo-world.js';
import { insertReferenceWorld } from '../support/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const PASSWORD = 'orange piano bicycle cloud';
/**
 * Each of these tests signs in dozens of times, and every sign-in checks an argon2 hash on
 * purpose. On a quiet machine a test takes a few seconds; on a busy 2-core CI machine (two test
 * workers, a load average of 8) three of them passed 30 s, and a request still running from a
 * timed-out test then changed the throttle state the next test read. They get a wide margin.
 */
const SLOW_TEST_MS = 180_000;
const HOUR_S = 3600;
let t: TestDatabase;
let app: FastifyInstance;

/** The app's clock, moved on by the tests (nothing sleeps). */
let nowMs = Date.parse('2025-11-03T09:00:00Z');
const clock: Clock = { now: () => new Date(nowMs) };
const advance = (seconds: number) => {
  nowMs += seconds * 1000;
};

const cookiesOf = (res: LightMyRequestResponse) =>
  Object.fromEntries(res.cookies.map((c) => [c.name, c.value]));

/** Posts a form from a given address (inject never sends traffic anywhere). */
async function post(url: string, payload: Record<string, string>, remoteAddress: string) {
  const form = await app.inject({ method: 'GET', url, remoteAddress });
  const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
  return app.inject({
    method: 'POST',
    url,
    cookies: cookiesOf(form),
    payload: { _csrf: csrf, ...payload },
    remoteAddress,
  });
}
const signInAttempt = (email: string, password: string, address: string) =>
  post('/sign-in', { email, password }, address);
const retryAfter = (res: LightMyRequestResponse) => Number(res.headers['retry-after']);

/** What the refusal says, without the email the person typed (which the form shows back). */
const refusalText = (res: LightMyRequestResponse, email: string) =>
  pageText(res.body).split(email).join('EMAIL');

async function addStaff(email: string) {
  await t.db.insert(appUser).values({
    email,
    displayName: 'Sam Staff',
    passwordHash: await hashPassword(PASSWORD),
    role: 'programme_team',
    leadProviderId: 1,
  });
}

beforeAll(async () => {
  t = await createTestDatabase();
  await insertReferenceWorld(t.db);
  await addStaff('Victim@Example.test');
  await addStaff('guessed@example.test');
  await addStaff('burst@example.test');
  await addStaff('known@example.test');
  app = await createApp({ db: t.db, clock, config: loadConfig({ NODE_ENV: 'test' }) });
});
afterAll(async () => {
  await app.close();
  await t.destroy();
});

describe('the slow-down schedule', () => {
  it('lets 5 failures through, then doubles the wait from 4 seconds to at most 60', () => {
    expect([0, 4, 5, 6, 7, 8, 9, 50, 10_000].map(delaySeconds)).toEqual([
      0, 0, 4, 8, 16, 32, 60, 60, 60,
    ]);
  });
});

describe('an attacker hammering a victim’s email from many addresses', () => {
  const attackers = Array.from({ length: 4 }, (_, i) => `203.0.113.${i + 1}`);
  let attackerChecks = 0;
  let attackerRefusals = 0;
  /** Every attacker address tries a wrong password for the victim, `seconds` times, 1 s apart. */
  async function attack(seconds: number) {
    for (let s = 0; s < seconds; s += 1) {
      for (const address of attackers) {
        const res = await signInAttempt('victim@example.test', `guess ${nowMs}`, address);
        if (res.statusCode === 401) attackerChecks += 1;
        else if (res.statusCode === 429) attackerRefusals += 1;
        else throw new Error(`attacker got ${res.statusCode}`);
      }
      advance(1);
    }
  }

  it(
    'cannot stop the victim signing in with the right password from their own address',
    async () => {
      await attack(120);
      expect(attackerRefusals).toBeGreaterThan(attackerChecks); // the attack is slowed down …
      // … but the victim, who has not tried yet, signs in at once, however the email is typed.
      const victim = await signInAttempt(' VICTIM@example.test', PASSWORD, '198.51.100.7');
      expect(victim.statusCode).toBe(303);
    },
    SLOW_TEST_MS,
  );

  it(
    'makes a victim who mistyped wait no longer than the cap while the attack goes on',
    async () => {
      await attack(30);
      const mistyped = await signInAttempt(
        'victim@example.test',
        'not my password',
        '198.51.100.8',
      );
      expect(mistyped.statusCode).toBe(401);
      const tooSoon = await signInAttempt('victim@example.test', PASSWORD, '198.51.100.8');
      expect(tooSoon.statusCode).toBe(429);
      const wait = retryAfter(tooSoon);
      expect(wait).toBeGreaterThan(0);
      expect(wait).toBeLessThanOrEqual(SLOW_DOWN.maxDelaySeconds);
      expect(pageText(tooSoon.body)).toContain(tooManySignIns(wait));
      // The attack carries on throughout the wait, and retrying early does not lengthen it.
      await attack(wait - 1);
      expect(
        (await signInAttempt('victim@example.test', PASSWORD, '198.51.100.8')).statusCode,
      ).toBe(429);
      await attack(1);
      expect(
        (await signInAttempt('victim@example.test', PASSWORD, '198.51.100.8')).statusCode,
      ).toBe(303);
    },
    SLOW_TEST_MS,
  );
});

describe('an attacker guessing from one address', () => {
  /**
   * The best an attacker can do: try again exactly when told (Retry-After), for one simulated hour,
   * from one address. Returns how many passwords were actually checked.
   */
  async function guessForAnHour(emailOf: (i: number) => string, address: string) {
    const end = nowMs + HOUR_S * 1000;
    let checked = 0;
    for (let i = 0; nowMs < end; i += 1) {
      const res = await signInAttempt(emailOf(i), `guess number ${i}`, address);
      if (res.statusCode === 401) checked += 1;
      else if (res.statusCode === 429) advance(retryAfter(res));
      else throw new Error(`guess got ${res.statusCode}`);
    }
    return checked;
  }

  it(
    'gets at most about one guess a minute at one account',
    async () => {
      const checked = await guessForAnHour(() => 'guessed@example.test', '192.0.2.50');
      // 5 free, 4 while the wait grows (4, 8, 16, 32 s), then one per 60 s for the rest of the hour.
      expect(checked).toBeGreaterThan(SLOW_DOWN.freeFailures);
      expect(checked).toBeLessThanOrEqual(SLOW_DOWN.freeFailures + 4 + HOUR_S / 60);
    },
    SLOW_TEST_MS,
  );

  it(
    'gets at most 30 guesses per 15 minutes across many accounts',
    async () => {
      const checked = await guessForAnHour((i) => `someone${i}@example.test`, '192.0.2.51');
      expect(checked).toBe(THROTTLE.signIn.max * 4);
    },
    SLOW_TEST_MS,
  );

  it(
    'cannot slip past the count with requests sent all at once',
    async () => {
      const results = await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          signInAttempt('burst@example.test', `parallel ${i}`, '192.0.2.52'),
        ),
      );
      const statuses = results.map((r) => r.statusCode);
      expect(statuses.filter((s) => s === 401)).toHaveLength(SLOW_DOWN.freeFailures);
      expect(statuses.filter((s) => s === 429)).toHaveLength(12 - SLOW_DOWN.freeFailures);
    },
    SLOW_TEST_MS,
  );

  it(
    'says exactly the same for an email with no account, so the answer reveals nothing',
    async () => {
      const last = async (email: string) => {
        let res: LightMyRequestResponse | undefined;
        for (let i = 0; i <= SLOW_DOWN.freeFailures; i += 1)
          res = await signInAttempt(email, `guess ${i}`, '192.0.2.53');
        return res!;
      };
      const unknown = await last('nobody@example.test');
      const known = await last('known@example.test');
      expect(unknown.statusCode).toBe(429);
      expect(known.statusCode).toBe(429);
      expect(known.headers['retry-after']).toBe(unknown.headers['retry-after']);
      expect(refusalText(unknown, 'nobody@example.test')).toBe(
        refusalText(known, 'known@example.test'),
      );
      expect(known.body).toContain('govuk-error-summary');
    },
    SLOW_TEST_MS,
  );
});

describe('throttling per address', () => {
  it(
    'stops a flood of "Forgotten your password?" requests from one address with a page saying how long to wait',
    async () => {
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
      // Another address is not affected, and the window ends on the app's clock.
      expect(
        (await post('/forgotten-password', { email: 'x@example.test' }, '192.0.2.78')).statusCode,
      ).toBe(200);
      advance(15 * 60);
      expect(
        (await post('/forgotten-password', { email: 'x@example.test' }, '192.0.2.77')).statusCode,
      ).toBe(200);
    },
    SLOW_TEST_MS,
  );
});
