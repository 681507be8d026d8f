/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkPage,
  DESKTOP,
  PHONE,
  shown,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

/**
 * The published policy, the footer pages, My programme's summary and folded modules, and the
 * signed-out round trip, at phone and desktop size, each page checked with axe (WCAG 2.2 AA), for
 * sideways scrolling, its landmarks and the absence of any crown.
 */
let world: BrowserWorld;
// A shared 2-core machine can take minutes to build the demo: allow for it.
beforeAll(async () => {
  world = await startBrowserWorld({ participants: 8 });
}, 600_000);
afterAll(async () => {
  await world?.close();
});

describe.each([
  ['phone', PHONE],
  ['desktop', DESKTOP],
])('on a %s', (_name, viewport) => {
  // Each page gets a full axe run; on a shared 2-core machine that takes a while.
  it('reads the policy from the footer and lands on a clause by its anchor', async () => {
    const { context, page } = await world.newPage(viewport);
    await page.goto('/sign-in');
    await page.locator('footer').getByRole('link', { name: 'The policy' }).click();
    await shown(
      page.getByRole('heading', {
        level: 1,
        name: 'NPQ Part-Time, Deferral and Portability Policy',
      }),
    );
    await shown(page.getByRole('table'));
    await checkPage(page);
    // No GOV.UK typeface: the page is set in Arial.
    const font = await page
      .locator('main p.govuk-body')
      .first()
      .evaluate((el) => getComputedStyle(el).fontFamily);
    expect(font).not.toMatch(/GDS Transport/);
    expect(font.toLowerCase()).toContain('arial');

    await page.goto('/policy#clause-2-3-8');
    const target = page.locator('#clause-2-3-8');
    await shown(target);
    await expect(target.evaluate((el) => el.matches(':target'))).resolves.toBe(true);
    await shown(target.getByText('NPQ Withdrawal policy is not published here yet'));

    await context.close();
  }, 240_000);

  it('reads every footer page', async () => {
    const { context, page } = await world.newPage(viewport);
    await page.goto('/policy');
    for (const [link, heading] of [
      ['Help', 'Help'],
      ['Contact', 'Contact'],
      ['Accessibility statement', 'Accessibility statement'],
      ['Privacy notice', 'Privacy notice'],
      ['Cookies', 'Cookies'],
    ] as const) {
      await page.locator('footer').getByRole('link', { name: link, exact: true }).click();
      await shown(page.getByRole('heading', { level: 1, name: heading }));
      await checkPage(page);
    }
    await page.goto('/how-engagement-is-counted');
    await shown(page.getByRole('heading', { level: 1, name: 'How engagement is counted' }));
    await checkPage(page);
    await context.close();
  }, 240_000);

  it('sees the summary of My programme first, the current module open and the others folded', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, 'participant2@demo.npq-ops.test');
    const summary = page.getByTestId('programme-summary');
    await shown(summary);
    await shown(summary.getByTestId('engagement-figure'));
    await shown(summary.getByTestId('next-things').getByRole('link'));
    // The summary is at the top: on a phone it starts within the first screen.
    const top = await summary.evaluate((el) => el.getBoundingClientRect().top);
    expect(top).toBeLessThan(viewport.height);
    await checkPage(page);

    const open = page.locator('details.app-module[open]');
    await expect(open.count()).resolves.toBe(1);
    // Open a folded module (by its id: once open, it no longer matches ":not([open])").
    const foldedId = await page
      .locator('details.app-module:not([open])')
      .first()
      .getAttribute('id');
    const folded = page.locator(`details#${foldedId}`);
    await folded.locator('summary').click();
    await shown(folded.locator('.govuk-task-list'));
    await checkPage(page);

    await summary.getByRole('link', { name: 'How engagement is counted' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'How engagement is counted' }));
    await context.close();
  });

  it('is signed out mid-form, signs in again and sends what was typed', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, 'admin@demo.npq-ops.test');
    await page.goto('/admin/organisation');
    const typed = `Weekdays 8am to 4pm (${viewport.width})`;
    await page.getByLabel('Opening hours').fill(typed);
    // The session ends elsewhere (as if signed out on another tab) before the form is sent: the
    // sign-out form is posted from this page's own cookies, without opening a second tab (a
    // background tab in headless Chromium can be throttled and hang a journey on CI).
    const signedOut = await page.evaluate(async () => {
      const form = document.querySelector<HTMLFormElement>('form[action="/sign-out"]');
      if (!form) return 0;
      const response = await fetch('/sign-out', {
        method: 'POST',
        body: new URLSearchParams(new FormData(form) as unknown as Record<string, string>),
        redirect: 'manual',
      });
      return response.type === 'opaqueredirect' ? 303 : response.status;
    });
    expect(signedOut).toBe(303);

    await page.getByRole('button', { name: 'Save details' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'You have been signed out' }));
    await shown(page.getByTestId('kept-notice'));
    await checkPage(page);
    await page.getByLabel('Email address').fill('admin@demo.npq-ops.test');
    await page.getByLabel('Password').fill('demo-password');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'Send your form' }));
    await checkPage(page);
    await page.getByRole('button', { name: 'Send your form' }).click();
    await shown(page.getByText('Lead provider details saved'));
    await shown(page.getByText(typed).first());
    await context.close();
  });
});
