/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { BrowserContext, Page } from 'playwright-core';
import { fixedClock } from '../../src/clock.js';
import { queryRows } from '../../src/db/client.js';
import { DEFAULT_DEMO_NOW } from '../../src/db/seed/demo.js';
import { loadActor } from '../../src/services/actor.js';
import { inviteStaff } from '../../src/services/accounts/invitations.js';
import {
  DESKTOP,
  PHONE,
  checkPage,
  checkPageAtBothSizes,
  navigate,
  shown,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

/**
 * Staff going live, in the browser: the programme team assigns a coach, an assessor and a
 * facilitator; the coach and the assessor see their work; a participant's Start of programme and
 * every Change page (an error first, then a change and its banner) and Record commencement. Each
 * page is checked at phone and desktop sizes when first seen (axe WCAG 2.2 AA, no sideways
 * scrolling, error links that lead somewhere), and each error and success state at the size in
 * use. The organisation pages are in admin-organisation.test.ts.
 */
let world: BrowserWorld;
const TEAM = 'programme.team@demo.npq-ops.test';

interface Npqel {
  participantId: number;
  enrolmentId: number;
  cohortId: number;
  cohortName: string;
  name: string;
}
let npqel: Npqel;
let facilitatorName: string;

async function rows<T>(query: ReturnType<typeof sql>): Promise<T[]> {
  return queryRows<T>(world.database.db, query);
}

beforeAll(async () => {
  world = await startBrowserWorld({ participants: 30 });
  const [el] = await rows<Npqel>(
    sql`select e.participant_id as "participantId", e.id as "enrolmentId", e.cohort_id as "cohortId",
               c.name as "cohortName", p.full_name as name
        from enrolment e join cohort c on c.id = e.cohort_id join programme pr on pr.id = c.programme_id
        join participant p on p.id = e.participant_id
        where pr.coaching_entitled and e.status = 'active' order by e.id limit 1`,
  );
  npqel = el!;
  // A participant without a coach yet, so the page offers "Assign".
  await world.database.db.execute(
    sql`delete from staff_assignment where participant_id = ${npqel.participantId}`,
  );
  // The demo has no facilitator: the programme team invites one (they need no password to be
  // assigned).
  const [team] = await rows<{ id: number }>(sql`select id from app_user where email = ${TEAM}`);
  facilitatorName = 'Farah Facilitator';
  await inviteStaff(
    {
      db: world.database.db,
      clock: fixedClock(DEFAULT_DEMO_NOW),
      publicUrl: world.baseUrl,
    },
    (await loadActor(world.database.db, team!.id))!,
    { name: facilitatorName, email: 'farah@ambition.example', role: 'facilitator' },
  );
});
afterAll(async () => {
  await world?.close();
});

/** Waits for a form to come back with its error summary focused, and checks the page. */
async function expectErrorSummary(page: Page, message: string | RegExp): Promise<void> {
  await shown(page.locator('.govuk-error-summary').getByRole('link', { name: message }));
  await page.waitForFunction(() =>
    document.activeElement?.classList.contains('govuk-error-summary'),
  );
  await expect(page.title()).resolves.toMatch(/^Error: /);
  await checkPage(page);
}

/** The success banner after a change. */
async function expectBanner(page: Page, text: string | RegExp): Promise<void> {
  await shown(page.locator('.govuk-notification-banner--success').getByText(text));
  await checkPage(page);
}

describe('the programme team assigns staff (phone)', () => {
  let context: BrowserContext;
  let page: Page;
  beforeAll(async () => {
    ({ context, page } = await world.newPage(PHONE));
    await world.signIn(page, TEAM);
  });
  afterAll(async () => {
    await context?.close();
  });

  it('assigns a coach to an NPQEL participant, after choosing no one', async () => {
    await navigate(page, 'Assignments');
    await shown(page.getByRole('heading', { level: 2, name: 'Coaching' }));
    await checkPageAtBothSizes(page);

    // Filter by the participant's cohort, then assign their coach: nothing chosen first.
    await page.getByLabel('Cohort').selectOption(String(npqel.cohortId));
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/cohortId=/);
    await checkPage(page);
    await page.getByRole('link', { name: `Assign coach for ${npqel.name}` }).click();
    await shown(page.getByRole('heading', { level: 1, name: `Coach for ${npqel.name}` }));
    await shown(page.getByText('No coach yet.'));
    await checkPageAtBothSizes(page);
    await page.getByRole('button', { name: 'Assign a coach' }).click();
    await expectErrorSummary(page, 'Choose a coach');
    await page
      .locator('.govuk-error-summary')
      .getByRole('link', { name: 'Choose a coach' })
      .click();
    await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe('userId');
    // Keyboard: the focused select takes the first person with the arrow key.
    await page.keyboard.press('ArrowDown');
    await expect(page.getByLabel('Coach', { exact: true }).inputValue()).resolves.not.toBe('');
    await page
      .getByLabel('Coach', { exact: true })
      .selectOption({ label: 'Demo Coach (coach@demo.npq-ops.test)' });
    await page.getByRole('button', { name: 'Assign a coach' }).click();
    await page.waitForURL(/notice=coach-assigned/);
    await expectBanner(page, 'Coach assigned');
  });

  it('adds an assessor to a cohort, after choosing no one', async () => {
    await page.getByRole('link', { name: 'Assessors', exact: true }).click();
    await page.waitForURL(/\/assignments\/assessors$/);
    await shown(page.getByRole('heading', { level: 2, name: 'Assessors' }));
    await checkPageAtBothSizes(page);

    await page.getByRole('link', { name: `Add an assessor to ${npqel.cohortName}` }).click();
    await shown(
      page.getByRole('heading', { level: 1, name: `Add an assessor to ${npqel.cohortName}` }),
    );
    await checkPageAtBothSizes(page);
    await page.getByRole('button', { name: 'Assign an assessor' }).click();
    await expectErrorSummary(page, 'Choose an assessor');
    await page
      .getByLabel('Assessor', { exact: true })
      .selectOption({ label: 'Demo Assessor (assessor@demo.npq-ops.test)' });
    await page.getByRole('button', { name: 'Assign an assessor' }).click();
    await page.waitForURL(/notice=assessor-assigned/);
    await expectBanner(page, 'Assessor added');
    const remove = page.getByRole('button', {
      name: `Remove Demo Assessor from ${npqel.cohortName}`,
    });
    await shown(remove);
  });

  it('adds a facilitator to an event, after choosing no one', async () => {
    await page.getByRole('link', { name: 'Facilitators', exact: true }).click();
    await page.waitForURL(/\/assignments\/facilitators$/);
    await page.getByLabel('Cohort').selectOption(String(npqel.cohortId));
    await page.getByRole('button', { name: 'Show' }).click();
    await page.waitForURL(/cohortId=/);
    await checkPageAtBothSizes(page);
    const add = page.getByRole('link', { name: /^Add a facilitator to / }).first();
    const event = (await add.textContent())!.replace(/^Add a facilitator to /, '').trim();
    await add.click();
    await shown(page.getByRole('heading', { level: 1, name: /^Add a facilitator to / }));
    await checkPageAtBothSizes(page);
    await page.getByRole('button', { name: 'Assign a facilitator' }).click();
    await expectErrorSummary(page, 'Choose a facilitator');
    await page
      .getByLabel('Facilitator', { exact: true })
      .selectOption({ label: `${facilitatorName} (farah@ambition.example)` });
    await page.getByRole('button', { name: 'Assign a facilitator' }).click();
    await page.waitForURL(/notice=facilitator-assigned/);
    await expectBanner(page, 'Facilitator added');
    await shown(page.getByRole('button', { name: `Remove ${facilitatorName} from ${event}` }));
  });
});

