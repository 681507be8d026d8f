/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DESKTOP,
  PHONE,
  expectNoAxeViolations,
  expectNoHorizontalScroll,
  startBrowserWorld,
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
])('sign-in journey on a %s', (_name, viewport) => {
  it('shows errors in the GOV.UK pattern, then signs in and out', async () => {
    const { context, page } = await world.newPage(viewport);
    await page.goto('/sign-in');
    await expectNoAxeViolations(page);
    await page.getByRole('button', { name: 'Sign in' }).click();
    const summary = page.locator('.govuk-error-summary');
    // Wait for the re-rendered page rather than reading the one being replaced.
    await summary
      .getByRole('link', { name: 'Enter your email address' })
      .waitFor({ state: 'visible' });
    await expect(page.title()).resolves.toMatch(/^Error: Sign in/);
    await expectNoAxeViolations(page);
    await summary.getByRole('link', { name: 'Enter your email address' }).click();
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('email');

    await world.signIn(page, 'partner.north@demo.npq-ops.test');
    await page.getByText('North Star').first().waitFor({ state: 'visible' });
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(
      'NPQ cohorts',
    );
    await expectNoAxeViolations(page);
    await expectNoHorizontalScroll(page);

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/sign-in');
    await context.close();
  });
});

describe('pages that are not there', () => {
  it('answers with an accessible 404 page', async () => {
    const { context, page } = await world.newPage(PHONE);
    const response = await page.goto('/no-such-page');
    expect(response?.status()).toBe(404);
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(
      'Page not found',
    );
    await expectNoAxeViolations(page);
    await context.close();
  });
});

describe('keyboard only', () => {
  it('signs in without a mouse', async () => {
    const { context, page } = await world.newPage(DESKTOP);
    await page.goto('/sign-in');
    await page.keyboard.press('Tab'); // skip link
    for (let i = 0; i < 12; i += 1) {
      if (await page.evaluate(() => document.activeElement?.id === 'email')) break;
      await page.keyboard.press('Tab');
    }
    await page.keyboard.type('participant1@demo.npq-ops.test');
    await page.keyboard.press('Tab');
    await page.keyboard.type('demo-password');
    await page.keyboard.press('Enter');
    await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
    expect(new URL(page.url()).pathname).not.toBe('/sign-in');
    await context.close();
  });
});
