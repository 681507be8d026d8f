/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  DESKTOP,
  checkPage,
  expectErrorSummary,
  shown,
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

const TEAM = 'programme.team@demo.npq-ops.test';
const ADMIN = 'admin@demo.npq-ops.test';
const NARROW = { width: 320, height: 640 } as const;

/** axe, no sideways scrolling, error links and landmarks at 320 px and on a desktop. */
async function checkBothWidths(page: Page): Promise<void> {
  for (const viewport of [NARROW, DESKTOP]) {
    await page.setViewportSize(viewport);
    await checkPage(page);
  }
  await page.setViewportSize(NARROW);
}

describe('the policy register and the what-if (issue 16)', () => {
  it('the programme team drafts 2.3 at 320 px, tries it with the what-if, and an admin approves it', async () => {
    const { context, page } = await world.newPage(NARROW);
    await world.signIn(page, TEAM);
    await page.goto('/admin');
    await page.getByRole('link', { name: 'Policy register' }).click();
    await page.waitForURL(/\/policy-register$/);
    await checkBothWidths(page);

    await page.getByRole('button', { name: 'Start the draft' }).click();
    await expectErrorSummary(page, 'Enter a version number');
    await checkBothWidths(page);
    await page.getByLabel('Version number').fill('2.3');
    await page.getByLabel('Summary of changes').fill('Engagement threshold raised to 95%');
    await page.getByRole('button', { name: 'Start the draft' }).click();
    await page.waitForURL(/\/policy-register\/versions\/2\.3\/edit$/);
    await checkBothWidths(page);

    await page.getByLabel(/Engagement needed to sit the assessment/).fill('101');
    await page.getByRole('button', { name: 'Continue' }).click();
    await expectErrorSummary(page, /engagement needed to sit the assessment/i);
    await checkBothWidths(page);
    await page.getByLabel(/Engagement needed to sit the assessment/).fill('95');
    await page.getByRole('button', { name: 'Continue' }).click();
    await shown(page.getByRole('heading', { name: 'Check the draft of version 2.3' }));
    expect(await page.getByTestId('check-parameters').textContent()).toContain('95% (was 90%)');
    await checkBothWidths(page);
    await page.getByRole('button', { name: 'Save the draft' }).click();
    await shown(page.getByText('Draft saved'));
    await checkBothWidths(page);

    await page.getByRole('link', { name: 'Try it with the what-if' }).click();
    await page.waitForURL(/what-if/);
    await page.getByLabel('As of').fill('2026-03-16');
    await page.getByRole('button', { name: 'Run the what-if' }).click();
    await shown(page.getByRole('heading', { name: 'Version 2.3 against version 2.2' }));
    expect(await page.getByTestId('what-if-parameters').textContent()).toContain('90% → 95%');
    await checkBothWidths(page);
    await page.getByLabel('As of').fill('');
    await page.getByRole('button', { name: 'Run the what-if' }).click();
    await expectErrorSummary(page, 'Enter the date to run the what-if as of');
    await checkBothWidths(page);
    await context.close();

    const admin = await world.newPage(NARROW);
    await world.signIn(admin.page, ADMIN);
    await admin.page.goto('/policy-register/versions/2.3');
    await checkBothWidths(admin.page);
    await admin.page
      .getByLabel('Approver, as the version table shows it')
      .fill('Programme Operations Committee');
    await admin.page.getByRole('button', { name: 'Approve version 2.3' }).click();
    await shown(admin.page.getByTestId('approved-panel'));
    expect(await admin.page.getByTestId('approved-panel').textContent()).toContain('POLICY-2.3');
    await checkBothWidths(admin.page);

    await admin.page.goto('/policy');
    await shown(admin.page.getByText('Version 2.3, in force'));
    expect(await admin.page.getByTestId('policy-numbers').textContent()).toContain('95%');
    await checkBothWidths(admin.page);
    await admin.context.close();
  }, 400_000);
});