describe('the coach and the assessor see their work (desktop)', () => {
  it('My coaching lists the participant and records a session that took place', async () => {
    const [coach] = await rows<{ id: number }>(
      sql`select id from app_user where email = 'coach@demo.npq-ops.test'`,
    );
    // A coaching session that has taken place (booked by the participant before today).
    await world.database.db.execute(
      sql`insert into coaching_session (enrolment_id, participant_id, coach_user_id, activity_id, starts_at, ends_at)
          select e.id, e.participant_id, ${coach!.id}, a.id, '2026-03-12T10:00:00Z', '2026-03-12T11:00:00Z'
          from enrolment e join cohort c on c.id = e.cohort_id
          join programme_activity a on a.programme_id = c.programme_id and a.kind = 'coaching'
          where e.id = ${npqel.enrolmentId} order by a.position desc limit 1`,
    );
    const { context, page } = await world.newPage(DESKTOP);
    await world.signIn(page, 'coach@demo.npq-ops.test');
    await navigate(page, 'My coaching');
    await shown(page.getByRole('heading', { level: 1, name: 'My coaching' }));
    await shown(page.getByRole('link', { name: npqel.name }));
    await checkPageAtBothSizes(page);
    await page
      .getByRole('button', { name: new RegExp(`^Record as attended\\s*: ${npqel.name}`) })
      .click();
    await page.waitForURL(/notice=attended/);
    await expectBanner(page, 'Coaching session recorded as attended');
    await context.close();
  });

  it('Marking lists the cohort they were added to and its submissions', async () => {
    const { context, page } = await world.newPage(DESKTOP);
    await world.signIn(page, 'assessor@demo.npq-ops.test');
    await navigate(page, 'Marking');
    await shown(page.getByRole('heading', { level: 1, name: 'Marking' }));
    await shown(
      page
        .getByRole('region', { name: 'My cohorts' })
        .getByRole('link', { name: npqel.cohortName }),
    );
    await checkPageAtBothSizes(page);
    await page.getByRole('link', { name: 'Show all submissions' }).click();
    await page.waitForURL(/show=all/);
    await shown(page.getByText('Showing all submissions.'));
    await checkPageAtBothSizes(page);
    await context.close();
  });
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
    await expectBanner(page, 'Name changed');
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
    await expectBanner(page, 'Email address changed: the participant now signs in with it');
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
    await expectBanner(page, 'Working pattern changed');
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
    await expectBanner(page, 'Funding route changed');
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
    await expectBanner(page, 'DfE registration recorded');
    await openChange(
      page,
      'whether their employment is confirmed',
      'Confirmation of employment submitted?',
    );
    await page.getByLabel('Yes').check();
    await save(page);
    await page.waitForURL(/updated=started/);
    await expectBanner(page, /the enrolment is now active \(Policy 2\.3\.2\)/);
    await expect(page.getByTestId('start-of-programme').textContent()).resolves.toMatch(
      /Employment confirmed\s*Yes/,
    );
  });

  it('records a commencement; the same form sent again from another tab is refused clearly', async () => {
    const other = await justImported(
      sql`p.email not like '%@demo.npq-ops.test' and p.id <> ${someone.participantId}
          and e.participant_id <> ${npqel.participantId}`,
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
    await expectBanner(page, 'Commencement recorded: the enrolment is now active');

    await second.getByRole('button', { name: 'Record commencement' }).click();
    await expectErrorSummary(second, /changed by someone else/);
    await shown(second.getByText('Someone changed this enrolment while you had this page open.'));
    await second.close();
  });
});
