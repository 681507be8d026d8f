import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { DFE_WITHDRAWAL_REASONS } from '../../src/domain/catalogue.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let north: Session;
let south: Session;
let p2: Session;

beforeAll(async () => {
  w = await createDemoWorld();
  [north, south, p2] = await Promise.all([
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('partner.south@demo.npq-ops.test'),
    w.signIn('participant2@demo.npq-ops.test'),
  ]);
});
afterAll(async () => {
  await w.destroy();
});

async function enrolmentOf(email: string): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join participant p on p.id = e.participant_id where p.email = ${email}`,
  );
  return row!.id;
}

async function statusOf(enrolmentId: number): Promise<string> {
  const [row] = await queryRows<{ status: string }>(
    w.t.db,
    sql`select status from enrolment where id = ${enrolmentId}`,
  );
  return row!.status;
}

const post = (s: Session, payload: unknown, headers?: Record<string, string>) =>
  s.request({
    method: 'POST',
    url: '/api/v1/withdrawals',
    payload,
    ...(headers ? { headers } : {}),
  });

describe('withdrawals', () => {
  it('answers 422 listing the DfE reasons when the reason is not one of them', async () => {
    const enrolmentId = await enrolmentOf('participant2@demo.npq-ops.test');
    const res = await post(north, { enrolmentId, reason: 'moved-away', withdrawnOn: '2026-03-10' });
    expect(res.statusCode).toBe(422);
    const body = res.json() as { errors: { path: string; message: string }[] };
    expect(body.errors[0]!.path).toBe('reason');
    for (const reason of DFE_WITHDRAWAL_REASONS) expect(body.errors[0]!.message).toContain(reason);
    expect(await statusOf(enrolmentId)).toBe('active');
  });

  it('refuses a withdrawal date in the future', async () => {
    const enrolmentId = await enrolmentOf('participant2@demo.npq-ops.test');
    const res = await post(north, {
      enrolmentId,
      reason: 'change-in-career',
      withdrawnOn: '2026-04-01',
    });
    expect(res.statusCode).toBe(422);
    expect(res.json()).toMatchObject({ errors: [{ path: 'withdrawnOn' }] });
  });

  it('is for staff with write access: the participant gets 403, another partner 404', async () => {
    const enrolmentId = await enrolmentOf('participant2@demo.npq-ops.test');
    const payload = { enrolmentId, reason: 'change-in-career', withdrawnOn: '2026-03-10' };
    expect((await post(p2, payload)).statusCode).toBe(403);
    expect((await post(south, payload)).statusCode).toBe(404);
    expect(await statusOf(enrolmentId)).toBe('active');
  });

  it('withdraws, records the reason, closes an open deferral case, and is idempotent by key', async () => {
    const enrolmentId = await enrolmentOf('participant2@demo.npq-ops.test');
    const request = await p2.request({
      method: 'POST',
      url: '/api/v1/deferral-cases',
      payload: { enrolmentId, circumstance: 'illness_or_health' },
    });
    expect(request.statusCode).toBe(201);
    const caseId = (request.json() as { id: number }).id;

    const payload = {
      enrolmentId,
      reason: 'personal-reason-health-or-pregnancy-related',
      withdrawnOn: '2026-03-12',
      note: 'Decided not to defer',
    };
    const headers = { 'idempotency-key': 'withdraw-p2' };
    const res = await post(north, payload, headers);
    expect(res.statusCode).toBe(201);
    const withdrawal = res.json() as { id: number; recordedBy: string };
    expect(withdrawal).toMatchObject({ ...payload });
    expect(withdrawal.recordedBy).toMatch(/^user:\d+$/);
    expect(await statusOf(enrolmentId)).toBe('withdrawn');

    const replay = await post(north, payload, headers);
    expect(replay.statusCode).toBe(201);
    expect((replay.json() as { id: number }).id).toBe(withdrawal.id);
    const [count] = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(*)::int as n from withdrawal where enrolment_id = ${enrolmentId}`,
    );
    expect(count!.n).toBe(1);

    const [dc] = await queryRows<{ status: string }>(
      w.t.db,
      sql`select status from deferral_case where id = ${caseId}`,
    );
    expect(dc!.status).toBe('withdrawn');

    // Withdrawing again is not a transition the lifecycle allows.
    const again = await post(north, { ...payload, withdrawnOn: '2026-03-13' });
    expect(again.statusCode).toBe(422);

    const seen = await p2.request({
      method: 'GET',
      url: `/api/v1/enrolments/${enrolmentId}/withdrawal`,
    });
    expect(seen.statusCode).toBe(200);
    expect(seen.json()).toMatchObject({ reason: payload.reason, withdrawnOn: payload.withdrawnOn });
    const hidden = await south.request({
      method: 'GET',
      url: `/api/v1/enrolments/${enrolmentId}/withdrawal`,
    });
    expect(hidden.statusCode).toBe(404);
  });

  it('answers 404 for an enrolment with no withdrawal', async () => {
    const enrolmentId = await enrolmentOf('participant4@demo.npq-ops.test');
    const res = await north.request({
      method: 'GET',
      url: `/api/v1/enrolments/${enrolmentId}/withdrawal`,
    });
    expect(res.statusCode).toBe(404);
  });
});
