/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DEMO_PASSWORD } from '../../src/db/seed/demo.js';
import {
  DESKTOP,
  PHONE,
  expectNoAxeViolations,
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

/** Presses Tab until the focused element's text (or id) matches, as a keyboard user would. */
async function tabTo(page: Page, match: RegExp, limit = 80): Promise<void> {
  for (let i = 0; i < limit; i += 1) {
    await page.keyboard.press('Tab');
    const focused = await page.evaluate(() => {
      const el = document.activeElement as HTMLElement | null;
      return el
        ? `${el.id} ${el.innerText ?? ''} ${(el as HTMLInputElement).value ?? ''}`.trim()
        : '';
    });
    if (match.test(focused)) return;
  }
  throw new Error(`Could not reach ${match} with the Tab key`);
}

describe.each([
  ['desktop', DESKTOP],
  ['phone', PHONE],
])('keyboard only on a %s', (_name, viewport) => {
  it('signs in, continues where they left off and marks the session complete', async () => {
    const { context, page } = await world.newPage(viewport);
    await page.goto('/sign-in');
    await tabTo(page, /^email/);
    await page.keyboard.type('participant2@demo.npq-ops.test');
    await page.keyboard.press('Tab');
    await page.keyboard.type(DEMO_PASSWORD);
    await page.keyboard.press('Enter');
    await page.waitForURL('**/my-programme');

    await tabTo(page, /Continue: /);
    const title = await page.evaluate(() =>
      (document.activeElement as HTMLElement).innerText.replace(/^\s*Continue:\s*/, '').trim(),
    );
    await page.keyboard.press('Enter');
    await page.waitForURL('**/sessions/*');
    await expect(page.getByRole('heading', { level: 1 }).textContent()).resolves.toContain(title);

    await tabTo(page, /Mark as complete/);
    await page.keyboard.press('Enter');
    await page
      .getByText(`You have completed ${title}`)
      .first()
      .waitFor({ state: 'visible', timeout: 10_000 });
    // Focus moves to the success banner, so a screen reader announces it. govuk-frontend moves it
    // once its script has run, which on a busy machine can be after the text is visible: wait for
    // it (up to 10 s; a banner that never takes focus still fails).
    await page.waitForFunction(
      () => document.activeElement?.closest('.govuk-notification-banner') !== null,
      undefined,
      { timeout: 10_000 },
    );
    await expectNoAxeViolations(page);
    await context.close();
  });
});
