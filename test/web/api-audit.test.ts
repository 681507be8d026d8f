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
    const events = res.json() as { what: string; subjectType: string; whoName: string }[];
    expect(events.map((e) => e.what)).toEqual(['PARTICIPANT_UPDATED', 'ENROLMENT_DEFER']);
    expect(events.map((e) => e.whoName)).toEqual(['the daily job', 'the daily job']);
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

  it("shows a partner only its own enrolment's records of a participant it shares with another partner", async () => {
    const [shared] = await queryRows<{
      participant_id: number;
      south_enrolment: number;
      other_cohort: number;
    }>(
      w.t.db,
      sql`select e.participant_id, e.id as south_enrolment,
                 (select c.id from cohort c where c.programme_id <> (select programme_id from cohort where id = e.cohort_id)
                  order by c.id limit 1) as other_cohort
          from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
          where dp.slug = 'south' order by e.id limit 1`,
    );
    const [northEnrolment] = await queryRows<{ id: number }>(
      w.t.db,
      sql`insert into enrolment (participant_id, cohort_id, delivery_partner_id, status)
          select ${shared!.participant_id}, ${shared!.other_cohort}, id, 'accepted' from delivery_partner where slug = 'north'
          returning id`,
    );
    await audit(
      w.t.db,
      {
        what: 'SOUTH_ONLY',
        who: 'system',
        subjectType: 'enrolment',
        subjectId: shared!.south_enrolment,
        at: w.clock.now(),
      },
      {
        what: 'NORTH_ONLY',
        who: 'system',
        subjectType: 'enrolment',
        subjectId: northEnrolment!.id,
        at: w.clock.now(),
      },
    );
    const seen = (
      (
        await north.request({
          method: 'GET',
          url: `/api/v1/participants/${shared!.participant_id}/audit-events`,
        })
      ).json() as {
        what: string;
      }[]
    ).map((e) => e.what);
    expect(seen).toContain('NORTH_ONLY');
    expect(seen).not.toContain('SOUTH_ONLY');
    // Engagement on the south enrolment with an activity whose title the north programme does not
    // have: the south partner's page shows it, the north partner's page must not.
    const [southActivity] = await queryRows<{ title: string }>(
      w.t.db,
      sql`insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
          select ${shared!.participant_id}, a.id, a.kind, ${w.clock.now().toISOString()}::timestamptz, 'import', 'audit-south-only'
          from programme_activity a join cohort c on c.programme_id = a.programme_id join enrolment e on e.cohort_id = c.id
          where e.id = ${shared!.south_enrolment}
            and a.title not in (select a2.title from programme_activity a2 join cohort c2 on c2.programme_id = a2.programme_id
                                where c2.id = ${shared!.other_cohort})
          order by a.position limit 1
          returning (select title from programme_activity where id = activity_id)`,
    );
    expect(southActivity?.title).toBeTruthy();
    const southPage = await south.request({
      method: 'GET',
      url: `/participants/${shared!.participant_id}`,
    });
    expect(southPage.statusCode).toBe(200);
    expect(southPage.body).toContain(southActivity!.title);
    const page = await north.request({
      method: 'GET',
      url: `/participants/${shared!.participant_id}`,
    });
    expect(page.statusCode).toBe(200);
    expect(page.body).not.toContain(southActivity!.title);
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
