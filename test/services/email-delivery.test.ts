import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Clock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import {
  deliverDueEmails,
  MAX_ATTEMPTS,
  retryDelayMs,
  SENDING_LEASE_MS,
} from '../../src/services/email/delivery.js';
import { enqueueEmail } from '../../src/services/email/outbox.js';
import { startDeliveryLoop } from '../../src/services/email/runner.js';
import { createNotifySender } from '../../src/services/email/sender.js';
import { FakeEmailSender } from '../support/fake-email-sender.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let t: TestDatabase;
let now: Date;
const clock: Clock = { now: () => new Date(now) };
const later = (ms: number) => {
  now = new Date(now.getTime() + ms);
};

beforeAll(async () => {
  t = await createTestDatabase();
});
afterAll(async () => {
  await t.destroy();
});
beforeEach(async () => {
  await t.db.execute(sql`delete from email_message`);
  now = new Date('2026-12-03T10:00:00Z');
});

async function queue(n = 1, to = (i: number) => `person${i}@example.test`): Promise<number[]> {
  const ids: number[] = [];
  for (let i = 0; i < n; i += 1) {
    ids.push(
      ...(await enqueueEmail(t.db, {
        template: 'password_changed',
        to: to(i),
        personalisation: { name: `Person ${i}`, when: '3 December 2026' },
        subject: { type: 'app_user', id: i + 1 },
      })),
    );
  }
  // Queued "now" by the test clock, so due at once.
  await t.db.execute(sql`update email_message set next_attempt_at = ${now}, created_at = ${now}`);
  return ids;
}

interface Row {
  id: number;
  status: string;
  attempts: number;
  next_attempt_at: Date | string;
  last_error: string | null;
  notify_id: string | null;
  sent_at: Date | string | null;
}
async function message(id: number): Promise<Row> {
  const [row] = await queryRows<Row>(
    t.db,
    sql`select id::int as id, status, attempts, next_attempt_at, last_error, notify_id, sent_at from email_message where id = ${id}`,
  );
  return row!;
}
const at = (d: Date | string | null) => (d === null ? null : new Date(d).toISOString());

describe('delivering the email outbox', () => {
  it('sends each due message once with its Notify reference, and marks it sent', async () => {
    const [a, b] = await queue(2);
    const sender = new FakeEmailSender();
    const report = await deliverDueEmails({ db: t.db, clock, sender });
    expect(report).toMatchObject({ sent: 2, retrying: 0, failed: 0 });
    expect(sender.sent.map((s) => s.reference).sort()).toEqual(
      [`npq-ops-email-${a}`, `npq-ops-email-${b}`].sort(),
    );
    const first = sender.sent.find((s) => s.reference === `npq-ops-email-${a}`)!;
    expect(first).toMatchObject({
      template: 'password_changed',
      to: 'person0@example.test',
      personalisation: { name: 'Person 0', when: '3 December 2026' },
    });
    const row = await message(a!);
    expect(row).toMatchObject({ status: 'sent', attempts: 1, last_error: null });
    expect(row.notify_id).toMatch(/^fake-/);
    expect(at(row.sent_at)).toBe(now.toISOString());

    const again = await deliverDueEmails({ db: t.db, clock, sender });
    expect(again.sent).toBe(0);
    expect(sender.sent).toHaveLength(2);
  });

  it('leaves messages not yet due alone', async () => {
    const [id] = await queue(1);
    await t.db.execute(
      sql`update email_message set next_attempt_at = ${new Date(now.getTime() + 60_000)}`,
    );
    const sender = new FakeEmailSender();
    expect((await deliverDueEmails({ db: t.db, clock, sender })).sent).toBe(0);
    expect((await message(id!)).status).toBe('pending');
  });

  it('retries a message Notify could not take, with growing waits, and fails it after the last attempt', async () => {
    const [id] = await queue(1);
    const sender = new FakeEmailSender();
    sender.failNext(500, MAX_ATTEMPTS);
    const waits: number[] = [];
    for (let attempt = 1; attempt < MAX_ATTEMPTS; attempt += 1) {
      const report = await deliverDueEmails({ db: t.db, clock, sender });
      expect(report.retrying).toBe(1);
      const row = await message(id!);
      expect(row).toMatchObject({ status: 'pending', attempts: attempt });
      expect(row.last_error).toContain('Notify 500');
      const wait = new Date(row.next_attempt_at).getTime() - now.getTime();
      waits.push(wait / 60_000);
      // Not retried before its time.
      later(wait - 1000);
      expect((await deliverDueEmails({ db: t.db, clock, sender })).retrying).toBe(0);
      later(1000);
    }
    expect(waits).toEqual([1, 5, 30, 120, 360, 720, 1440]);
    expect(retryDelayMs(1)).toBe(60_000);
    const last = await deliverDueEmails({ db: t.db, clock, sender });
    expect(last.failed).toBe(1);
    expect(await message(id!)).toMatchObject({ status: 'failed', attempts: MAX_ATTEMPTS });
    expect(sender.sent).toHaveLength(0);
    const audits = await queryRows<{ what: string; subject_id: string; details: unknown }>(
      t.db,
      sql`select what, subject_id, details from audit_event where subject_type = 'email_message' and subject_id = ${String(id)}`,
    );
    expect(audits).toEqual([
      expect.objectContaining({ what: 'EMAIL_FAILED', subject_id: String(id) }),
    ]);
    expect(JSON.stringify(audits)).not.toContain('person0@example.test');
  });

  it('retries after a rate limit and then sends', async () => {
    const [id] = await queue(1);
    const sender = new FakeEmailSender();
    sender.failNext(429);
    expect((await deliverDueEmails({ db: t.db, clock, sender })).retrying).toBe(1);
    later(60_000);
    expect((await deliverDueEmails({ db: t.db, clock, sender })).sent).toBe(1);
    expect(await message(id!)).toMatchObject({ status: 'sent', attempts: 2, last_error: null });
  });

  it('fails at once, without retrying, when Notify refuses the message for good', async () => {
    const [bad, good] = await queue(2);
    const sender = new FakeEmailSender();
    sender.failNext(400);
    const report = await deliverDueEmails({ db: t.db, clock, sender, batchSize: 1 });
    expect(report).toMatchObject({ sent: 1, failed: 1, retrying: 0 });
    expect(await message(bad!)).toMatchObject({ status: 'failed', attempts: 1 });
    expect((await message(bad!)).last_error).toContain('Notify 400');
    expect((await message(good!)).status).toBe('sent');
    later(48 * 3600_000);
    expect((await deliverDueEmails({ db: t.db, clock, sender })).sent).toBe(0);
  });
});

