/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { Page } from 'playwright-core';
import { queryRows } from '../../src/db/client.js';
import { fixedClock } from '../../src/clock.js';
import { loadActor } from '../../src/services/actor.js';
import {
  approveDeferral,
  confirmReturn,
  recordDeferralDiscussion,
  requestDeferral,
  startDeferral,
} from '../../src/services/deferral-cases.js';
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
 * Issue 10 (bullets 5 and 6) in a browser at phone and desktop size, axe on every page. A partner
 * agrees a re-join date other than the provisional one, with a reason (after the error summary for
 * a date outside the new cohort's timeline), then re-joins the participant early, recording why
 * (2.3.5), after the policy refused it without a reason. And on the task for a refused request
 * (2.3.10) they record each choice: "withdraw" (after the error summary for a missing DfE reason)
 * withdraws the participant, and "something else" needs its description. ("Continue" is in
 * refused-request-options.test.ts.)
 *
 * The app's day is 1 February 2027: the deferrals were agreed on 16 March 2026 and the participants
 * confirmed their return on their intent-contact dates; they re-join the 2026 cohorts (12 October
 * 2026 to their 11 September 2027 engagement deadline).
 */
const TODAY = '2027-02-01';
const AGREED = { day: '15', month: '4', year: '2027', long: '15 April 2027' };
let world: BrowserWorld;
const resumeCases: { id: number; rejoinOn: string; enrolmentId: number }[] = [];
const refused: { id: number; enrolmentId: number }[] = [];

beforeAll(async () => {
  world = await startBrowserWorld({ now: new Date(`${TODAY}T10:00:00Z`) });
  const db = world.database.db;
  const then = { db, clock: fixedClock('2026-03-16T10:00:00Z') };
  const [north] = await queryRows<{ id: number }>(
    db,
    sql`select id from app_user where email = 'partner.north@demo.npq-ops.test'`,
  );
  const staff = (await loadActor(db, north!.id))!;

  // Two North participants whose deferral is agreed and started, and their return confirmed.
  const active = await queryRows<{ id: number }>(
    db,
    sql`select e.id from enrolment e join cohort c on c.id = e.cohort_id
        join delivery_partner dp on dp.id = e.delivery_partner_id
        where c.year = 2025 and e.status = 'active' and dp.slug = 'north'
        order by e.id limit 2`,
  );
  for (const e of active) {
    let c = await requestDeferral(then, staff, {
      enrolmentId: e.id,
      circumstance: 'maternity_leave',
      description: 'Baby due in April',
    });
    c = await recordDeferralDiscussion(then, staff, c.id, {
      expectedVersion: c.version,
      alternativesOffered: ['defer', 'continue_with_current_cohort'],
      participantChoice: 'defer',
    });
    c = await approveDeferral(then, staff, c.id, { expectedVersion: c.version });
    c = await startDeferral(then, staff, c.id, { expectedVersion: c.version });
    c = await confirmReturn(
      { db, clock: fixedClock(`${c.intentContactDueOn}T09:00:00Z`) },
      staff,
      c.id,
      { expectedVersion: c.version },
    );
    expect(c.status).toBe('confirmed');
    // The journey needs the provisional date ahead of the app's day and another to agree.
    expect(c.rejoinDate! > TODAY && c.rejoinDate !== '2027-04-15').toBe(true);
    resumeCases.push({ id: c.id, rejoinOn: c.rejoinDate!, enrolmentId: e.id });
  }

  // Four more whose request the policy refused at once (not registered with the DfE, 2.3.2).
  const others = await queryRows<{ id: number }>(
    db,
    sql`select e.id from enrolment e join cohort c on c.id = e.cohort_id
        join delivery_partner dp on dp.id = e.delivery_partner_id
        where c.year = 2025 and e.status = 'active' and dp.slug = 'north'
        order by e.id desc limit 4`,
  );
  for (const e of others) {
    await db.execute(sql`update participant set dfe_registration_confirmed = false
                         where id = (select participant_id from enrolment where id = ${e.id})`);
    const c = await requestDeferral(then, staff, {
      enrolmentId: e.id,
      circumstance: 'illness_or_health',
      description: 'Long-term illness',
    });
    expect(c.status).toBe('declined');
    refused.push({ id: c.id, enrolmentId: e.id });
  }
}, 180_000);
afterAll(async () => {
  await world?.close();
});

async function enrolmentStatus(id: number): Promise<{ status: string; cohort: number }> {
  const [row] = await queryRows<{ status: string; cohort: number }>(
    world.database.db,
    sql`select status, cohort_id as cohort from enrolment where id = ${id}`,
  );
  return row!;
}

/** Fills a GOV.UK date input inside a form. */
async function fillDate(
  page: Page,
  form: string,
  d: { day: string; month: string; year: string },
): Promise<void> {
  const f = page.getByTestId(form);
  await f.getByLabel('Day').fill(d.day);
  await f.getByLabel('Month').fill(d.month);
  await f.getByLabel('Year').fill(d.year);
}

describe.each([
  ['phone', PHONE, 0],
  ['desktop', DESKTOP, 1],
] as const)('re-joining after a deferral on a %s', (_name, viewport, index) => {
  it('agrees another re-join date with a reason, re-joins early to cover missed content, and the participant sees their work Completed', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, 'partner.north@demo.npq-ops.test');
    const c = resumeCases[index]!;
    const before = await enrolmentStatus(c.enrolmentId);
    await page.goto(`/cases/deferrals/${c.id}`);
    await shown(page.getByRole('heading', { name: 'Agree a different re-join date' }));
    await checkPage(page);

    // A date after the new cohort's engagement deadline: the error summary names the timeline.
    await fillDate(page, 'rejoin-date-form', { day: '1', month: '12', year: '2027' });
    await page.getByLabel(/Why this date/).fill('Returns from leave later than planned');
    await page.getByRole('button', { name: 'Agree the re-join date' }).click();
    await expectErrorSummary(page, /timeline/);

    await fillDate(page, 'rejoin-date-form', AGREED);
    await page.getByLabel(/Why this date/).fill('Returns from leave later than planned');
    await page.getByRole('button', { name: 'Agree the re-join date' }).click();
    await expectSuccessBanner(page, 'Re-join date agreed');
    await shown(page.getByText(`the agreed date is ${AGREED.long}`));
    await shown(page.getByText('Returns from leave later than planned'));

    // Re-joining before the agreed date with no reason recorded: the policy refuses (2.3.5).
    await page.getByRole('button', { name: 'Re-join the new cohort' }).click();
    await shown(page.getByText('The policy does not allow this now'));
    await shown(page.locator('a[href="/policy#clause-2-3-5"]'));
    await checkPage(page);
    expect(await enrolmentStatus(c.enrolmentId)).toEqual(before);

    // Staff record the early return, and the participant re-joins.
    await page
      .getByLabel(/Returning before the agreed date/)
      .fill('To cover module 2, missed before the deferral was agreed');
    await page.getByRole('button', { name: 'Re-join the new cohort' }).click();
    await expectSuccessBanner(page, 'Participant re-joined the new cohort');
    const after = await enrolmentStatus(c.enrolmentId);
    expect(after.status).toBe('active');
    expect(after.cohort).not.toBe(before.cohort);
    await context.close();

    // The participant, in the new cohort: what they did before the deferral is still Completed.
    const done = await queryRows<{ email: string; title: string }>(
      world.database.db,
      sql`select distinct p.email, a.title from enrolment e join participant p on p.id = e.participant_id
          join engagement_record r on r.participant_id = p.id
          join programme_activity a on a.id = r.activity_id and a.kind = 'study_session'
          where e.id = ${c.enrolmentId}`,
    );
    expect(done.length).toBeGreaterThan(0);
    const mine = await world.newPage(viewport);
    await world.signIn(mine.page, done[0]!.email);
    await mine.page.goto('/my-programme');
    await checkPage(mine.page);
    for (const { title } of done) {
      const item = mine.page.locator('.govuk-task-list__item', { hasText: title }).first();
      await expect(item.locator('.govuk-task-list__status').textContent()).resolves.toContain(
        'Completed',
      );
    }
    await mine.context.close();
  }, 240_000);
});

