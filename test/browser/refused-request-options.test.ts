/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { loadActor } from '../../src/services/actor.js';
import { requestDeferral } from '../../src/services/deferral-cases.js';
import { runDailyProcessing } from '../../src/services/daily.js';
import {
  DESKTOP,
  PHONE,
  checkPage,
  expectErrorSummary,
  expectSuccessBanner,
  shown,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

/**
 * Issue 10 (bullets 4 and 6) in a browser at phone and desktop size, axe on every page: the partner
 * sees the engagement-alert count on their home page, then closes the task for a request the policy
 * refused by recording when they told the participant their options and what they chose (after a
 * field error for a date before the request).
 */
let world: BrowserWorld;
const cases: number[] = [];

beforeAll(async () => {
  world = await startBrowserWorld();
  const db = world.database.db;
  const clock = { now: () => new Date('2026-03-16T10:00:00Z') };
  await runDailyProcessing({ db, clock });
  const enrolments = await queryRows<{ id: number; user_id: number }>(
    db,
    sql`select e.id, (select id from app_user where email = 'partner.north@demo.npq-ops.test') as user_id
        from enrolment e join cohort c on c.id = e.cohort_id join delivery_partner dp on dp.id = e.delivery_partner_id
        where c.year = 2025 and e.status = 'active' and dp.slug = 'north'
        order by e.id desc limit 2`,
  );
  for (const e of enrolments) {
    await db.execute(sql`update participant set dfe_registration_confirmed = false
                         where id = (select participant_id from enrolment where id = ${e.id})`);
    const actor = await loadActor(db, e.user_id);
    const c = await requestDeferral({ db, clock }, actor!, {
      enrolmentId: e.id,
      circumstance: 'illness_or_health',
      description: 'Long-term illness',
    });
    expect(c.status).toBe('declined');
    cases.push(c.id);
  }
}, 180_000);
afterAll(async () => {
  await world?.close();
});

describe.each([
  ['phone', PHONE, 0],
  ['desktop', DESKTOP, 1],
] as const)('a refused request on a %s', (_name, viewport, index) => {
  it('shows the alert count at home, then records telling the participant their options', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, 'partner.north@demo.npq-ops.test');
    await page.goto('/');
    await shown(page.getByTestId('alert-count'));
    await checkPage(page);

    const id = cases[index]!;
    await page.goto(`/cases/deferrals/${id}`);
    await shown(page.getByRole('heading', { name: 'Tell the participant their options' }));
    await checkPage(page);
    await page.getByLabel('Day').fill('1');
    await page.getByLabel('Month').fill('1');
    await page.getByLabel('Year').fill('1900');
    await page.getByLabel('Continue with their current cohort').check();
    await page.getByRole('button', { name: 'Record the contact' }).click();
    await expectErrorSummary(page, /on or after their request/);
    await page.getByLabel('Day').fill('16');
    await page.getByLabel('Month').fill('3');
    await page.getByLabel('Year').fill('2026');
    await page.getByLabel('Continue with their current cohort').check();
    await page.getByRole('button', { name: 'Record the contact' }).click();
    await expectSuccessBanner(page, 'Contact recorded');
    await shown(page.getByTestId('options-outcome'));
    await context.close();
  }, 240_000);
});
