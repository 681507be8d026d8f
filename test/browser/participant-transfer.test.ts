/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import { loadActor } from '../../src/services/actor.js';
import { recordSchoolMove } from '../../src/services/school-moves.js';
import {
  DESKTOP,
  PHONE,
  startBrowserWorld,
  checkPage,
  navigate,
  shown,
  type BrowserWorld,
} from './harness.js';

/**
 * Forms only for those who may use them (issue 14), in a browser at phone and desktop size with
 * axe on every page: the transfer form after a move outside the network (question → check your
 * answers → confirmation with a reference, then no form), and Clinics and events for a deferred
 * participant (why they cannot book and what stays open, instead of Book buttons).
 */
let world: BrowserWorld;
beforeAll(async () => {
  world = await startBrowserWorld({ participants: 20 });
});
afterAll(async () => {
  await world?.close();
});

/** A move to a school outside the network, as the participant reported it: opens a transfer. */
async function transferFor(email: string): Promise<number> {
  const db = world.database.db;
  const [who] = await queryRows<{ enrolment_id: number; user_id: number }>(
    db,
    sql`select e.id as enrolment_id, u.id as user_id from enrolment e
        join participant p on p.id = e.participant_id join app_user u on u.participant_id = p.id
        where p.email = ${email} and e.status in ('accepted', 'active') order by e.id limit 1`,
  );
  const [outside] = await queryRows<{ urn: string }>(
    db,
    sql`select s.urn from school s
        where not exists (select 1 from lead_provider_region l where l.region_id = s.region_id)
        order by s.id limit 1`,
  );
  const move = await recordSchoolMove(
    { db, clock: fixedClock(DEFAULT_DEMO_NOW) },
    (await loadActor(db, who!.user_id))!,
    { enrolmentId: who!.enrolment_id, newSchoolUrn: outside!.urn, movedOn: '2026-03-02' },
  );
  return move.transfer!.id;
}

describe.each([
  ['phone', PHONE, 'participant1@demo.npq-ops.test'],
  ['desktop', DESKTOP, 'participant2@demo.npq-ops.test'],
] as const)('forms only when allowed, on a %s', (_name, viewport, email) => {
  it('tells us the new lead provider and consent: check answers, a reference, then no form', async () => {
    const transferId = await transferFor(email);
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, email);
    await navigate(page, 'Changes');
    await page.getByRole('link', { name: /Tell us which lead provider you are moving to/ }).click();
    await shown(
      page.getByRole('heading', { level: 1, name: 'Your move to another lead provider' }),
    );
    await checkPage(page);
    await page.getByRole('button', { name: 'Continue' }).click();
    await shown(page.locator('.govuk-error-summary'));
    await expect(page.title()).resolves.toMatch(/^Error: /);
    await checkPage(page);
    await page
      .getByLabel('Which lead provider are you moving to?')
      .fill('Fenland Teaching Partnership');
    await page.getByLabel('Yes, share my record').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await shown(
      page.getByRole('heading', { level: 1, name: 'Check your answers before sending them' }),
    );
    await checkPage(page);
    await page.getByRole('button', { name: 'Send my answers' }).click();
    await shown(
      page.locator('.govuk-panel--confirmation').getByText('Your answers have been sent'),
    );
    await shown(page.getByText(`TR-${transferId}`));
    await checkPage(page);
    // Answered: the transfer's page says where it stands, with no form.
    await page.goto(`${world.baseUrl}/changes/transfer/${transferId}`);
    await shown(page.getByRole('heading', { level: 1, name: 'Your transfer' }));
    await expect(
      page.locator(`form[action="/changes/transfer/${transferId}"]`).count(),
    ).resolves.toBe(0);
    await checkPage(page);
    await context.close();
  });
});

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('a deferred participant on a %s', (_name, viewport) => {
  it('is told why they cannot book and what stays open, with no Book buttons', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, 'participant3@demo.npq-ops.test');
    await navigate(page, 'Clinics and events');
    await shown(page.getByRole('heading', { level: 1, name: 'Clinics and events' }));
    await shown(
      page.getByText('Your place is deferred, so you cannot book clinics or events now.'),
    );
    await expect(page.getByRole('button', { name: /^Book/ }).count()).resolves.toBe(0);
    await expect(page.getByRole('button', { name: /^Sign up/ }).count()).resolves.toBe(0);
    await checkPage(page);
    await context.close();
  });
});

