/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import {
  DESKTOP,
  PHONE,
  checkPage,
  expectErrorSummary,
  expectSuccessBanner,
  navigate,
  shown,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

/**
 * Issue 15 in a browser, at phone and desktop size, with axe on every page: partner staff raise a
 * deferral for a participant after a phone call (form, errors, check answers with the policy's
 * decision, confirmation with a reference), and a register is taken by the facilitator (phone) and
 * by partner staff (desktop).
 */
let world: BrowserWorld;
let participants: { id: number; fullName: string }[];
let events: { id: number; title: string; booked: string[]; walkIn: string }[];

/** The shared machine is slow at times: each journey gets four minutes. */
beforeAll(async () => {
  world = await startBrowserWorld();
  const db = world.database.db;
  // Two active north participants with no deferral case, one per screen size.
  participants = (
    await queryRows<{ id: number; full_name: string }>(
      db,
      sql`select p.id, p.full_name from participant p join enrolment e on e.participant_id = p.id
          join delivery_partner dp on dp.id = e.delivery_partner_id
          where dp.slug = 'north' and e.status = 'active'
            and not exists (select 1 from deferral_case d where d.enrolment_id = e.id)
            and (select count(*) from enrolment x where x.participant_id = p.id) = 1
          order by p.id limit 2`,
    )
  ).map((r) => ({ id: r.id, fullName: r.full_name }));
  // A facilitator, assigned to two past community sessions of a north cohort, each with two
  // bookings and another participant of the cohort to add as a walk-in.
  const [facilitator] = await queryRows<{ id: number }>(
    db,
    sql`insert into app_user (email, display_name, password_hash, role, lead_provider_id)
        select 'facilitator@demo.npq-ops.test', 'Fran Facilitator', password_hash, 'facilitator', lead_provider_id
        from app_user where email = 'coach@demo.npq-ops.test' returning id`,
  );
  const past = await queryRows<{
    id: number;
    title: string;
    cohort_id: number;
    activity_id: number;
  }>(
    db,
    sql`select ce.id, a.title, ce.cohort_id, ce.activity_id from cohort_event ce
        join programme_activity a on a.id = ce.activity_id and a.kind = 'community_session'
        where ce.ends_at < ${new Date(DEFAULT_NOW.getTime() - 2 * 86_400_000)}
          and (select count(*) from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
               where e.cohort_id = ce.cohort_id and dp.slug = 'north' and e.status = 'active') >= 3
        order by ce.ends_at desc limit 20`,
  );
  // Two different sessions, so one's attendance does not already count for the other.
  const chosen = past.filter(
    (e, i) => past.findIndex((x) => x.activity_id === e.activity_id) === i,
  );
  events = [];
  for (const ev of chosen.slice(0, 2)) {
    await db.execute(sql`delete from engagement_record where activity_id = ${ev.activity_id}`);
    await db.execute(sql`delete from event_booking where cohort_event_id = ${ev.id}`);
    await db.execute(
      sql`insert into staff_assignment (user_id, cohort_event_id) values (${facilitator!.id}, ${ev.id})`,
    );
    const people = await queryRows<{
      enrolment_id: number;
      participant_id: number;
      full_name: string;
    }>(
      db,
      sql`select e.id as enrolment_id, e.participant_id, p.full_name from enrolment e
          join participant p on p.id = e.participant_id join delivery_partner dp on dp.id = e.delivery_partner_id
          where e.cohort_id = ${ev.cohort_id} and dp.slug = 'north' and e.status = 'active' order by p.full_name limit 3`,
    );
    for (const p of people.slice(0, 2)) {
      await db.execute(
        sql`insert into event_booking (participant_id, enrolment_id, cohort_event_id, booked_at)
            values (${p.participant_id}, ${p.enrolment_id}, ${ev.id}, now())`,
      );
    }
    events.push({
      id: ev.id,
      title: ev.title,
      booked: people.slice(0, 2).map((p) => p.full_name),
      walkIn: people[2]!.full_name,
    });
  }
});
afterAll(async () => {
  await world?.close();
});

const DEFAULT_NOW = new Date('2026-03-16T09:00:00Z');

describe.each([
  ['phone', PHONE, 0],
  ['desktop', DESKTOP, 1],
] as const)('on a %s', (_name, viewport, index) => {
  it('partner staff raise a deferral for a participant, seeing the policy’s decision before confirming', async () => {
    const { context, page } = await world.newPage(viewport);
    const p = participants[index]!;
    await world.signIn(page, 'partner.north@demo.npq-ops.test');
    await page.goto(`/participants/${p.id}`);
    await page.getByRole('link', { name: /Raise a deferral request/ }).click();
    await shown(page.getByRole('heading', { name: 'Raise a deferral request' }));
    await checkPage(page);

    await page.getByRole('button', { name: 'Continue' }).click();
    await expectErrorSummary(page, 'Select what has happened');

    await page.getByLabel('Bereavement').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await shown(page.getByRole('heading', { name: 'What the policy decides' }));
    await expect(page.getByTestId('decisions').textContent()).resolves.toMatch(/Policy 2\.3\.2/);
    await checkPage(page);

    await page.getByTestId('confirm').click();
    await shown(page.locator('.govuk-panel'));
    await expect(page.locator('.govuk-panel').textContent()).resolves.toMatch(
      /Reference: Deferral case \d+/,
    );
    await checkPage(page);
    await context.close();
  }, 240_000);

  it(
    index === 0
      ? 'the facilitator takes the register, with a walk-in'
      : 'partner staff take the register, with a walk-in',
    async () => {
      const { context, page } = await world.newPage(viewport);
      const ev = events[index]!;
      await world.signIn(
        page,
        index === 0 ? 'facilitator@demo.npq-ops.test' : 'partner.north@demo.npq-ops.test',
      );
      await navigate(page, 'Registers');
      await shown(page.getByRole('heading', { name: 'Registers' }));
      await checkPage(page);
      await page.goto(`/registers/${ev.id}`);
      await shown(page.getByRole('group', { name: 'Who attended?' }));
      await checkPage(page);

      await page.getByLabel(ev.booked[0]!).check();
      await page.getByText(/Add a walk-in/).click();
      await page.getByLabel(ev.walkIn).check();
      await checkPage(page);
      await page.getByRole('button', { name: 'Save register' }).click();
      await expectSuccessBanner(page, /Register saved: 2 marked as attending/);
      await expect(page.getByLabel(ev.booked[0]!).isChecked()).resolves.toBe(true);
      await expect(page.getByLabel(ev.walkIn).isChecked()).resolves.toBe(true);
      await expect(page.getByLabel(ev.booked[1]!).isChecked()).resolves.toBe(false);
      await context.close();
    },
    240_000,
  );
});
