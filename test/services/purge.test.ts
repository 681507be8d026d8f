import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { runDailyProcessing } from '../../src/services/daily.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let t: TestDatabase;
const NOW = new Date('2026-05-01T03:00:00Z');
const ago = (ms: number) => new Date(NOW.getTime() - ms);
const later = (ms: number) => new Date(NOW.getTime() + ms);
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

beforeAll(async () => {
  t = await createTestDatabase();
  await t.db.execute(
    sql`insert into app_user (id, email, display_name, role) overriding system value
        values (1, 'admin@example.test', 'Admin', 'admin')`,
  );
  // Idempotency keys: answered long ago, abandoned long ago, answered and reserved recently.
  await t.db.execute(
    sql`insert into idempotency_key (user_id, key, request_hash, response_status, response_body, created_at) values
        (1, 'old-answered', 'h', 201, '{}', ${ago(25 * HOUR)}),
        (1, 'old-abandoned', 'h', 0, '{}', ${ago(3 * DAY)}),
        (1, 'recent-answered', 'h', 201, '{}', ${ago(23 * HOUR)}),
        (1, 'in-flight', 'h', 0, '{}', ${ago(1000)})`,
  );
  // Sessions: signed out, expired, and two still usable.
  await t.db.execute(
    sql`insert into user_session (id, user_id, created_at, expires_at, revoked_at) values
        ('signed-out', 1, ${ago(2 * HOUR)}, ${later(6 * HOUR)}, ${ago(HOUR)}),
        ('expired', 1, ${ago(DAY)}, ${ago(HOUR)}, null),
        ('live-1', 1, ${ago(HOUR)}, ${later(7 * HOUR)}, null),
        ('live-2', 1, ${ago(HOUR)}, ${later(HOUR)}, null)`,
  );
  // Account links: used 31 days ago, expired 31 days ago, used yesterday, expired yesterday, valid.
  await t.db.execute(
    sql`insert into account_link (user_id, purpose, token_hash, created_by, created_at, expires_at, used_at) values
        (1, 'invitation', 'used-old', 'system', ${ago(40 * DAY)}, ${ago(33 * DAY)}, ${ago(31 * DAY)}),
        (1, 'password_reset', 'expired-old', 'system', ${ago(40 * DAY)}, ${ago(31 * DAY)}, null),
        (1, 'invitation', 'used-recent', 'system', ${ago(3 * DAY)}, ${later(4 * DAY)}, ${ago(DAY)}),
        (1, 'password_reset', 'expired-recent', 'system', ${ago(2 * DAY)}, ${ago(DAY)}, null),
        (1, 'invitation', 'valid', 'system', ${ago(DAY)}, ${later(6 * DAY)}, null)`,
  );
  // Sign-in slow-down rows: one forgotten (20 minutes old), one still counting (a minute old).
  await t.db.execute(
    sql`insert into sign_in_throttle_account (account_key, failures, last_failure_at) values
        ('old', 7, ${ago(20 * 60_000)}), ('recent', 7, ${ago(60_000)})`,
  );
  await t.db.execute(
    sql`insert into sign_in_throttle_address (account_key, address_key, checked_at) values
        ('old', 'a', ${ago(20 * 60_000)}), ('recent', 'a', ${ago(60_000)})`,
  );
});
afterAll(async () => {
  await t.destroy();
});

async function remaining() {
  const [row] = await queryRows<{ keys: string[]; sessions: string[]; links: string[] }>(
    t.db,
    sql`select
          (select coalesce(array_agg(key order by key), '{}') from idempotency_key) as keys,
          (select coalesce(array_agg(id order by id), '{}') from user_session) as sessions,
          (select coalesce(array_agg(token_hash order by token_hash), '{}') from account_link) as links`,
  );
  return row!;
}

describe('the daily purge of short-lived rows', () => {
  it('deletes old idempotency keys, ended sessions and old used or expired links, and counts them', async () => {
    const report = await runDailyProcessing({
      db: t.db,
      clock: fixedClock(NOW),
      wallClock: fixedClock(NOW),
    });
    expect(report).toMatchObject({
      idempotencyKeysPurged: 2,
      sessionsPurged: 2,
      accountLinksPurged: 2,
      signInThrottleRowsPurged: 2,
    });
    expect(await remaining()).toEqual({
      keys: ['in-flight', 'recent-answered'],
      sessions: ['live-1', 'live-2'],
      links: ['expired-recent', 'used-recent', 'valid'],
    });
  });

  it('finds nothing more to do when run again, and purges more as time passes', async () => {
    const again = await runDailyProcessing({
      db: t.db,
      clock: fixedClock(NOW),
      wallClock: fixedClock(NOW),
    });
    expect(again).toMatchObject({
      idempotencyKeysPurged: 0,
      sessionsPurged: 0,
      accountLinksPurged: 0,
      signInThrottleRowsPurged: 0,
    });
    const twoHoursOn = await runDailyProcessing({
      db: t.db,
      clock: fixedClock(later(2 * HOUR)),
      wallClock: fixedClock(later(2 * HOUR)),
    });
    expect(twoHoursOn).toMatchObject({
      idempotencyKeysPurged: 1,
      sessionsPurged: 1,
      accountLinksPurged: 0,
      signInThrottleRowsPurged: 2,
    });
    expect(await remaining()).toEqual({
      keys: ['in-flight'],
      sessions: ['live-1'],
      links: ['expired-recent', 'used-recent', 'valid'],
    });
  });

  it('ages sessions and keys in real time, not on the day the job is told it is', async () => {
    // The policy clock a month on (as tests and a catch-up run use it); real time unchanged.
    const report = await runDailyProcessing({
      db: t.db,
      clock: fixedClock(later(30 * DAY)),
      wallClock: fixedClock(later(2 * HOUR)),
    });
    expect(report).toMatchObject({ idempotencyKeysPurged: 0, sessionsPurged: 0 });
    expect((await remaining()).sessions).toEqual(['live-1']);
  });
});