describe('after a process died mid-send', () => {
  /** What a deliverer that died after claiming leaves behind: 'sending', leased for 10 minutes. */
  async function abandon(id: number) {
    await t.db.execute(
      sql`update email_message set status = 'sending', next_attempt_at = ${new Date(now.getTime() + SENDING_LEASE_MS)} where id = ${id}`,
    );
  }

  it('marks it sent, without sending again, when Notify has it', async () => {
    const [id] = await queue(1);
    await abandon(id!);
    const sender = new FakeEmailSender();
    sender.notifyHas.set(`npq-ops-email-${id}`, 'notify-123');

    later(SENDING_LEASE_MS - 60_000);
    await deliverDueEmails({ db: t.db, clock, sender });
    expect(sender.lookups).toEqual([]);
    expect((await message(id!)).status).toBe('sending');

    later(2 * 60_000);
    const report = await deliverDueEmails({ db: t.db, clock, sender });
    expect(report).toMatchObject({ recoveredAsSent: 1, sent: 0 });
    expect(sender.lookups).toEqual([`npq-ops-email-${id}`]);
    expect(sender.sent).toEqual([]);
    expect(await message(id!)).toMatchObject({ status: 'sent', notify_id: 'notify-123' });
  });

  it('sends it once when Notify does not have it', async () => {
    const [id] = await queue(1);
    await abandon(id!);
    const sender = new FakeEmailSender();
    later(SENDING_LEASE_MS + 1000);
    const report = await deliverDueEmails({ db: t.db, clock, sender });
    expect(report).toMatchObject({ requeued: 1, sent: 1 });
    expect(sender.sent.map((s) => s.reference)).toEqual([`npq-ops-email-${id}`]);
    expect(await message(id!)).toMatchObject({ status: 'sent' });
    later(SENDING_LEASE_MS + 1000);
    await deliverDueEmails({ db: t.db, clock, sender });
    expect(sender.sent).toHaveLength(1);
  });

  it('checks by reference, instead of re-sending, when Notify did not answer', async () => {
    const [id] = await queue(1);
    const sender = new FakeEmailSender();
    sender.failNext(null);
    expect((await deliverDueEmails({ db: t.db, clock, sender })).unconfirmed).toBe(1);
    expect(await message(id!)).toMatchObject({ status: 'sending', attempts: 1 });
    // Notify did get it after all.
    sender.notifyHas.set(`npq-ops-email-${id}`, 'notify-late');
    later(60_000);
    await deliverDueEmails({ db: t.db, clock, sender });
    expect((await message(id!)).status).toBe('sending');
    later(SENDING_LEASE_MS);
    expect((await deliverDueEmails({ db: t.db, clock, sender })).recoveredAsSent).toBe(1);
    expect(sender.sent).toEqual([]);
    expect(await message(id!)).toMatchObject({ status: 'sent', notify_id: 'notify-late' });
  });
});

