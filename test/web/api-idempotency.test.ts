import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { arrayParam, queryRows } from '../../src/db/client.js';
import { IDEMPOTENCY_RESERVATION_MS, idempotencyRequestHash } from '../../src/web/api/plugin.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let south: Session;
let enrolmentId: number;
/**
 * Other active enrolments of the partner: one deferral case may be in progress per
 * enrolment, and a request the policy refuses answers 422 (and releases its key), not 201.
 */
let others: number[];
let southUserId: number;

beforeAll(async () => {
  w = await createDemoWorld({ participants: 100 });
  south = await w.signIn('partner.south@demo.npq-ops.test');
  const rows = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
        where dp.slug = 'south' and e.status = 'active'
        order by e.id limit 4`,
  );
  expect(rows).toHaveLength(4);
  enrolmentId = rows[0]!.id;
  others = rows.slice(1).map((r) => r.id);
  southUserId = (await w.actor('partner.south@demo.npq-ops.test')).userId;
});
afterAll(async () => {
  await w.destroy();
});

const request = (key: string, description = 'Idempotency test', enrolment = enrolmentId) =>
  south.request({
    method: 'POST',
    url: '/api/v1/deferral-cases',
    payload: { enrolmentId: enrolment, circumstance: 'bereavement', description },
    headers: { 'idempotency-key': key },
  });

/**
 * What a request interrupted by a crash leaves behind: its reservation, made `ageMs` ago, and no
 * answer (the work itself never committed).
 */
async function leaveReservation(
  key: string,
  description: string,
  enrolment: number,
  ageMs: number,
) {
  // The body as the route's schema parsed it (its keys in the schema's order).
  const parsed = { circumstance: 'bereavement', description, enrolmentId: enrolment };
  const hash = idempotencyRequestHash('POST', '/api/v1/deferral-cases', parsed);
  // Reservations age in real time (the app's fixed policy clock plays no part).
  const reservedAt = new Date(Date.now() - ageMs);
  await w.t.db.execute(
    sql`insert into idempotency_key (user_id, key, request_hash, response_status, response_body, created_at)
        values (${southUserId}, ${key}, ${hash}, 0, '{}'::jsonb, ${reservedAt})`,
  );
}

async function casesCreated(): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    w.t.db,
    sql`select count(*)::int as n from deferral_case`,
  );
  return row!.n;
}

/**
 * Every answer to a burst on one key is the first request's result (replayed) or "busy, try again"
 * (409): partitioned, so both kinds are checked without a condition that could skip them.
 */
function expectReplayedOrBusy(
  responses: LightMyRequestResponse[],
  fresh: LightMyRequestResponse,
): void {
  const created = responses.filter((r) => r.statusCode === 201);
  const busy = responses.filter((r) => r.statusCode !== 201);
  expect(busy.map((r) => r.statusCode)).toEqual(busy.map(() => 409));
  expect(busy.map((r) => (r.json() as { code: string }).code)).toEqual(busy.map(() => 'CONFLICT'));
  expect(created.map((r) => r.json() as unknown)).toEqual(
    created.map(() => fresh.json() as unknown),
  );
  expect(created.length + busy.length).toBe(responses.length);
}

describe('Idempotency-Key', () => {
  it('runs concurrent requests with one key once: the others replay or are told to wait', async () => {
    const before = await casesCreated();
    const responses = await Promise.all(Array.from({ length: 5 }, () => request('same-key-1')));
    const fresh = responses.filter((r) => r.statusCode === 201 && !r.headers['idempotent-replay']);
    expect(fresh).toHaveLength(1);
    expectReplayedOrBusy(responses, fresh[0]!);
    expect(await casesCreated()).toBe(before + 1);
    const later = await request('same-key-1');
    expect(later.headers['idempotent-replay']).toBe('true');
    expect(later.json()).toEqual(fresh[0]!.json());
  });

  it('refuses the same key with a different request', async () => {
    const res = await request('same-key-1', 'Something else');
    expect(res.statusCode).toBe(422);
    expect((res.json() as { errors: { path: string }[] }).errors[0]!.path).toBe(
      'headers.idempotency-key',
    );
  });

  it('releases the key when the request was refused, so a corrected retry runs', async () => {
    const refused = await south.request({
      method: 'POST',
      url: '/api/v1/deferral-cases',
      payload: { enrolmentId, circumstance: 'other' },
      headers: { 'idempotency-key': 'retry-key' },
    });
    expect(refused.statusCode).toBe(422);
    const [stored] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from idempotency_key where key = 'retry-key'`,
    );
    expect(stored!.n).toBe(0);
  });

  it('replays a refusal that was recorded (a declined deferral request): one case, one email', async () => {
    // An active enrolment of the partner whose DfE registration is not confirmed: the policy
    // refuses the request at once (2.3.2), and the refusal is recorded as a declined case.
    const [row] = await queryRows<{ id: number; participant_id: number }>(
      w.t.db,
      sql`select e.id, e.participant_id from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
          where dp.slug = 'south' and e.status = 'active' and e.id <> all(${arrayParam([enrolmentId, ...others])}::int[])
          order by e.id limit 1`,
    );
    await w.t.db.execute(
      sql`update participant set dfe_registration_confirmed = false where id = ${row!.participant_id}`,
    );
    const counts = async () =>
      (
        await queryRows<{ cases: number; emails: number }>(
          w.t.db,
          sql`select (select count(*)::int from deferral_case where enrolment_id = ${row!.id}) as cases,
                     (select count(*)::int from email_message m join participant p on lower(p.email) = lower(m.to_email)
                      where p.id = ${row!.participant_id}) as emails`,
        )
      )[0]!;
    const before = await counts();
    const first = await request('refused-recorded', 'Refused and recorded', row!.id);
    const afterFirst = await counts();
    const again = await request('refused-recorded', 'Refused and recorded', row!.id);
    expect(first.statusCode).toBe(422);
    expect((first.json() as { code: string }).code).toBe('POLICY_REFUSED');
    expect(first.headers.location).toMatch(/^\/api\/v1\/deferral-cases\/\d+$/);
    expect(afterFirst.cases).toBe(before.cases + 1);
    expect(afterFirst.emails).toBe(before.emails + 1);
    // The retry is the first answer again, and records nothing more.
    expect(again.statusCode).toBe(422);
    expect(again.headers['idempotent-replay']).toBe('true');
    expect(again.json()).toEqual(first.json());
    expect(await counts()).toEqual(afterFirst);
  });

  it("keeps a crashed request's key reserved until it expires; then one retry runs it", async () => {
    await leaveReservation(
      'crashed-1',
      'Crashed once',
      others[0]!,
      IDEMPOTENCY_RESERVATION_MS - 5_000,
    );
    const before = await casesCreated();
    const early = await request('crashed-1', 'Crashed once', others[0]);
    expect(early.statusCode).toBe(409);
    expect(await casesCreated()).toBe(before);

    // The same reservation, now past its expiry (as if the clock had moved on).
    await w.t.db.execute(
      sql`update idempotency_key set created_at = created_at - interval '10 seconds' where key = 'crashed-1'`,
    );
    const retry = await request('crashed-1', 'Crashed once', others[0]);
    expect(retry.statusCode, retry.body).toBe(201);
    expect(retry.headers['idempotent-replay']).toBeUndefined();
    expect(await casesCreated()).toBe(before + 1);

    const again = await request('crashed-1', 'Crashed once', others[0]);
    expect(again.statusCode).toBe(201);
    expect(again.headers['idempotent-replay']).toBe('true');
    expect(again.json()).toEqual(retry.json());
    expect(await casesCreated()).toBe(before + 1);
  });

  it('runs concurrent retries of an expired reservation once: the others replay or wait', async () => {
    await leaveReservation(
      'crashed-2',
      'Crashed twice',
      others[1]!,
      IDEMPOTENCY_RESERVATION_MS + 1_000,
    );
    const before = await casesCreated();
    const responses = await Promise.all(
      Array.from({ length: 4 }, () => request('crashed-2', 'Crashed twice', others[1])),
    );
    const fresh = responses.filter((r) => r.statusCode === 201 && !r.headers['idempotent-replay']);
    expect(fresh).toHaveLength(1);
    expectReplayedOrBusy(responses, fresh[0]!);
    expect(await casesCreated()).toBe(before + 1);
  });

  it('does not let an expired reservation be taken over by a different request', async () => {
    await leaveReservation(
      'crashed-3',
      'Crashed thrice',
      others[2]!,
      IDEMPOTENCY_RESERVATION_MS + 1_000,
    );
    const res = await request('crashed-3', 'Something else entirely', others[2]);
    expect(res.statusCode).toBe(422);
  });
});
