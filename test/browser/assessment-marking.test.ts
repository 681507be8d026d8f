/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import {
  DESKTOP,
  PHONE,
  checkPage,
  expectErrorSummary,
  expectSuccessBanner,
  navigate,
  shown,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

/**
 * Issue 15 in a browser, with axe on every page: a participant uploads their assessment on a
 * phone during their window (a wrong file refused first), and the assessor marks it on a desktop
 * with check answers. Demo facts: participant1 has enrolment 1 in NPQSL 2025 (cohort 7), whose
 * first window is 22–29 September 2026.
 */
let world: BrowserWorld;

beforeAll(async () => {
  world = await startBrowserWorld({ now: new Date('2026-09-24T10:00:00Z') });
  const db = world.database.db;
  // Participant1 met 90% by the deadline; the demo assessor marks cohort 7.
  await db.execute(sql`
    insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
    select e.participant_id, a.id, a.kind, (c.engagement_deadline - 1)::timestamp + interval '10 hours',
           'staff', 'browser-' || e.id || '-' || a.id
    from enrolment e join cohort c on c.id = e.cohort_id
    join programme_activity a on a.programme_id = c.programme_id and a.required
    where e.id = 1 on conflict do nothing`);
  await db.execute(sql`
    insert into staff_assignment (user_id, cohort_id)
    select id, 7 from app_user where email = 'assessor@demo.npq-ops.test'`);
});
afterAll(async () => {
  await world?.close();
});

describe('assessment submission and marking', () => {
  it('the participant uploads on a phone; the assessor marks it on a desktop', async () => {
    const phone = await world.newPage(PHONE);
    await world.signIn(phone.page, 'participant1@demo.npq-ops.test');
    await phone.page.goto('/assessment');
    await shown(phone.page.getByLabel('Upload your assessment'));
    await expect(phone.page.getByText(/up to 20 MB/).count()).resolves.toBeGreaterThan(0);
    await checkPage(phone.page);

    await phone.page.getByLabel('Upload your assessment').setInputFiles({
      name: 'notes.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.from('not really a PDF'),
    });
    await phone.page.getByRole('button', { name: 'Upload and submit' }).click();
    await expectErrorSummary(phone.page, /notes\.pdf must be a PDF or a Word document/);

    await phone.page.getByLabel('Upload your assessment').setInputFiles({
      name: 'case-study.pdf',
      mimeType: 'application/pdf',
      buffer: Buffer.concat([Buffer.from('%PDF-1.7\n'), Buffer.alloc(4000, 0x20)]),
    });
    await phone.page.getByRole('button', { name: 'Upload and submit' }).click();
    await shown(phone.page.locator('.govuk-panel'));
    const reference = /ASM-\d+/.exec(
      (await phone.page.locator('.govuk-panel').textContent()) ?? '',
    )?.[0];
    expect(reference).toBeDefined();
    await checkPage(phone.page);
    await phone.context.close();

    const desktop = await world.newPage(DESKTOP);
    await world.signIn(desktop.page, 'assessor@demo.npq-ops.test');
    await navigate(desktop.page, 'Marking');
    await shown(desktop.page.getByRole('heading', { name: /To mark \(1\)/ }));
    await checkPage(desktop.page);
    await desktop.page
      .getByTestId('queue')
      .getByRole('link', { name: new RegExp(reference!) })
      .click();
    await shown(desktop.page.getByRole('heading', { name: `Submission ${reference}` }));
    await expect(desktop.page.getByTestId('download').getAttribute('href')).resolves.toMatch(
      /\/file$/,
    );
    await checkPage(desktop.page);

    await desktop.page.getByRole('button', { name: 'Continue' }).click();
    await expectErrorSummary(desktop.page, 'Select whether the submission passed or did not pass');
    await desktop.page.getByLabel('Passed', { exact: true }).check();
    await desktop.page
      .getByLabel('Feedback for the participant')
      .fill('A well-evidenced case study.');
    await desktop.page.getByRole('button', { name: 'Continue' }).click();
    await shown(desktop.page.getByRole('heading', { name: /Check your answers/ }));
    await checkPage(desktop.page);
    await desktop.page.getByTestId('confirm').click();
    await expectSuccessBanner(desktop.page, /Outcome recorded/);
    await desktop.context.close();
  }, 240_000);
});
