/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import {
  PHONE,
  checkPage,
  checkPageAtBothSizes,
  expectErrorSummary,
  expectSuccessBanner,
  navigate,
  shown,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

/**
 * Organisation set-up in the browser, on a phone: the schools page with a GIAS upload and its
 * import report, the lead provider with its areas (two people editing at once), and a new delivery
 * partner with its contact details and areas. Each page is checked at phone and desktop sizes
 * when first seen (axe WCAG 2.2 AA, no sideways scrolling, error links that lead somewhere), and
 * each error and success state at the phone size.
 */
let world: BrowserWorld;
let context: BrowserContext;
let page: Page;
const ADMIN = 'admin@demo.npq-ops.test';
const GIAS_SAMPLE = fileURLToPath(new URL('../fixtures/gias-sample.csv', import.meta.url));

beforeAll(async () => {
  world = await startBrowserWorld({ participants: 10 });
  ({ context, page } = await world.newPage(PHONE));
  await world.signIn(page, ADMIN);
});
afterAll(async () => {
  await context?.close();
  await world?.close();
});

async function fromAdministration(link: string, heading: string): Promise<void> {
  await navigate(page, 'Administration');
  await shown(page.getByRole('heading', { level: 1, name: 'Administration' }));
  await page.getByRole('main').getByRole('link', { name: link, exact: true }).click();
  await shown(page.getByRole('heading', { level: 1, name: heading }));
  await checkPageAtBothSizes(page);
}

describe('organisation set-up on a phone', () => {
  it('the Administration page leads to every set-up page', async () => {
    await navigate(page, 'Administration');
    await shown(page.getByRole('heading', { level: 1, name: 'Administration' }));
    await checkPageAtBothSizes(page);
  });

  it('imports the GIAS sample: no file first, then a report listing the rows with problems', async () => {
    await fromAdministration('Schools', 'Schools');
    await shown(page.getByTestId('upload-limit'));
    await page.getByRole('button', { name: 'Import schools' }).click();
    await expectErrorSummary(page, 'Choose the GIAS establishment CSV file');
    await page
      .locator('.govuk-error-summary')
      .getByRole('link', { name: 'Choose the GIAS establishment CSV file' })
      .click();
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('file');
    await page.getByLabel('GIAS establishment CSV').setInputFiles(GIAS_SAMPLE);
    await page.getByRole('button', { name: 'Import schools' }).click();
    await page.waitForURL(/\/admin\/schools\/imports\/\d+$/);
    await shown(page.getByRole('heading', { level: 1, name: 'Schools imported, with problems' }));
    await shown(page.getByTestId('row-errors'));
    await expect(page.getByTestId('import-counts').textContent()).resolves.toMatch(
      /Schools added\s*7/,
    );
    await checkPageAtBothSizes(page);
    await page.getByRole('link', { name: 'Schools', exact: true }).first().click();
    await shown(page.getByRole('region', { name: 'Last imports' }));
    await expect(page.getByTestId('school-counts').textContent()).resolves.toMatch(
      /Local authorities\s*\d/,
    );
    await checkPageAtBothSizes(page);
  });

  it('changes the lead provider, after an error and after someone else’s change', async () => {
    await fromAdministration('Organisation', 'Organisation');
    await page.getByLabel('Name', { exact: true }).fill('');
    await page.getByRole('button', { name: 'Save details' }).click();
    await expectErrorSummary(page, /name/i);
    await page.getByLabel('Name', { exact: true }).fill('Ambition Institute');
    await page.getByLabel('Contract end date (optional)').fill('2031-08-31');

    // Meanwhile a colleague saves the contact email in another tab.
    const other = await context.newPage();
    await other.goto('/admin/organisation');
    await other.getByLabel('Contact email (optional)').fill('npq@ambition.example');
    await other.getByRole('button', { name: 'Save details' }).click();
    await other.waitForURL(/notice=lead-provider-saved/);
    await other.close();

    await page.getByRole('button', { name: 'Save details' }).click();
    await expectErrorSummary(page, /changed by someone else/);
    await expect(page.getByLabel('Contract end date (optional)').inputValue()).resolves.toBe(
      '2031-08-31',
    );
    await page.getByRole('link', { name: 'reload the page' }).click();
    await page.waitForURL((url) => url.pathname === '/admin/organisation' && !url.search);
    await page.getByLabel('Contract end date (optional)').fill('2031-08-31');
    await page.getByRole('button', { name: 'Save details' }).click();
    await page.waitForURL(/notice=lead-provider-saved/);
    await expectSuccessBanner(page, 'Lead provider details saved');
    const summary = await page.locator('.govuk-summary-list').first().textContent();
    expect(summary).toContain('31 August 2031');
    expect(summary).toContain('npq@ambition.example');
  });

  it('adds and removes the lead provider’s own areas, from the list and by code', async () => {
    await page
      .getByLabel('Local authority', { exact: true })
      .selectOption({ label: 'Devon (878)' });
    await page.getByRole('button', { name: 'Add area', exact: true }).click();
    await page.waitForURL(/notice=area-added/);
    await expectSuccessBanner(page, 'Area added');
    await page.getByRole('button', { name: 'Remove Devon' }).click();
    await page.waitForURL(/notice=area-removed/);
    await expectSuccessBanner(page, 'Area removed');

    await page.getByText('Add a local authority that is not in the list').click();
    await page.getByLabel('Local authority code').fill('87');
    await page.getByRole('button', { name: 'Add area by code' }).click();
    await expectErrorSummary(page, /code/i);
    await page.getByLabel('Local authority code').fill('909');
    await page.getByLabel('Local authority name').fill('Cumberland');
    await page.getByRole('button', { name: 'Add area by code' }).click();
    await page.waitForURL(/notice=area-added/);
    await shown(page.getByRole('region', { name: /^Areas served by/ }).getByText('Cumberland'));
    await checkPage(page);
  });

  it('adds a delivery partner with its contact details and an area', async () => {
    await fromAdministration('Delivery partners', 'Delivery partners');
    await page.getByRole('button', { name: 'Add a delivery partner' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'Add a delivery partner' }));
    await checkPageAtBothSizes(page);
    await page.getByRole('button', { name: 'Add delivery partner' }).click();
    await expectErrorSummary(page, /name/i);
    await page.getByLabel('Name', { exact: true }).fill('Peninsula Teaching School Hub');
    await page.getByLabel('Short name').fill('peninsula');
    await page.getByLabel('Contact email (optional)').fill('npq@peninsula.example');
    await page.getByLabel('Contact telephone (optional)').fill('01752 000000');
    await page.getByLabel('Opening hours (optional)').fill('Monday to Friday, 9am to 5pm');
    await page.getByRole('button', { name: 'Add delivery partner' }).click();
    await page.waitForURL(/\/admin\/delivery-partners\/\d+\?notice=partner-created/);
    await expectSuccessBanner(page, 'Delivery partner added');
    await checkPageAtBothSizes(page);
    await page
      .getByLabel('Local authority', { exact: true })
      .selectOption({ label: 'Plymouth (879)' });
    await page.getByRole('button', { name: 'Add area', exact: true }).click();
    await page.waitForURL(/notice=area-added/);
    await expectSuccessBanner(page, 'Area added');
    await shown(page.getByRole('region', { name: /^Areas served by/ }).getByText('Plymouth'));
    await page.getByRole('link', { name: 'Delivery partners', exact: true }).first().click();
    await shown(page.getByRole('link', { name: 'Peninsula Teaching School Hub' }));
    await checkPage(page);
  });
});
