/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { queryRows } from '../../src/db/client.js';
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
 * A participant record in the browser, as staff go live: the Start of programme summary, every
 * Change page (name, email, working pattern by keyboard, funding route with two people editing at
 * once, the DfE registration and employment confirmations that start the enrolment, 2.3.2), each
 * after an error, and Record commencement sent twice from two tabs. Each page is checked at phone
 * and desktop sizes when first seen (axe WCAG 2.2 AA, no sideways scrolling, error links that lead
 * somewhere, landmarks), and each error and success state at the phone size.
 */
let world: BrowserWorld;
const TEAM = 'programme.team@demo.npq-ops.test';

async function rows<T>(query: ReturnType<typeof sql>): Promise<T[]> {
  return queryRows<T>(world.database.db, query);
}

beforeAll(async () => {
  world = await startBrowserWorld({ participants: 20 });
});
afterAll(async () => {
  await world?.close();
});

interface Someone {
  participantId: number;
  enrolmentId: number;
  cohortName: string;
  name: string;
}

/** A participant's enrolment as it is just after an import: accepted, nothing confirmed. */
async function justImported(where: ReturnType<typeof sql>): Promise<Someone> {
  const [row] = await rows<Someone>(
    sql`select e.participant_id as "participantId", e.id as "enrolmentId", c.name as "cohortName",
               p.full_name as name
        from enrolment e join participant p on p.id = e.participant_id join cohort c on c.id = e.cohort_id
        where e.status = 'active' and ${where} order by e.id limit 1`,
  );
  await world.database.db.execute(
    sql`update enrolment set status = 'accepted', commenced_at = null where id = ${row!.enrolmentId}`,
  );
  await world.database.db.execute(
    sql`update participant set dfe_registration_confirmed = false, employment_confirmed = false
        where id = ${row!.participantId}`,
  );
  return row!;
}

/** Follows a summary list's Change link (its hidden text names the row) to the change page. */
async function openChange(page: Page, hidden: string, title: string): Promise<void> {
  await page.getByRole('link', { name: `Change ${hidden}`, exact: true }).click();
  await shown(page.getByRole('heading', { level: 1, name: title }));
  await checkPageAtBothSizes(page);
}

async function save(page: Page): Promise<void> {
  await page.getByRole('button', { name: 'Save', exact: true }).click();
}

