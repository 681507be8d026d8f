import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { fixedClock } from '../../src/clock.js';
import { appUser } from '../../src/db/schema.js';
import { DEMO_PASSWORD } from '../../src/db/seed/demo.js';
import { hashPassword } from '../../src/services/auth.js';
import { runDailyProcessing } from '../../src/services/daily.js';
import { createDemoWorld, pageText, type DemoWorld } from '../support/demo-world.js';

/**
 * Issue 10: a participant sees their own open engagement alerts (2.1.1) on My programme, with the
 * day each was raised and what to do, in a notification banner; the JSON engagement read carries
 * them too. They go when the daily job clears the alert.
 */
let w: DemoWorld;
const DAY = '2026-03-16';

interface Alerted {
  enrolment_id: number;
  participant_id: number;
  email: string | null;
  partner: string;
}

/** A participant (given a login if they have none) whose open alert is of this kind. */
async function alertedParticipant(kind: string): Promise<Alerted> {
  const [row] = await queryRows<Alerted>(
    w.t.db,
    sql`select a.enrolment_id, e.participant_id, u.email, dp.name as partner
        from engagement_alert a join enrolment e on e.id = a.enrolment_id
        join delivery_partner dp on dp.id = e.delivery_partner_id
        left join app_user u on u.participant_id = e.participant_id
        where a.cleared_on is null and a.kind = ${kind} and e.status = 'active'
          and (select count(*) from enrolment e2 where e2.participant_id = e.participant_id) = 1
        order by a.enrolment_id limit 1`,
  );
  expect(row, `a demo participant with an open ${kind} alert`).toBeDefined();
  if (row!.email === null) {
    row!.email = `alerted-${row!.participant_id}@demo.npq-ops.test`;
    await w.t.db.insert(appUser).values({
      email: row!.email,
      displayName: 'Alerted',
      passwordHash: await hashPassword(DEMO_PASSWORD),
      role: 'participant',
      participantId: row!.participant_id,
    });
  }
  return row!;
}

beforeAll(async () => {
  w = await createDemoWorld();
  w.clock.now = () => new Date(`${DAY}T10:00:00Z`);
  await runDailyProcessing({
    db: w.t.db,
    clock: fixedClock(`${DAY}T06:00:00Z`),
    wallClock: w.sessionClock,
  });
}, 120_000);
afterAll(async () => {
  await w?.destroy();
});

