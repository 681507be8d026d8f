/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildReportWorld, type ReportWorld } from '../support/report-world.js';
import { DESKTOP, checkPage, navigate, startBrowserWorld, type BrowserWorld } from './harness.js';

/**
 * Issue 16: the programme team reads the reports at 320 px and on a desktop: filters to a cohort,
 * breaks the funnel down by working pattern, reads a chart's summary and table, follows a figure
 * to the participants behind it and on to a record. Every page passes axe with no sideways scroll.
 */
let world: BrowserWorld;
let r: ReportWorld;
beforeAll(async () => {
  world = await startBrowserWorld({ participants: 12 });
  r = await buildReportWorld(world.database.db);
});
afterAll(async () => {
  await world?.close();
});

const NARROW = { width: 320, height: 640 } as const;

describe.each([
  ['320 px', NARROW],
  ['desktop', DESKTOP],
])('the programme team at %s', (_name, viewport) => {
  it('reads the funnel for part-time participants and follows a figure to the people behind it', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, 'programme.team@demo.npq-ops.test');
    await navigate(page, 'Reports');
    await page.waitForURL(/\/reports$/);
    await checkPage(page);

    await page.getByLabel('Cohort').selectOption({ label: 'Report test cohort' });
    await page.getByLabel('Break the funnel down by').selectOption({ label: 'Working pattern' });
    await page.getByRole('button', { name: 'Apply filters' }).click();
    await page.waitForURL(/by=pattern/);
    await checkPage(page);

    // The chart is one image named by its heading and summary; its figures are in the table.
    const chart = page.getByRole('img', {
      name: /From accepted to passed Of 7 accepted participants/,
    });
    await expect(chart.isVisible()).resolves.toBe(true);
    const box = await chart.boundingBox();
    expect(box!.width).toBeLessThanOrEqual(viewport.width);
    const partTime = page.getByTestId('funnel').getByRole('row', { name: /^Part time/ });
    expect((await partTime.locator('td').allTextContents()).map((t) => t.trim())).toEqual([
      '2 Accepted, Part time',
      '2 Commenced, Part time',
      '1 Retained (milestone 1), Part time',
      '0 Retained (milestone 2), Part time',
      '1 Completed, Part time',
      '0 Passed, Part time',
    ]);

    await partTime.getByRole('link', { name: '1 Retained (milestone 1), Part time' }).click();
    await page.getByRole('heading', { level: 1, name: 'Retained (milestone 1)' }).waitFor();
    await checkPage(page);
    await expect(page.getByTestId('result-count').textContent()).resolves.toContain(
      'Showing 1 to 1 of 1 participant.',
    );
    await page.getByRole('link', { name: 'Report A2' }).click();
    await page.waitForURL(new RegExp(`/participants/${r.participant.A2}$`));
    await context.close();
  });
});