describe('a participant record: start of programme and its Change pages (phone)', () => {
  let context: BrowserContext;
  let page: Page;
  let someone: Someone;
  let record: string;
  beforeAll(async () => {
    someone = await justImported(sql`p.email = 'participant2@demo.npq-ops.test'`);
    record = `/participants/${someone.participantId}`;
    ({ context, page } = await world.newPage(PHONE));
    await world.signIn(page, TEAM);
  });
  afterAll(async () => {
    await context?.close();
  });

  it('shows the start of programme: nothing confirmed yet', async () => {
    await page.goto(record);
    await shown(page.getByRole('heading', { level: 2, name: 'Start of programme' }));
    await expect(page.getByTestId('start-of-programme').textContent()).resolves.toMatch(
      /Registered with the DfE\s*No/,
    );
    await checkPageAtBothSizes(page);
  });

  it('changes the name, after leaving it empty', async () => {
    await openChange(page, 'name', 'Change the name');
    await page.getByLabel('Full name').fill('');
    await save(page);
    await expectErrorSummary(page, 'Enter the full name');
    const newName = `${someone.name} Okonjo`;
    await page.getByLabel('Full name').fill(newName);
    await save(page);
    await page.waitForURL(/updated=name/);
    await expectSuccessBanner(page, 'Name changed');
    await shown(page.getByRole('heading', { level: 1, name: newName }));
  });

  it('changes the email address, after one in the wrong format', async () => {
    await openChange(page, 'email address', 'Change the email address');
    await page.getByLabel('Email address').fill('not an email');
    await save(page);
    await expectErrorSummary(page, /correct format/);
    await page.getByLabel('Email address').fill('p.okonjo@school.example');
    await save(page);
    await page.waitForURL(/updated=email/);
    await expectSuccessBanner(page, 'Email address changed: the participant now signs in with it');
  });

  it('changes the working pattern with the keyboard, after forgetting the fraction', async () => {
    await openChange(page, 'working pattern', 'Change the working pattern');
    await page.getByLabel('Full time').check();
    await page.getByLabel('Full time').focus();
    await page.keyboard.press('ArrowDown');
    await expect(page.getByLabel('Part time').isChecked()).resolves.toBe(true);
    await shown(page.getByLabel('Part-time fraction'));
    await page.getByLabel('Part-time fraction').fill('');
    await page.keyboard.press('Enter');
    await expectErrorSummary(page, 'Enter the part-time fraction');
    await page
      .locator('.govuk-error-summary')
      .getByRole('link', { name: 'Enter the part-time fraction' })
      .click();
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('partTimeFraction');
    await page.keyboard.type('0.6');
    await page.keyboard.press('Enter');
    await page.waitForURL(/updated=working-pattern/);
    await expectSuccessBanner(page, 'Working pattern changed');
    await expect(page.getByTestId('profile').textContent()).resolves.toContain('Part time (60%)');
  });

  it('changes the funding route; a change made meanwhile in another tab is not overwritten', async () => {
    await openChange(page, 'funding route', 'Change the funding route');
    const other = await context.newPage();
    await other.goto(`${record}/change/funding-route`);
    await other.getByLabel('Self-funded').check();
    await other.getByRole('button', { name: 'Save', exact: true }).click();
    await other.waitForURL(/updated=funding-route/);
    await other.close();
    await page.getByLabel('Paid by their trust').check();
    await save(page);
    await expectErrorSummary(page, /changed by someone else/);
    await expect(page.getByLabel('Paid by their trust').isChecked()).resolves.toBe(true);
    await page.getByRole('link', { name: 'Reload the record' }).click();
    await page.waitForURL((url) => !url.search);
    await expect(page.getByLabel('Self-funded').isChecked()).resolves.toBe(true);
    await page.getByLabel('Paid by their trust').check();
    await save(page);
    await page.waitForURL(/updated=funding-route/);
    await expectSuccessBanner(page, 'Funding route changed');
    await expect(page.getByTestId('profile').textContent()).resolves.toContain(
      'Paid by their trust',
    );
  });

  it('records both confirmations, and the enrolment starts on the second (2.3.2)', async () => {
    await openChange(
      page,
      'whether they are registered with the DfE',
      'Registered with the Department for Education?',
    );
    await page.getByLabel('Yes').check();
    await save(page);
    await page.waitForURL(/updated=dfe-registration/);
    await expectSuccessBanner(page, 'DfE registration recorded');
    await openChange(
      page,
      'whether their employment is confirmed',
      'Confirmation of employment submitted?',
    );
    await page.getByLabel('Yes').check();
    await save(page);
    await page.waitForURL(/updated=started/);
    await expectSuccessBanner(page, /the enrolment is now active \(Policy 2\.3\.2\)/);
    await expect(page.getByTestId('start-of-programme').textContent()).resolves.toMatch(
      /Employment confirmed\s*Yes/,
    );
  });

  it('records a commencement; the same form sent again from another tab is refused clearly', async () => {
    const other = await justImported(
      sql`p.email not like '%@demo.npq-ops.test' and p.id <> ${someone.participantId}`,
    );
    const commencePath = `/participants/${other.participantId}/enrolments/${other.enrolmentId}/commence`;
    const second = await context.newPage();
    await second.goto(commencePath);
    await page.goto(`/participants/${other.participantId}`);
    await shown(page.getByTestId('start-of-programme'));
    await page.getByRole('button', { name: `Record commencement of ${other.cohortName}` }).click();
    await shown(
      page.getByRole('heading', {
        level: 1,
        name: `Record that they have started ${other.cohortName}`,
      }),
    );
    await checkPageAtBothSizes(page);
    await page.getByLabel('Note (optional)').fill('Attended the induction day on 9 March.');
    await page.getByRole('button', { name: 'Record commencement' }).click();
    await page.waitForURL(/updated=commenced/);
    await expectSuccessBanner(page, 'Commencement recorded: the enrolment is now active');

    await second.getByRole('button', { name: 'Record commencement' }).click();
    await expectErrorSummary(second, /changed by someone else/);
    await shown(second.getByText('Someone changed this enrolment while you had this page open.'));
    await second.close();
  });
});