describe('two deliverers at once', () => {
  it('never send one message twice', async () => {
    await queue(40);
    const sender = new FakeEmailSender();
    sender.delayMs = 3;
    const [one, two] = await Promise.all([
      deliverDueEmails({ db: t.db, clock, sender, batchSize: 5 }),
      deliverDueEmails({ db: t.db, clock, sender, batchSize: 5 }),
    ]);
    expect(one.sent + two.sent).toBe(40);
    const references = sender.sent.map((s) => s.reference);
    expect(new Set(references).size).toBe(40);
    const [counts] = await queryRows<{ sent: number }>(
      t.db,
      sql`select count(*) filter (where status = 'sent')::int as sent from email_message`,
    );
    expect(counts!.sent).toBe(40);
  });
});

describe('the in-process delivery loop (embedded database)', () => {
  it('delivers at once and on each tick, and stops cleanly', async () => {
    await queue(2);
    const sender = new FakeEmailSender();
    const logs: string[] = [];
    const stop = startDeliveryLoop({
      db: t.db,
      clock,
      sender,
      intervalMs: 20,
      logger: {
        info: (o, m) => void logs.push(`${m} ${JSON.stringify(o)}`),
        error: (o, m) => void logs.push(`error ${m}`),
      },
    });
    const deadline = Date.now() + 5000;
    while (sender.sent.length < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    await queue(1, () => 'late@example.test');
    while (sender.sent.length < 3 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 10));
    await stop();
    expect(sender.sent).toHaveLength(3);
    expect(logs.join('\n')).not.toContain('@example.test');
  });
});

describe('the GOV.UK Notify sender', () => {
  const templateIds = {
    staff_invitation: 't-1',
    participant_invitation: 't-2',
    password_reset: 't-3',
    password_changed: 't-4',
  };
  const email = {
    template: 'password_changed' as const,
    to: 'jo@example.test',
    personalisation: { name: 'Jo', when: 'today' },
    reference: 'npq-ops-email-7',
  };

  function stubClient(behaviour: { send?: () => Promise<unknown>; list?: unknown[] }) {
    const calls: unknown[][] = [];
    const client = {
      sendEmail: (...args: unknown[]) => {
        calls.push(['sendEmail', ...args]);
        return (behaviour.send ?? (async () => ({ data: { id: 'n-1' } })))();
      },
      getNotifications: (...args: unknown[]) => {
        calls.push(['getNotifications', ...args]);
        return Promise.resolve({ data: { notifications: behaviour.list ?? [], links: {} } });
      },
    };
    return {
      calls,
      client: client as unknown as NonNullable<Parameters<typeof createNotifySender>[1]>['client'],
    };
  }

  it('sends with the configured template id and our reference', async () => {
    const { calls, client } = stubClient({});
    const sender = createNotifySender({ apiKey: 'k', templateIds }, { client });
    expect(await sender.send(email)).toEqual({ notifyId: 'n-1' });
    expect(calls).toEqual([
      [
        'sendEmail',
        't-4',
        'jo@example.test',
        { personalisation: { name: 'Jo', when: 'today' }, reference: 'npq-ops-email-7' },
      ],
    ]);
  });

  it('finds a notification by its reference', async () => {
    const { calls, client } = stubClient({
      list: [{ id: 'n-9', reference: 'npq-ops-email-7', created_at: '2026-12-03T10:00:00Z' }],
    });
    const sender = createNotifySender({ apiKey: 'k', templateIds }, { client });
    expect(await sender.findByReference('npq-ops-email-7')).toEqual({
      notifyId: 'n-9',
      sentAt: new Date('2026-12-03T10:00:00Z'),
    });
    expect(await sender.findByReference('npq-ops-email-8')).toBeNull();
    expect(calls[0]).toEqual(['getNotifications', 'email', undefined, 'npq-ops-email-7']);
  });

  it("turns Notify's errors into permanent, retry or unknown, without the address", async () => {
    const cases: [unknown, string][] = [
      [
        {
          response: {
            status: 400,
            data: {
              errors: [
                { error: 'ValidationError', message: 'jo@example.test is not a valid email' },
              ],
            },
          },
        },
        'permanent',
      ],
      [{ response: { status: 403, data: { errors: [{ error: 'AuthError' }] } } }, 'retry'],
      [{ response: { status: 429, data: {} } }, 'retry'],
      [{ response: { status: 503, data: {} } }, 'retry'],
      [{ code: 'ECONNRESET', config: { data: 'jo@example.test' } }, 'unknown'],
    ];
    for (const [error, outcome] of cases) {
      const { client } = stubClient({ send: () => Promise.reject(error) });
      const sender = createNotifySender({ apiKey: 'k', templateIds }, { client });
      const failure = await sender.send(email).then(
        () => null,
        (e: unknown) => e as { outcome: string; message: string },
      );
      expect(failure?.outcome).toBe(outcome);
      expect(failure?.message).not.toContain('jo@example.test');
    }
  });
});
