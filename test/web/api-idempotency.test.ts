import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let south: Session;
let enrolmentId: number;

beforeAll(async () => {
  w = await createDemoWorld({ participants: 20 });
  south = await w.signIn('partner.south@demo.npq-ops.test');
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
        where dp.slug = 'south' order by e.id limit 1`,
  );
  enrolmentId = row!.id;
});
afterAll(async () => {
  await w.destroy();
});

const request = (key: string, description = 'Idempotency test') =>
  south.request({
    method: 'POST',
    url: '/api/v1/deferral-cases',
    payload: { enrolmentId, circumstance: 'bereavement', description },
    headers: { 'idempotency-key': key },
  });

async function casesCreated(): Promise<number> {
  const [row] = await queryRows<{ n: number }>(
    w.t.db,
    sql`select count(*)::int as n from deferral_case where enrolment_id = ${enrolmentId}`,
  );
  return row!.n;
}

describe('Idempotency-Key', () => {
  it('runs concurrent requests with one key once: the others replay or are told to wait', async () => {
    const before = await casesCreated();
    const responses = await Promise.all(Array.from({ length: 5 }, () => request('same-key-1')));
    const fresh = responses.filter((r) => r.statusCode === 201 && !r.headers['idempotent-replay']);
    expect(fresh).toHaveLength(1);
    for (const r of responses) {
      expect([201, 409], r.body).toContain(r.statusCode);
      if (r.statusCode === 201) expect(r.json()).toEqual(fresh[0]!.json());
    }
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
});
