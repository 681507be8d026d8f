import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { audit } from '../../src/services/audit.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let north: Session;
let south: Session;
let p1: Session;
let participantId: number;
let enrolmentId: number;

beforeAll(async () => {
  w = await createDemoWorld({ participants: 20 });
  [north, south, p1] = await Promise.all([
    w.signIn('partner.north@demo.npq-ops.test'),
    w.signIn('partner.south@demo.npq-ops.test'),
    w.signIn('participant1@demo.npq-ops.test'),
  ]);
  const [row] = await queryRows<{ participant_id: number; id: number }>(
    w.t.db,
    sql`select e.participant_id, e.id from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
        where dp.slug = 'north' order by e.id limit 1`,
  );
  participantId = row!.participant_id;
  enrolmentId = row!.id;
  const at = w.clock.now();
  await audit(
    w.t.db,
    {
      what: 'PARTICIPANT_UPDATED',
      who: 'system',
      subjectType: 'participant',
      subjectId: participantId,
      details: { field: 'email' },
      at,
    },
    {
      what: 'ENROLMENT_DEFER',
      who: 'system',
      subjectType: 'enrolment',
      subjectId: enrolmentId,
      at,
    },
    {
      what: 'UNRELATED',
      who: 'system',
      subjectType: 'participant',
      subjectId: participantId + 100000,
      at,
    },
  );
});
afterAll(async () => {
  await w.destroy();
});

describe('JSON API: audit log', () => {
  it("shows a participant's trail to their delivery partner, across their records", async () => {
    const res = await north.request({
      method: 'GET',
      url: `/api/v1/participants/${participantId}/audit-events`,
    });
    expect(res.statusCode).toBe(200);
    const events = res.json() as { what: string; subjectType: string }[];
    expect(events.map((e) => e.what)).toEqual(['PARTICIPANT_UPDATED', 'ENROLMENT_DEFER']);
  });

  it('shows the trail of one record', async () => {
    const res = await north.request({
      method: 'GET',
      url: `/api/v1/audit-events?subjectType=enrolment&subjectId=${enrolmentId}`,
    });
    expect((res.json() as { what: string }[]).map((e) => e.what)).toEqual(['ENROLMENT_DEFER']);
  });

  it('hides the trail from another partner and from participants', async () => {
    expect(
      (
        await south.request({
          method: 'GET',
          url: `/api/v1/participants/${participantId}/audit-events`,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await south.request({
          method: 'GET',
          url: `/api/v1/audit-events?subjectType=enrolment&subjectId=${enrolmentId}`,
        })
      ).statusCode,
    ).toBe(404);
    expect(
      (
        await p1.request({
          method: 'GET',
          url: `/api/v1/participants/${participantId}/audit-events`,
        })
      ).statusCode,
    ).toBe(404);
  });

  it('refuses an unknown subject type with the field at fault', async () => {
    const res = await north.request({
      method: 'GET',
      url: '/api/v1/audit-events?subjectType=secrets&subjectId=1',
    });
    expect(res.statusCode).toBe(400);
    expect((res.json() as { errors: { path: string }[] }).errors[0]!.path).toBe(
      'querystring.subjectType',
    );
  });
});
