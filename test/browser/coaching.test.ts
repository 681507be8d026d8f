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
 * Coaching (issue 15, policy 2.2.1.3) in a browser at phone and desktop size, axe on every page:
 * the coach publishes a time (after a field error), the NPQEL participant books it through check
 * answers to a confirmation with a reference, and once the session has taken place the coach
 * records attendance and a note, which staff then read on the participant's record.
 */
let world: BrowserWorld;
let participantId: number;

beforeAll(async () => {
  world = await startBrowserWorld();
  const db = world.database.db;
  const [p4] = await queryRows<{ id: number }>(
    db,
    sql`select id from participant where email = 'participant4@demo.npq-ops.test'`,
  );
  participantId = p4!.id;
  await db.execute(sql`
    insert into staff_assignment (user_id, participant_id)
    select u.id, ${participantId} from app_user u where u.email = 'coach@demo.npq-ops.test'
    on conflict do nothing`);
}, 120_000);
afterAll(async () => {
  await world?.close();
});

describe.each([
  ['phone', PHONE, '24'],
  ['desktop', DESKTOP, '25'],
] as const)('coaching on a %s', (_name, viewport, day) => {
  it('coach publishes a time, participant books it, coach records attendance and a note', async () => {
    // 1. The coach adds a time on their phone: first a 3am slot (refused), then 4:30pm.
    {
      const { context, page } = await world.newPage(viewport);
      await world.signIn(page, 'coach@demo.npq-ops.test');
      await navigate(page, 'My coaching');
      await shown(page.getByRole('heading', { name: 'My coaching' }));
      await checkPage(page);
      await page.getByRole('link', { name: /My availability/ }).click();
      await shown(page.getByRole('heading', { name: 'My availability' }));
      await checkPage(page);
      await page.getByLabel('Day').fill(day);
      await page.getByLabel('Month').fill('3');
      await page.getByLabel('Year').fill('2026');
      await page.getByLabel('Start time').fill('03:00');
      await page.getByLabel('1 hour', { exact: true }).check();
      await page.getByLabel('Online', { exact: true }).check();
      await page.getByLabel('Meeting link or place').fill(`https://meet.example.org/${day}`);
      await page.getByRole('button', { name: 'Add this time' }).click();
      await expectErrorSummary(page, 'Coaching starts from 7:00 and finishes by 21:00');
      await page.getByLabel('Start time').fill('16:30');
      await page.getByRole('button', { name: 'Add this time' }).click();
      await expectSuccessBanner(page, 'Slot added');
      await shown(page.getByText(`${day} March 2026`, { exact: false }));
      await context.close();
    }

    // 2. The participant books it: choose, check answers, confirmation with a reference.
    let reference: string;
    {
      const { context, page } = await world.newPage(viewport);
      await world.signIn(page, 'participant4@demo.npq-ops.test');
      await page.getByRole('link', { name: 'Book, change or cancel coaching' }).click();
      await shown(page.getByRole('heading', { name: 'Coaching', exact: true }));
      await checkPage(page);
      await page.getByRole('button', { name: 'Continue' }).click();
      await expectErrorSummary(page, 'Choose a time');
      await page.getByLabel(new RegExp(`${day} March 2026`)).check();
      await page.getByRole('button', { name: 'Continue' }).click();
      await shown(page.getByRole('heading', { name: 'Check your coaching booking' }));
      await checkPage(page);
      await page.getByRole('button', { name: 'Book this time' }).click();
      await shown(page.getByRole('heading', { name: 'Coaching booked' }));
      await checkPage(page);
      reference = (await page.locator('.govuk-panel__body strong').innerText()).trim();
      expect(reference).toMatch(/^CO-\d+$/);
      await context.close();
    }

    // Time passes: the session took place (the app's clock is fixed, so the session moves back).
    await world.database.db.execute(
      sql`update coaching_session set starts_at = starts_at - interval '14 days', ends_at = ends_at - interval '14 days'
          where id = ${Number(reference.slice(3))}`,
    );

    // 3. The coach records attendance and a note.
    {
      const { context, page } = await world.newPage(viewport);
      await world.signIn(page, 'coach@demo.npq-ops.test');
      await page.goto('/coaching');
      await page
        .getByRole('link', { name: /Record attendance and a note/ })
        .first()
        .click();
      await shown(page.getByRole('heading', { name: /Coaching with/ }));
      await checkPage(page);
      await page.getByRole('button', { name: 'Save' }).click();
      await expectErrorSummary(page, 'Choose whether the participant attended');
      await page.getByLabel('Attended', { exact: true }).check();
      await page.getByLabel('Short note (optional)').fill(`Planned the next term (${day}).`);
      await page.getByRole('button', { name: 'Save' }).click();
      await expectSuccessBanner(page, 'Coaching session recorded');
      await shown(page.getByText(`Planned the next term (${day}).`));
      await context.close();
    }

    // Staff read it on the participant's record.
    {
      const { context, page } = await world.newPage(viewport);
      await world.signIn(page, 'programme.team@demo.npq-ops.test');
      await page.goto(`/participants/${participantId}#coaching`);
      await shown(page.getByRole('heading', { name: 'Coaching', exact: true }));
      await shown(page.getByText(`Planned the next term (${day}).`));
      await checkPage(page);
      await context.close();
    }
  }, 240_000);
});
