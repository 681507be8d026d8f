/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BrowserContext, Page } from 'playwright-core';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import { syncDeclarations } from '../../src/services/dfe/declarations/sync.js';
import {
  PHONE,
  checkPageAtBothSizes,
  expectErrorSummary,
  expectSuccessBanner,
  shown,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

/**
 * With DFE_API_URL and DFE_API_TOKEN unset, every page that would mention the DfE says plainly
 * that DfE sync is off (issue 11); and the programme team enters a cohort year's DfE milestone
 * dates on a phone, correcting what the page refuses. axe WCAG 2.2 AA at phone and desktop sizes.
 */
let world: BrowserWorld;
let context: BrowserContext;
let page: Page;
let participantId: number;
let declarationId: number;

beforeAll(async () => {
  world = await startBrowserWorld({
    participants: 12,
    env: { DFE_API_URL: '', DFE_API_TOKEN: '' },
  });
  const db = world.database.db;
  await db.execute(sql`update enrolment e set commenced_at = f.first_at
    from (select e2.id, min(er.occurred_at) as first_at from enrolment e2
          join engagement_record er on er.participant_id = e2.participant_id
          where e2.status not in ('applied', 'accepted') group by e2.id) f
    where e.id = f.id`);
  await syncDeclarations({ db, clock: fixedClock(DEFAULT_DEMO_NOW) });
  const [d] = await queryRows<{ id: number; participant_id: number }>(
    db,
    sql`select d.id::int as id, d.participant_id from dfe_declaration d
        join enrolment e on e.id = d.enrolment_id where e.status = 'active' order by d.id limit 1`,
  );
  if (!d) throw new Error('No declaration was queued for the journey');
  declarationId = d.id;
  participantId = d.participant_id;
  ({ context, page } = await world.newPage(PHONE));
  await world.signIn(page, 'programme.team@demo.npq-ops.test');
}, 240_000);
afterAll(async () => {
  await context?.close();
  await world?.close();
});

describe('DfE sync is off: each DfE page says so', () => {
  const pages: [string, () => string, RegExp][] = [
    ['DfE applications', () => '/dfe/applications', /DfE sync is off\./],
    ['DfE sync', () => '/dfe/sync', /DfE sync is off\./],
    ['declarations by milestone', () => '/dfe/declarations', /DfE sync is off: nothing is sent/],
    ['the DfE outbox', () => '/dfe/outbox', /DfE sync is off: requests wait here/],
    ['statements', () => '/dfe/statements', /DfE sync is off \(DFE_API_URL and DFE_API_TOKEN/],
    [
      'the participant record',
      () => `/participants/${participantId}`,
      /DfE sync is off: nothing is sent/,
    ],
    [
      'voiding a declaration',
      () => `/dfe/declarations/${declarationId}/void?participant=${participantId}`,
      /DfE sync is off, so nothing is sent to the DfE/,
    ],
    [
      'withdrawing a participant',
      () => `/participants/${participantId}/actions/withdrawal`,
      /Kept for the DfE: DfE sync is off/,
    ],
  ];
  for (const [name, url, text] of pages)
    it(
      name,
      async () => {
        const res = await page.goto(url());
        expect(res?.status()).toBe(200);
        await shown(page.getByText(text).first());
        await checkPageAtBothSizes(page);
      },
      240_000,
    );
});

describe('DfE milestone dates on a phone', () => {
  it('enters the 2027 dates for a schedule after correcting what the page refuses', async () => {
    await page.goto('/admin');
    await page.getByRole('link', { name: 'DfE milestone dates' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'DfE milestone dates' }));
    await checkPageAtBothSizes(page);
    await page.getByLabel('Cohort year', { exact: true }).fill('2027');
    await page.getByLabel('Schedule', { exact: true }).selectOption('npq-specialist-autumn');
    await page.getByLabel('Started milestone opens').fill('2027-06-01');
    await page.getByLabel('Retained-1 milestone opens').fill('2027-05-01');
    await page.getByLabel('Completed milestone opens').fill('2028-08-18');
    await page.getByRole('button', { name: 'Save dates' }).click();
    await expectErrorSummary(
      page,
      'The retained-1 milestone must open after the started milestone (2027-06-01)',
    );
    await page.getByLabel('Retained-1 milestone opens').fill('2027-12-17');
    await page.getByRole('button', { name: 'Save dates' }).click();
    await expectSuccessBanner(page, 'Milestone dates saved');
    await shown(page.getByRole('cell', { name: '2027-12-17' }));
    await checkPageAtBothSizes(page);
  }, 240_000);
});
