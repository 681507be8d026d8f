/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DESKTOP,
  PHONE,
  startBrowserWorld,
  checkPage,
  navigate,
  shown,
  type BrowserWorld,
} from './harness.js';

let world: BrowserWorld;
beforeAll(async () => {
  world = await startBrowserWorld();
});
afterAll(async () => {
  await world?.close();
});

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
])('participant journeys on a %s', (_name, viewport) => {
  it('continues where they left off, completes a session and sees the next one open', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, 'participant2@demo.npq-ops.test');
    expect(new URL(page.url()).pathname).toBe('/my-programme');
    await shown(page.getByRole('heading', { level: 1, name: 'My programme' }));
    await shown(page.getByTestId('warning-behind'));
    await checkPage(page);

    const cont = page.getByRole('button', { name: /^Continue: / });
    const title = ((await cont.textContent()) ?? '').replace(/^\s*Continue:\s*/, '').trim();
    await cont.click();
    await shown(page.getByRole('heading', { level: 1, name: title }));
    await shown(page.getByTestId('session-content'));
    await shown(page.getByText('About 50 minutes'));
    await checkPage(page);

    await page.getByRole('button', { name: 'Mark as complete' }).click();
    await shown(page.getByText(`You have completed ${title}`));
    await expect(page.getByRole('button', { name: 'Mark as complete' }).count()).resolves.toBe(0);
    await checkPage(page);

    // The next session is now open; the one after it is still locked, with the reason.
    await page.locator('.govuk-notification-banner').getByRole('link').first().click();
    await shown(page.getByRole('button', { name: 'Mark as complete' }));
    await checkPage(page);
    await page.locator('.govuk-pagination__next a').click();
    await shown(page.getByText('This session is locked.'));
    await shown(page.getByText(/\(Policy 2\.2\.1\.1\)/).first());
    await checkPage(page);
    await context.close();
  });

  it('books a clinic, changes its date and cancels it', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, 'participant1@demo.npq-ops.test');
    await navigate(page, 'Clinics and events');
    await shown(page.getByRole('heading', { level: 1, name: 'Clinics and events' }));
    // Coaching is NPQEL and EHCO only: NPQSL participants do not see it.
    await expect(page.locator('#coaching').count()).resolves.toBe(0);
    await checkPage(page);

    await page
      .getByRole('button', { name: /^Book Clinic 4 on / })
      .first()
      .click();
    await shown(page.getByText(/^Booked: /));
    await shown(page.getByText('(Policy 2.2.1.2)').first());
    await checkPage(page);

    await page.getByRole('link', { name: /Change date/ }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'Change the date of' }));
    await page.getByRole('button', { name: 'Change date' }).click();
    await shown(page.locator('.govuk-error-summary'));
    await expect(page.title()).resolves.toMatch(/^Error: /);
    await checkPage(page);
    await page.getByRole('radio').first().check();
    await page.getByRole('button', { name: 'Change date' }).click();
    await shown(page.getByText(/^Date changed: /));
    await checkPage(page);

    await page.getByRole('button', { name: /^Cancel Clinic 4/ }).click();
    await shown(page.getByText(/^Cancelled: /));
    await checkPage(page);
    await context.close();
  });

  // Booking coaching (into a coach's published slot) is the journey in test/browser/coaching.test.ts.

  it('sets up a private calendar link, fetches it, then turns it off', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, 'participant5@demo.npq-ops.test');
    await navigate(page, 'Calendar');
    await shown(page.getByRole('heading', { level: 1, name: 'My calendar' }));
    await checkPage(page);
    await page.getByRole('button', { name: /Set up my calendar link|Get a new link/ }).click();
    const url = (await page.getByTestId('calendar-url').textContent())?.trim() ?? '';
    expect(url).toMatch(/\/calendar\/[A-Za-z0-9_-]{43}\.ics$/);
    await checkPage(page);

    // Calendar apps fetch it without the session cookie.
    const anonymous = await world.browser.newContext();
    const feed = await anonymous.request.get(url);
    expect(feed.status()).toBe(200);
    await expect(feed.text()).resolves.toContain('BEGIN:VCALENDAR');

    await page.getByRole('button', { name: 'Turn off my calendar link' }).click();
    await shown(page.getByText('Your calendar link is turned off'));
    await checkPage(page);
    expect((await anonymous.request.get(url)).status()).toBe(404);
    await anonymous.close();
    await context.close();
  });
});
