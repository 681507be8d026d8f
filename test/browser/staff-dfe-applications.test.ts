/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { fixedClock } from '../../src/clock.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import { createDfeClient } from '../../src/services/dfe/client.js';
import { pullApplications } from '../../src/services/dfe/applications/pull.js';
import {
  catalogueForFake,
  seedApplications,
  startFakeDfe,
  type FakeDfe,
} from '../../src/services/dfe/fake/index.js';
import {
  PHONE,
  checkPageAtBothSizes,
  expectErrorSummary,
  expectSuccessBanner,
  navigate,
  shown,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

/**
 * The programme team on a phone: applications pulled from the (fake) DfE, the queue, one
 * application, a refused accept (no funded-place answer), then the accept, and the DfE sync page.
 * Every page is checked at phone and desktop sizes (axe WCAG 2.2 AA, no sideways scrolling).
 */
let fake: FakeDfe;
let world: BrowserWorld;
let context: BrowserContext;
let page: Page;

beforeAll(async () => {
  fake = await startFakeDfe({ now: () => new Date(DEFAULT_DEMO_NOW) });
  world = await startBrowserWorld({
    participants: 10,
    env: { DFE_API_URL: fake.url, DFE_API_TOKEN: 'fake' },
  });
  const apps = seedApplications(fake.state, {
    count: 5,
    before: DEFAULT_DEMO_NOW,
    ...(await catalogueForFake(world.database.db, { fromYear: 2026 })),
  });
  for (const a of apps) a.attributes.eligible_for_funding = true;
  await pullApplications(
    {
      db: world.database.db,
      clock: fixedClock(DEFAULT_DEMO_NOW),
      dfe: createDfeClient({ url: fake.url, token: 'fake' }),
    },
    { startedBy: 'test' },
  );
  ({ context, page } = await world.newPage(PHONE));
  await world.signIn(page, 'programme.team@demo.npq-ops.test');
});
afterAll(async () => {
  await context?.close();
  await world?.close();
  await fake?.stop();
});

describe('the applications queue on a phone', () => {
  it('lists the applications to decide', async () => {
    await navigate(page, 'DfE applications');
    await shown(page.getByRole('heading', { level: 1, name: 'DfE applications' }));
    await shown(page.getByText('To decide (5)'));
    await checkPageAtBothSizes(page);
  });

  it('shows an application, refuses an accept without a funded-place answer, then accepts it', async () => {
    await page.getByRole('table').getByRole('link').first().click();
    await shown(page.getByRole('heading', { level: 2, name: 'Accept' }));
    await checkPageAtBothSizes(page);
    await page.getByLabel('Delivery partner').selectOption({ index: 1 });
    await page.getByRole('button', { name: 'Accept application' }).click();
    await expectErrorSummary(page, 'Select whether they have a funded place');
    await page.getByLabel('Delivery partner').selectOption({ index: 1 });
    await page
      .getByRole('group', { name: 'Do they have a funded place?' })
      .getByLabel('Yes')
      .check();
    await page.getByRole('button', { name: 'Accept application' }).click();
    await expectSuccessBanner(page, /Application accepted/);
    await shown(page.getByRole('link', { name: /record/ }));
    await checkPageAtBothSizes(page);
  }, 240_000);

  it('shows DfE sync with the last pull and the backlog', async () => {
    await page.goto('/dfe/sync');
    await shown(page.getByRole('heading', { level: 1, name: 'DfE sync' }));
    await expect
      .poll(async () => (await page.content()).includes('Last successful pull'))
      .toBe(true);
    await checkPageAtBothSizes(page);
  });
});
