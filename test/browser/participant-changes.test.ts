/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import {
  DESKTOP,
  PHONE,
  startBrowserWorld,
  checkPage,
  navigate,
  shown,
  type BrowserWorld,
} from './harness.js';

let world: BrowserWorld;
beforeAll(async () => {
  world = await startBrowserWorld();
});
afterAll(async () => {
  await world?.close();
});

describe.each([
  ['phone', PHONE, 'participant1@demo.npq-ops.test', 0],
  ['desktop', DESKTOP, 'participant4@demo.npq-ops.test', 1],
] as const)('changes and assessment on a %s', (_name, viewport, email, schoolIndex) => {
  it('sees eligibility and consequences first, then asks to defer, checks the answers and sends once', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, email);
    await navigate(page, 'Changes');
    await shown(page.getByRole('heading', { level: 1, name: 'Changes' }));
    await checkPage(page);
    await page.getByRole('link', { name: 'Ask to defer your place' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'Ask to defer your place' }));
    await shown(page.getByRole('heading', { name: 'Can you defer?' }));
    await shown(page.getByText(/Your provisional re-joining date is/));
    await shown(page.getByRole('link', { name: '(Policy 2.5.1)' }));
    await checkPage(page);

    // The date defaults to today; leave out what happened to see the error summary.
    await page.getByRole('button', { name: 'Continue' }).click();
    await shown(page.locator('.govuk-error-summary'));
    await expect(page.title()).resolves.toMatch(/^Error: /);
    await checkPage(page);
    await page
      .locator('.govuk-error-summary')
      .getByRole('link', { name: 'Select what has happened' })
      .click();
    await page.getByLabel('Illness or a health-related issue').check();
    await page.getByLabel('Tell us more').fill('An operation and six weeks of recovery.');
    await page.getByRole('button', { name: 'Continue' }).click();
    await shown(
      page.getByRole('heading', {
        level: 1,
        name: 'Check your answers before sending your request',
      }),
    );
    await checkPage(page);
    // Change an answer: back at the question with the answers kept.
    await page.getByRole('button', { name: 'Change what has happened' }).click();
    await expect(page.getByLabel('Illness or a health-related issue').isChecked()).resolves.toBe(
      true,
    );
    await page.getByLabel('Bereavement').check();
    await page.getByRole('button', { name: 'Continue' }).click();
    await shown(page.getByText('Bereavement', { exact: true }));
    // What the browser sends, to send it again as Back and "Confirm form resubmission" would.
    const fields = await page
      .locator('form[action="/changes/deferral/send"]')
      .evaluate((form) =>
        Object.fromEntries(
          Array.from(form.querySelectorAll('input')).map((input) => [input.name, input.value]),
        ),
      );
    await page.getByRole('button', { name: 'Send deferral request' }).click();
    await shown(page.locator('.govuk-panel--confirmation').getByText('Deferral request sent'));
    await shown(page.getByText(/^DC-\d+$/));
    await shown(page.getByRole('heading', { name: 'What happens next' }));
    await checkPage(page);
    const confirmationUrl = page.url();
    // Back to the check page and Send again: the same request, not a second one.
    const again = await page.request.post('/changes/deferral/send', { form: fields });
    expect(again.url()).toBe(confirmationUrl);
    const cases = await queryRows<{ n: number }>(
      world.database.db,
      sql`select count(*)::int as n from deferral_case d join participant p on p.id = d.participant_id
          where p.email = ${email}`,
    );
    expect(cases[0]?.n).toBe(1);
    await context.close();
  }, 180_000);

  it('tells us about a school move', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, email);
    await page.goto('/changes');
    await page.getByRole('link', { name: 'Tell us you moved school' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'Tell us you moved school' }));
    await checkPage(page);
    const schools = await queryRows<{ urn: string; name: string }>(
      world.database.db,
      sql`select s.urn, s.name from school s join lead_provider_region lr on lr.region_id = s.region_id
          order by s.id offset 5 limit 2`,
    );
    const school = schools[schoolIndex]!;
    await page.getByLabel("Your new school's URN").fill(school.urn);
    await page.getByLabel('Day').fill('2');
    await page.getByLabel('Month').fill('3');
    await page.getByLabel('Year').fill('2026');
    await page.getByRole('button', { name: 'Continue' }).click();
    await shown(
      page.getByRole('heading', { level: 1, name: 'Check your answers before telling us' }),
    );
    await checkPage(page);
    await page.getByRole('button', { name: 'Tell us about my move' }).click();
    await shown(page.locator('.govuk-panel--confirmation').getByText('School move recorded'));
    await shown(page.getByText(`Thank you for telling us you moved to ${school.name}`));
    await checkPage(page);
    await context.close();
  }, 180_000);

  it('sees the assessment window, attempts and eligibility, and why an assessment deferral is not open now', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, email);
    await navigate(page, 'Assessment');
    await shown(page.getByRole('heading', { level: 1, name: 'Assessment' }));
    await shown(page.getByText('2 of 2'));
    await shown(page.getByTestId('eligibility-outcome'));
    await checkPage(page);
    await page.getByRole('link', { name: 'Ask for an assessment deferral' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'Ask for an assessment deferral' }));
    // Not allowed before the window: the reason first and what to do instead, no form.
    await shown(page.getByText('You cannot ask for an assessment deferral at the moment'));
    await shown(page.getByText(/An assessment deferral is for during or after the window/));
    await expect(page.getByLabel('Bereavement').count()).resolves.toBe(0);
    await checkPage(page);
    await context.close();
  });
});

describe('pages that are not there', () => {
  it("answers another participant's session with the accessible 404 page", async () => {
    const [other] = await queryRows<{ id: number }>(
      world.database.db,
      sql`select a.id from programme_activity a join programme p on p.id = a.programme_id
          join course c on c.id = p.course_id
          where a.kind = 'study_session' and c.identifier = 'npq-headship' limit 1`,
    );
    const { context, page } = await world.newPage(PHONE);
    await world.signIn(page, 'participant5@demo.npq-ops.test');
    const response = await page.goto(`/sessions/${other!.id}`);
    expect(response?.status()).toBe(404);
    await shown(page.getByRole('heading', { level: 1, name: 'Page not found' }));
    await checkPage(page);
    await context.close();
  });
});
