/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DESKTOP,
  PHONE,
  expectNoAxeViolations,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

let world: BrowserWorld;
beforeAll(async () => {
  world = await startBrowserWorld({ participants: 8 });
});
afterAll(async () => {
  await world?.close();
});

/** The ids of the rules expectNoAxeViolations reported, or [] when it passed. */
async function reported(check: Promise<void>): Promise<string[]> {
  try {
    await check;
    return [];
  } catch (error) {
    return ((error as { actual?: string[] }).actual ?? [String(error)]).map((line) =>
      line.slice(0, line.indexOf(':')),
    );
  }
}

describe('the axe check every journey page goes through', () => {
  it.each([
    ['phone', PHONE],
    ['desktop', DESKTOP],
  ])(
    'passes a clean page and reports what is wrong with a broken one, on a %s',
    async (_name, viewport) => {
      const { context, page } = await world.newPage(viewport);
      await page.goto('/sign-in');
      expect(await reported(expectNoAxeViolations(page))).toEqual([]);

      // The same document, scanned again after a change (axe is already in it): an image with no
      // alternative text and text too faint to read.
      await page.evaluate(() => {
        const main = document.querySelector('main')!;
        const image = document.createElement('img');
        image.src = '/nothing.png';
        main.append(image);
        const faint = document.createElement('p');
        faint.textContent = 'Hard to read';
        faint.style.color = '#eeeeee';
        main.append(faint);
      });
      expect((await reported(expectNoAxeViolations(page))).sort()).toEqual([
        'color-contrast',
        'image-alt',
      ]);

      // A new document gets axe afresh.
      await page.goto('/sign-in');
      await page.evaluate(() => {
        document.documentElement.removeAttribute('lang');
      });
      expect(await reported(expectNoAxeViolations(page))).toEqual(['html-has-lang']);
      await context.close();
    },
  );
});