describe.each([
  ['phone', PHONE, 0],
  ['desktop', DESKTOP, 1],
] as const)('telling the participant their options on a %s', (_name, viewport, index) => {
  it('records "withdraw" with the DfE reason, which withdraws them', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, 'partner.north@demo.npq-ops.test');
    const c = refused[index * 2]!;
    await page.goto(`/cases/deferrals/${c.id}`);
    await shown(page.getByRole('heading', { name: 'Tell the participant their options' }));
    await checkPage(page);
    await fillDate(page, 'options-contact', { day: '20', month: '1', year: '2027' });
    await page.getByLabel('Withdraw from the programme').check();
    // The reason and the warning are revealed under the choice; at 320 px too.
    await shown(page.getByLabel('DfE withdrawal reason'));
    await page.setViewportSize({ width: 320, height: 640 });
    await checkPage(page);
    await page.setViewportSize(viewport);
    await page.getByRole('button', { name: 'Record the contact' }).click();
    await expectErrorSummary(page, 'Select the DfE withdrawal reason');
    expect((await enrolmentStatus(c.enrolmentId)).status).toBe('active');

    await page.getByLabel('Withdraw from the programme').check();
    await page
      .getByLabel('DfE withdrawal reason')
      .selectOption('personal-reason-health-or-pregnancy-related');
    await page.getByRole('button', { name: 'Record the contact' }).click();
    await expectSuccessBanner(page, /chose to withdraw and is withdrawn/);
    await shown(page.getByTestId('options-outcome').getByText(/They were withdrawn from/));
    expect((await enrolmentStatus(c.enrolmentId)).status).toBe('withdrawn');
    await context.close();
  }, 240_000);

  it('records "something else", which needs describing', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, 'partner.north@demo.npq-ops.test');
    const c = refused[index * 2 + 1]!;
    await page.goto(`/cases/deferrals/${c.id}`);
    await shown(page.getByRole('heading', { name: 'Tell the participant their options' }));
    await fillDate(page, 'options-contact', { day: '20', month: '1', year: '2027' });
    await page.getByRole('radio', { name: 'Something else' }).check();
    await page.getByRole('button', { name: 'Record the contact' }).click();
    await expectErrorSummary(page, 'Describe what the participant chose');
    await page.getByLabel(/Notes/).fill('Will talk to their headteacher about a lighter term');
    await page.getByRole('button', { name: 'Record the contact' }).click();
    await expectSuccessBanner(page, 'Contact recorded');
    await shown(page.getByTestId('options-outcome').getByText(/lighter term/));
    expect((await enrolmentStatus(c.enrolmentId)).status).toBe('active');
    await context.close();
  }, 240_000);
});