describe('a participant’s own engagement alerts', () => {
  it('"no longer reachable": a banner with the day raised and who to contact', async () => {
    const who = await alertedParticipant('engagement_unreachable');
    const me = await w.signIn(who.email!);
    const res = await me.request({ method: 'GET', url: '/my-programme' });
    expect(res.statusCode).toBe(200);
    const banner = res.body.slice(res.body.indexOf('data-testid="engagement-alerts"'));
    expect(res.body).toContain('data-testid="engagement-alerts"');
    // A GOV.UK notification banner: a labelled region a screen reader announces, not colour alone.
    expect(res.body).toMatch(
      /<div class="govuk-notification-banner"[^>]*role="region"[^>]*aria-labelledby="engagement-alerts-title"/,
    );
    expect(banner).toContain(`data-alert-raised="${DAY}"`);
    const text = pageText(banner);
    expect(text).toContain('You can no longer reach 90%.');
    expect(text).toContain('On 16 March 2026 we found that');
    expect(text).toContain(`contact ${who.partner}, your delivery partner`);
    expect(banner).toContain('href="/changes"');
    expect(banner).toContain('href="/policy#clause-2-1-1"');
    // Said once: the live warning of the same kind is not repeated below the banner.
    expect(res.body).not.toContain('data-testid="warning-unreachable"');
  });

  it('"behind": a banner with the day raised and the catch-up list', async () => {
    const who = await alertedParticipant('engagement_behind');
    const me = await w.signIn(who.email!);
    const res = await me.request({ method: 'GET', url: '/my-programme' });
    expect(res.statusCode).toBe(200);
    const banner = res.body.slice(res.body.indexOf('data-testid="engagement-alerts"'));
    expect(banner).toContain('data-testid="alert-engagement_behind"');
    const text = pageText(banner);
    expect(text).toContain('You are behind. On 16 March 2026 we found that at your current pace');
    expect(text).toContain('catch up on the things under Next things to do or attend');
    expect(banner).toContain('href="#summary-heading"');
    expect(res.body).not.toContain('data-testid="warning-behind"');
  });

  it('the JSON engagement read lists the open alerts and writes nothing', async () => {
    const who = await alertedParticipant('engagement_unreachable');
    const me = await w.signIn(who.email!);
    const count = async () =>
      (
        await queryRows<{ n: number; audit: number }>(
          w.t.db,
          sql`select (select count(*) from engagement_alert)::int as n, (select count(*) from audit_event)::int as audit`,
        )
      )[0];
    const before = await count();
    const res = await me.request({
      method: 'GET',
      url: `/api/v1/enrolments/${who.enrolment_id}/engagement`,
    });
    expect(res.statusCode).toBe(200);
    expect((res.json() as { openAlerts: unknown }).openAlerts).toEqual([
      { kind: 'engagement_unreachable', label: '90% can no longer be reached', raisedOn: DAY },
    ]);
    expect(await count()).toEqual(before);
    // Another participant's enrolment stays a 404, alerts and all.
    const other = await alertedParticipant('engagement_behind');
    const refused = await me.request({
      method: 'GET',
      url: `/api/v1/enrolments/${other.enrolment_id}/engagement`,
    });
    expect(refused.statusCode).toBe(404);
  });

  it('a participant without an open alert sees no banner and an empty list', async () => {
    const [calm] = await queryRows<{ email: string; enrolment_id: number }>(
      w.t.db,
      sql`select u.email, e.id as enrolment_id from enrolment e join app_user u on u.participant_id = e.participant_id
          where e.status = 'active'
            and not exists (select 1 from engagement_alert a where a.enrolment_id = e.id)
            and (select count(*) from enrolment e2 where e2.participant_id = e.participant_id) = 1
          order by e.id limit 1`,
    );
    expect(calm).toBeDefined();
    const me = await w.signIn(calm!.email);
    const res = await me.request({ method: 'GET', url: '/my-programme' });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('data-testid="engagement-alerts"');
    const api = await me.request({
      method: 'GET',
      url: `/api/v1/enrolments/${calm!.enrolment_id}/engagement`,
    });
    expect((api.json() as { openAlerts: unknown[] }).openAlerts).toEqual([]);
  });

  it('goes when the daily job clears the alert', async () => {
    const who = await alertedParticipant('engagement_behind');
    // They catch up: everything required done.
    await w.t.db.execute(sql`
      insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
      select e.participant_id, a.id, a.kind, ${`${DAY}T09:00:00Z`}::timestamptz, 'staff', 'p-alerts-' || e.id || '-' || a.id
      from enrolment e join cohort c on c.id = e.cohort_id
      join programme_activity a on a.programme_id = c.programme_id and a.required
      where e.id = ${who.enrolment_id}
      on conflict do nothing`);
    const me = await w.signIn(who.email!);
    // Until the daily job runs, the stored alert is still open and still shown.
    const still = await me.request({ method: 'GET', url: '/my-programme' });
    expect(still.body).toContain('data-testid="alert-engagement_behind"');
    w.clock.now = () => new Date('2026-03-17T10:00:00Z');
    await runDailyProcessing({
      db: w.t.db,
      clock: fixedClock('2026-03-17T06:00:00Z'),
      wallClock: w.sessionClock,
    });
    const res = await me.request({ method: 'GET', url: '/my-programme' });
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toContain('data-testid="engagement-alerts"');
    const api = await me.request({
      method: 'GET',
      url: `/api/v1/enrolments/${who.enrolment_id}/engagement`,
    });
    expect((api.json() as { openAlerts: unknown[] }).openAlerts).toEqual([]);
  });
});