/** Books the participant on the first future date of a clinic with other dates, and fills those. */
async function bookedWithEveryOtherDateFull(email: string): Promise<number> {
  const db = world.database.db;
  const [slot] = await queryRows<{ booking_id: number }>(
    db,
    sql`with mine as (
          select e.id as enrolment_id, e.participant_id, e.cohort_id from enrolment e
          join participant p on p.id = e.participant_id where p.email = ${email} and e.status = 'active'),
        clinic as (
          select ce.activity_id, min(ce.id) as first_id from cohort_event ce
          join programme_activity a on a.id = ce.activity_id and a.kind = 'clinic'
          join mine on mine.cohort_id = ce.cohort_id
          where ce.starts_at > ${DEFAULT_DEMO_NOW}
          group by ce.activity_id having count(*) > 1 order by ce.activity_id desc limit 1)
        insert into event_booking (participant_id, enrolment_id, cohort_event_id, status, booked_at)
        select mine.participant_id, mine.enrolment_id, clinic.first_id, 'booked', ${DEFAULT_DEMO_NOW}
        from mine, clinic returning id as booking_id`,
  );
  await db.execute(sql`
    with b as (select ce.activity_id, ce.cohort_id, ce.id from event_booking eb
               join cohort_event ce on ce.id = eb.cohort_event_id where eb.id = ${slot!.booking_id}),
    others as (select ce.id from cohort_event ce, b
               where ce.activity_id = b.activity_id and ce.cohort_id = b.cohort_id and ce.id <> b.id)
    update cohort_event ce set capacity = greatest(1, (select count(*) from event_booking eb
      where eb.cohort_event_id = ce.id and eb.status <> 'cancelled'))
    where ce.id in (select id from others)`);
  // Anyone else on the cohort takes a date with no booking yet, so every other date is full.
  await db.execute(sql`
    insert into event_booking (participant_id, enrolment_id, cohort_event_id, status, booked_at)
    select distinct on (ce.id) e.participant_id, e.id, ce.id, 'booked', ${DEFAULT_DEMO_NOW}
    from event_booking mine join cohort_event me on me.id = mine.cohort_event_id
    join cohort_event ce on ce.activity_id = me.activity_id and ce.cohort_id = me.cohort_id and ce.id <> me.id
    join enrolment e on e.cohort_id = ce.cohort_id and e.participant_id <> mine.participant_id
    where mine.id = ${slot!.booking_id}
      and not exists (select 1 from event_booking x where x.cohort_event_id = ce.id and x.status <> 'cancelled')
    order by ce.id, e.id`);
  return slot!.booking_id;
}

describe.each([
  ['phone', PHONE, 'participant4@demo.npq-ops.test'],
  ['desktop', DESKTOP, 'participant5@demo.npq-ops.test'],
] as const)('changing a clinic date on a %s', (_name, viewport, email) => {
  it('with every other date full: no form, but why and what to do instead', async () => {
    const bookingId = await bookedWithEveryOtherDateFull(email);
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, email);
    await page.goto(`${world.baseUrl}/bookings/${bookingId}/change`);
    await shown(page.getByText('You keep this booking.'));
    // Each other date says why it cannot be chosen (full, or the clinic order, with its clause).
    await shown(page.getByTestId('no-other-date'));
    await expect(page.getByRole('button', { name: 'Change date' }).count()).resolves.toBe(0);
    await checkPage(page);
    await context.close();
  });
});

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('a form kept after sign-out, on a %s', (_name, viewport) => {
  it('is not sent when a different account signs in: it is discarded with a message', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, 'admin@demo.npq-ops.test');
    await page.goto(`${world.baseUrl}/admin/organisation`);
    await page.getByLabel('Opening hours').fill('Typed by the admin');
    // Signed out elsewhere: the server-side session ends while this page still has its form.
    await world.database.db.execute(
      sql`update user_session set revoked_at = now()
          where user_id = (select id from app_user where email = 'admin@demo.npq-ops.test') and revoked_at is null`,
    );
    await page.getByRole('button', { name: 'Save details' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'You have been signed out' }));
    await page.getByLabel('Email address').fill('programme.team@demo.npq-ops.test');
    await page.getByLabel('Password').fill('demo-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'The form was not sent' }));
    await expect(page.locator('[data-testid="resume-form"]').count()).resolves.toBe(0);
    await checkPage(page);
    await context.close();
  });
});
