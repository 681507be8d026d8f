import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let north: Session;
let team: Session;
let p1: Session;

beforeAll(async () => {
  w = await createDemoWorld();
  [north, team, p1] = await Promise.all([
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('programme.team@demo.npq-ops.test'),
    w.signIn('participant1@demo.npq-ops.test'),
  ]);
});
afterAll(async () => {
  await w.destroy();
});

async function participantOfPartner(slug: string): Promise<number> {
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.participant_id as id from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
        where dp.slug = ${slug} order by e.id limit 1`,
  );
  return row!.id;
}

describe('JSON API: participants', () => {
  it('needs authentication', async () => {
    const res = await w.app.inject({ method: 'GET', url: '/api/v1/participants' });
    expect(res.statusCode).toBe(401);
    expect(res.json()).toMatchObject({ code: 'UNAUTHENTICATED' });
  });

  it('shows a delivery partner only its own participants, and hides others as not found', async () => {
    const res = await north.request({ method: 'GET', url: '/api/v1/participants?limit=500' });
    expect(res.statusCode).toBe(200);
    const body = res.json() as {
      items: { enrolments: { deliveryPartner: string }[] }[];
      total: number;
    };
    expect(body.total).toBeGreaterThan(0);
    const partners = new Set(body.items.flatMap((i) => i.enrolments.map((e) => e.deliveryPartner)));
    expect([...partners]).toEqual(['North Star Teaching School Hub']);
    const southId = await participantOfPartner('south');
    expect(
      (await north.request({ method: 'GET', url: `/api/v1/participants/${southId}` })).statusCode,
    ).toBe(404);
    expect(
      (await team.request({ method: 'GET', url: `/api/v1/participants/${southId}` })).statusCode,
    ).toBe(200);
  });

  it('shows the programme team every participant, national cohorts included', async () => {
    const all = await queryRows<{ n: number }>(
      w.t.db,
      sql`select count(distinct participant_id)::int as n from enrolment`,
    );
    const res = await team.request({ method: 'GET', url: '/api/v1/participants?limit=1' });
    expect(res.json()).toMatchObject({ total: all[0]!.n });
    const national = await participantOfPartner('national');
    expect(
      (await team.request({ method: 'GET', url: `/api/v1/participants/${national}` })).statusCode,
    ).toBe(200);
    expect(
      (await north.request({ method: 'GET', url: `/api/v1/participants/${national}` })).statusCode,
    ).toBe(404);
  });

  it('shows a participant only themselves, with engagement explained by clause', async () => {
    const res = await p1.request({ method: 'GET', url: '/api/v1/participants' });
    const body = res.json() as {
      items: { id: number; email: string; enrolments: { id: number }[] }[];
      total: number;
    };
    expect(body.total).toBe(1);
    expect(body.items[0]!.email).toBe('participant1@demo.npq-ops.test');
    const enrolmentId = body.items[0]!.enrolments[0]!.id;
    const enrolment = await p1.request({ method: 'GET', url: `/api/v1/enrolments/${enrolmentId}` });
    expect(enrolment.statusCode).toBe(200);
    const e = enrolment.json() as {
      engagement: { outcome: string; policyVersion: string; reasons: { clause: string }[] };
    };
    expect(e.engagement.policyVersion).toBe('2.2');
    expect(e.engagement.reasons.map((r) => r.clause)).toContain('2.1.1');
    const other = await participantOfPartner('north');
    expect(
      (await p1.request({ method: 'GET', url: `/api/v1/participants/${other}` })).statusCode,
    ).toBe(404);
  });

  it('searches by name or TRN only among the participants you may see', async () => {
    const [own] = await queryRows<{ full_name: string; trn: string }>(
      w.t.db,
      sql`select p.full_name, p.trn from participant p join enrolment e on e.participant_id = p.id
          join delivery_partner dp on dp.id = e.delivery_partner_id where dp.slug = 'north' and p.trn is not null order by p.id limit 1`,
    );
    const [other] = await queryRows<{ full_name: string }>(
      w.t.db,
      sql`select p.full_name from participant p where not exists (
            select 1 from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
            where e.participant_id = p.id and dp.slug = 'north') order by p.id limit 1`,
    );
    const byName = (
      await north.request({
        method: 'GET',
        url: `/api/v1/participants?q=${encodeURIComponent(own!.full_name)}`,
      })
    ).json() as {
      items: { fullName: string }[];
    };
    expect(byName.items.map((i) => i.fullName)).toContain(own!.full_name);
    const byTrn = (
      await north.request({ method: 'GET', url: `/api/v1/participants?q=${own!.trn}` })
    ).json() as { total: number };
    expect(byTrn.total).toBe(1);
    const hidden = (
      await north.request({
        method: 'GET',
        url: `/api/v1/participants?q=${encodeURIComponent(other!.full_name)}`,
      })
    ).json() as {
      items: { fullName: string }[];
    };
    expect(hidden.items.map((i) => i.fullName)).not.toContain(other!.full_name);
  });

  it('answers a bad query with 400 and the fields at fault', async () => {
    const res = await team.request({
      method: 'GET',
      url: '/api/v1/participants?limit=0&offset=-1',
    });
    expect(res.statusCode).toBe(400);
    const body = res.json() as { errors: { path: string; message: string }[] };
    expect(body.errors.map((e) => e.path).sort()).toEqual([
      'querystring.limit',
      'querystring.offset',
    ]);
  });

  it('publishes an OpenAPI document generated from the schemas', async () => {
    const res = await w.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    const doc = res.json() as { openapi: string; paths: Record<string, unknown> };
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(
      expect.arrayContaining([
        '/api/v1/participants',
        '/api/v1/participants/{id}',
        '/api/v1/enrolments/{id}',
        '/api/v1/cohorts',
      ]),
    );
  });
});

describe('JSON API: malformed requests', () => {
  it('answers malformed JSON, a NUL in a search and unknown records in the usual error shape', async () => {
    const bad = await team.request({
      method: 'POST',
      url: '/api/v1/withdrawals',
      payload: '{"enrolmentId": ',
      headers: { 'content-type': 'application/json' },
    });
    expect(bad.statusCode).toBe(400);
    expect((bad.json() as { errors: { path: string }[] }).errors[0]!.path).toBe('body');
    const nul = await team.request({ method: 'GET', url: '/api/v1/participants?q=%00' });
    expect(nul.statusCode).toBe(400);
    const missing = await team.request({ method: 'GET', url: '/api/v1/enrolments/2147483000' });
    expect(missing.json()).toEqual({ error: 'Not found', code: 'NOT_FOUND' });
  });
});
