/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { DESKTOP, startBrowserWorld, type BrowserWorld } from './harness.js';

let world: BrowserWorld;
beforeAll(async () => {
  world = await startBrowserWorld();
});
afterAll(async () => {
  await world?.close();
});

declare global {
  interface Window {
    cspViolations?: string[];
  }
}

/** What the browser refused under the Content-Security-Policy, from events and the console. */
async function watchViolations(page: Page): Promise<string[]> {
  const seen: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) seen.push(message.text());
  });
  page.on('pageerror', (error) => seen.push(`page error: ${error.message}`));
  // Injected by the browser's debugger, so the CSP does not apply to this script itself.
  await page.addInitScript(() => {
    window.cspViolations = [];
    document.addEventListener('securitypolicyviolation', (e) => {
      window.cspViolations!.push(`${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  return seen;
}

const violationsIn = (page: Page) => page.evaluate(() => window.cspViolations ?? []);

describe('GOV.UK Frontend under the Content-Security-Policy', () => {
  it('runs its inline and module scripts, and ours, with nothing refused', async () => {
    const { context, page } = await world.newPage(DESKTOP);
    const console = await watchViolations(page);

    const response = await page.goto('/sign-in');
    expect(response?.headers()['content-security-policy']).toContain("'nonce-");
    expect(response?.headers()['content-security-policy']).not.toContain('unsafe-inline');
    // The template's inline script (nonce) ran, and so did the module (init.js -> initAll).
    await expect(page.evaluate(() => document.body.className)).resolves.toMatch(
      /\bjs-enabled\b.*\bgovuk-frontend-supported\b/,
    );
    await page.locator('[data-govuk-button-init]').first().waitFor({ state: 'attached' });
    expect(await violationsIn(page)).toEqual([]);

    await world.signIn(page, 'partner.north@demo.npq-ops.test');
    // An uploaded import's page runs its own inline script (nonce): it follows the progress and
    // reloads the page with the report when the import ends.
    await page.goto('/imports');
    await page.getByLabel('Engagement CSV file').setInputFiles({
      name: 'csp-check.csv',
      mimeType: 'text/csv',
      buffer: Buffer.from(
        'participant,activity_id,kind,occurred_at,source,source_event_id\nnobody@example.test,1,,2026-03-01T10:00:00Z,import,csp-1\n',
      ),
    });
    await page.getByRole('button', { name: 'Upload engagement file' }).click();
    await page.waitForURL(/\/imports\/jobs\/\d+$/);
    await page.getByRole('heading', { name: /imported, with problems/ }).waitFor();
    expect(await violationsIn(page)).toEqual([]);
    // A cohort page draws its engagement bars without inline styles.
    await page.goto('/');
    await page.locator('a[href^="/cohorts/"]').first().click();
    await page.locator('svg.app-bar').first().waitFor({ state: 'attached' });
    const barWidth = await page
      .locator('svg.app-bar')
      .first()
      .evaluate((svg) => svg.getBoundingClientRect().width);
    expect(barWidth).toBeGreaterThan(0);
    expect(await violationsIn(page)).toEqual([]);
    expect(console).toEqual([]);
    await context.close();
  });
});
