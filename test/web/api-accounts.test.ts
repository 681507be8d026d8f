import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/app.js';
import { fixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { queryRows } from '../../src/db/client.js';
import { createApiToken } from '../../src/services/auth.js';
import { insertReferenceWorld } from '../support/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

let t: TestDatabase;
let app: FastifyInstance;
const tokens: Record<string, string> = {};

const call = (
  who: string | null,
  method: 'GET' | 'POST' | 'PATCH',
  url: string,
  payload?: object,
) =>
  app.inject({
    method,
    url: `/api/v1${url}`,
    headers: who ? { authorization: `Bearer ${tokens[who]}` } : {},
    ...(payload ? { payload } : {}),
  });

interface AccountBody {
  id: number;
  role: string;
  status: string;
  version: number;
  deliveryPartnerName: string | null;
}

beforeAll(async () => {
  t = await createTestDatabase();
  await insertReferenceWorld(t.db);
  const now = new Date('2025-11-03T09:00:00Z');
  tokens.admin = (
    await createApiToken(t.db, { email: 'admin@example.test', role: 'admin' }, now)
  ).token;
  tokens.team = (
    await createApiToken(
      t.db,
      { email: 'team@example.test', role: 'programme_team', leadProvider: 'lp' },
      now,
    )
  ).token;
  tokens.north = (
    await createApiToken(
      t.db,
      { email: 'north@example.test', role: 'delivery_partner_staff', deliveryPartner: 'north' },
      now,
    )
  ).token;
  app = await createApp({
    db: t.db,
    clock: fixedClock(now),
    config: loadConfig({ NODE_ENV: 'test', PUBLIC_URL: 'https://npq.example.test' }),
  });
});
afterAll(async () => {
  await app.close();
  await t.destroy();
});

describe('accounts API', () => {
  let coachId = 0;

  it('invites staff (201, invited) and refuses a duplicate email as a field error', async () => {
    const res = await call('team', 'POST', '/accounts', {
      email: 'Coach@Example.test',
      name: 'Cora Coach',
      role: 'coach',
    });
    expect(res.statusCode).toBe(201);
    const body = res.json() as AccountBody;
    expect(body).toMatchObject({ role: 'coach', status: 'invited', version: 1 });
    coachId = body.id;
    const [mail] = await queryRows<{ link: string }>(
      t.db,
      sql`select personalisation->>'link' as link from email_message where to_email = 'Coach@Example.test'`,
    );
    expect(mail!.link).toMatch(/^https:\/\/npq\.example\.test\/account\/set-password\//);

    const dup = await call('admin', 'POST', '/accounts', {
      email: 'coach@example.TEST',
      name: 'Again',
      role: 'coach',
    });
    expect(dup.statusCode).toBe(422);
    expect((dup.json() as { errors: { path: string }[] }).errors).toEqual([
      { path: 'email', message: 'There is already an account with this email address' },
    ]);
  });

  it('lets only admins and the programme team manage accounts, and the team not make admins', async () => {
    expect(
      (
        await call('north', 'POST', '/accounts', {
          email: 'x@example.test',
          name: 'X',
          role: 'coach',
        })
      ).statusCode,
    ).toBe(403);
    expect(
      (
        await call('team', 'POST', '/accounts', {
          email: 'x@example.test',
          name: 'X',
          role: 'admin',
        })
      ).statusCode,
    ).toBe(403);
    expect((await call('north', 'GET', '/accounts')).statusCode).toBe(403);
    expect((await call('north', 'GET', `/accounts/${coachId}`)).statusCode).toBe(404);
    expect((await call('north', 'POST', `/accounts/${coachId}/deactivate`, {})).statusCode).toBe(
      403,
    );
    expect((await call(null, 'GET', '/accounts')).statusCode).toBe(401);
    const list = await call('team', 'GET', '/accounts?search=cora');
    expect(list.json()).toMatchObject({ total: 1, items: [{ id: coachId, status: 'invited' }] });
  });

  it('changes role and partner with a version check (409 when stale)', async () => {
    const stale = await call('team', 'PATCH', `/accounts/${coachId}`, {
      role: 'assessor',
      expectedVersion: 9,
    });
    expect(stale.statusCode).toBe(409);
    const moved = await call('team', 'PATCH', `/accounts/${coachId}`, {
      role: 'delivery_partner_staff',
      deliveryPartnerId: 2,
      expectedVersion: 1,
    });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({
      role: 'delivery_partner_staff',
      deliveryPartnerName: 'South Hub',
      version: 2,
    });
    const [audit] = await queryRows<{ details: unknown }>(
      t.db,
      sql`select details from audit_event where what = 'ACCOUNT_ROLE_CHANGED' and subject_id = ${String(coachId)}`,
    );
    expect(audit!.details).toMatchObject({
      from: { role: 'coach', deliveryPartnerId: null },
      to: { role: 'delivery_partner_staff', deliveryPartnerId: 2 },
    });
  });

  it('resends an invitation, and deactivation stops the account’s token at once', async () => {
    const resent = await call('team', 'POST', `/accounts/${coachId}/resend-invitation`, {});
    expect(resent.statusCode).toBe(200);
    const [sent] = await queryRows<{ n: number }>(
      t.db,
      sql`select count(*)::int as n from email_message where lower(to_email) = 'coach@example.test'`,
    );
    expect(sent!.n).toBe(2);

    const [north] = await queryRows<{ id: number }>(
      t.db,
      sql`select id from app_user where email = 'north@example.test'`,
    );
    expect((await call('north', 'GET', '/session')).statusCode).toBe(200);
    const off = await call('team', 'POST', `/accounts/${north!.id}/deactivate`, {
      expectedVersion: 1,
    });
    expect(off.statusCode).toBe(200);
    expect(off.json()).toMatchObject({ status: 'deactivated' });
    expect((await call('north', 'GET', '/session')).statusCode).toBe(401);
    const again = await call('team', 'POST', `/accounts/${north!.id}/reactivate`, {
      expectedVersion: 1,
    });
    expect(again.statusCode).toBe(409);
    expect((await call('team', 'POST', `/accounts/${north!.id}/reactivate`, {})).statusCode).toBe(
      200,
    );
    // Its old token stays revoked.
    expect((await call('north', 'GET', '/session')).statusCode).toBe(401);
  });

  it('never lets anyone deactivate themselves', async () => {
    const [admin] = await queryRows<{ id: number }>(
      t.db,
      sql`select id from app_user where email = 'admin@example.test'`,
    );
    expect((await call('admin', 'POST', `/accounts/${admin!.id}/deactivate`, {})).statusCode).toBe(
      403,
    );
  });
});
