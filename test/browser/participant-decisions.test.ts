/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { fixedClock } from '../../src/clock.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import { loadActor } from '../../src/services/actor.js';
import { requestDeferral } from '../../src/services/deferral-cases.js';
import {
  DESKTOP,
  PHONE,
  startBrowserWorld,
  checkPage,
  navigate,
  shown,
  type BrowserWorld,
} from './harness.js';

/** The reworked decision pages (issue 14), at phone and desktop size, with axe. */
let world: BrowserWorld;
let declinedId = 0;
const DEFERRED = 'participant3@demo.npq-ops.test';

beforeAll(async () => {
  world = await startBrowserWorld();
  // A deferral the policy declines, as a stale form would record it.
  const [user] = await queryRows<{ id: number }>(
    world.database.db,
    sql`select id from app_user where email = ${DEFERRED}`,
  );
  const actor = await loadActor(world.database.db, user!.id);
  const [enrolment] = await queryRows<{ id: number }>(
    world.database.db,
    sql`select e.id from enrolment e join participant p on p.id = e.participant_id
        where p.email = ${DEFERRED} and e.status = 'deferred'`,
  );
  const declined = await requestDeferral(
    { db: world.database.db, clock: fixedClock(DEFAULT_DEMO_NOW) },
    actor!,
    { enrolmentId: enrolment!.id, circumstance: 'bereavement' },
  );
  expect(declined.status).toBe('declined');
  declinedId = declined.id;
});
afterAll(async () => {
  await world?.close();
});

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
] as const)('decisions on a %s', (_name, viewport) => {
  it('a deferred participant sees their deferral on Changes and My programme', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, DEFERRED);
    await navigate(page, 'Changes');
    const panel = page.getByTestId('deferral-panel');
    await shown(panel.getByText('Your place is deferred'));
    await shown(panel.getByText(/What stays open to you/));
    await checkPage(page);
    await page.getByRole('link', { name: 'Ask to defer your place' }).click();
    await shown(
      page.getByText('Your deferral is already agreed, so there is nothing more to ask.'),
    );
    await expect(page.getByRole('button', { name: 'Continue' }).count()).resolves.toBe(0);
    await checkPage(page);
    await navigate(page, 'My programme');
    await shown(page.getByTestId('deferral-panel'));
    await checkPage(page);
    await context.close();
  });

  it('a declined request leads with the outcome and reason, with the options and the contact, never as a success', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, DEFERRED);
    await page.goto(`/changes/deferral/${declinedId}`);
    await shown(page.getByRole('heading', { level: 1, name: 'A deferral is not possible' }));
    await shown(page.getByTestId('deciding-reason').getByText('Your place is already deferred.'));
    await shown(page.getByTestId('options').getByText(/Continue with your current cohort/));
    await shown(page.getByTestId('contact-details'));
    await expect(page.locator('.govuk-panel--confirmation').count()).resolves.toBe(0);
    await expect(page.locator('.govuk-notification-banner--success').count()).resolves.toBe(0);
    // The clause is a link to that clause of the published policy.
    await expect(
      page.getByRole('link', { name: '(Policy 2.3.10)' }).first().getAttribute('href'),
    ).resolves.toBe('/policy#clause-2-3-10');
    await checkPage(page);
    await page.goto('/changes');
    await shown(
      page.getByTestId(`deferral-${declinedId}`).getByText('Your deferral request was declined.'),
    );
    await expect(page.locator('.govuk-notification-banner--success').count()).resolves.toBe(0);
    await checkPage(page);
    await context.close();
  });
});
