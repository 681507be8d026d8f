/// <reference lib="dom" />
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import {
  DESKTOP,
  PHONE,
  checkPage,
  navigate,
  shown,
  startBrowserWorld,
  type BrowserWorld,
} from './harness.js';

/**
 * Accounts from end to end, in the browser: an admin invites a partner member of staff, the email
 * waits in the mailbox, its link sets a password, they sign in; a used link, a forgotten password,
 * and the admin's account page (change, deactivate). Every page: axe WCAG 2.2 AA, no sideways
 * scrolling, at phone and desktop sizes.
 */
let world: BrowserWorld;
beforeAll(async () => {
  world = await startBrowserWorld({ participants: 10 });
});
afterAll(async () => {
  await world?.close();
});

const ADMIN = 'admin@demo.npq-ops.test';
const GOOD_PASSWORD = 'kettle orchard lantern pebble';

/**
 * A form came back with errors: the GOV.UK error summary has the focus, the title says "Error:",
 * and its link moves the focus to the field.
 */
async function expectErrorLinkingTo(page: Page, message: string | RegExp, fieldId: string) {
  const summary = page.locator('.govuk-error-summary');
  const link = summary.getByRole('link', { name: message });
  await shown(link);
  await page.waitForFunction(() =>
    document.activeElement?.classList.contains('govuk-error-summary'),
  );
  await expect(page.title()).resolves.toMatch(/^Error: /);
  await expect(link.getAttribute('href')).resolves.toBe(`#${fieldId}`);
  await checkPage(page);
  await link.click();
  await expect(page.evaluate(() => document.activeElement?.id)).resolves.toBe(fieldId);
}

/** Opens the newest email to someone in the mailbox and returns the address of its link. */
async function linkInMailbox(page: Page, to: string, subject: string): Promise<string> {
  await navigate(page, 'Administration');
  await page.getByRole('main').getByRole('link', { name: 'Mailbox', exact: true }).click();
  await shown(page.getByRole('heading', { level: 1, name: 'Mailbox' }));
  await page.getByLabel('Recipient’s email address').fill(to);
  await page.getByRole('button', { name: 'Show emails' }).click();
  await page.waitForURL(/\/admin\/mailbox\?to=/);
  await shown(page.getByTestId('not-sending'));
  await expect(page.getByTestId('result-count').textContent()).resolves.toContain(to);
  await checkPage(page);
  const email = page.getByTestId('email').filter({ hasText: subject }).first();
  const link = email.getByTestId('email-body').getByRole('link');
  const href = (await link.getAttribute('href'))!;
  expect(href.startsWith(world.baseUrl)).toBe(true);
  await link.click();
  await page.waitForURL(href);
  return href;
}

async function signInWith(page: Page, email: string, password: string) {
  await page.getByLabel('Email address').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
}

describe.each([
  ['phone', PHONE, 'kim.okafor@north-star.example', 'Kim Okafor'],
  ['desktop', DESKTOP, 'lee.marsh@north-star.example', 'Lee Marsh'],
] as const)('accounts on a %s', (_name, viewport, email, name) => {
  let accountPath = '';
  let invitationLink = '';

  it('an admin invites a partner member of staff: a duplicate email first, then the invitation', async () => {
    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, ADMIN);
    await navigate(page, 'Administration');
    await shown(page.getByRole('heading', { level: 1, name: 'Administration' }));
    await checkPage(page);
    await page.getByRole('main').getByRole('link', { name: 'Accounts', exact: true }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'Accounts' }));
    await checkPage(page);

    // Search the list, as someone looking for a colleague would.
    await page.getByLabel('Search by name or email').fill('partner.north');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(/q=partner\.north/);
    await shown(page.getByRole('link', { name: 'North Star Partner' }));
    await checkPage(page);

    await page.getByRole('link', { name: 'Invite a member of staff' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'Invite a member of staff' }));
    await checkPage(page);
    await page.getByLabel('Full name').fill(name);
    await page.getByLabel('Email address').fill('partner.north@demo.npq-ops.test');
    await page.getByLabel('Delivery partner staff').check();
    // The partner select is revealed under the role.
    await page
      .getByLabel('Delivery partner', { exact: true })
      .selectOption({ label: 'North Star Teaching School Hub' });
    await checkPage(page);
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await expectErrorLinkingTo(page, /already/i, 'email');
    // What they chose is kept.
    await expect(page.getByLabel('Full name').inputValue()).resolves.toBe(name);
    await expect(page.getByLabel('Delivery partner staff').isChecked()).resolves.toBe(true);

    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Send invitation' }).click();
    await page.waitForURL(/\/admin\/accounts\/\d+\/invited$/);
    await shown(page.getByRole('heading', { level: 1, name: 'Invitation sent' }));
    await expect(page.locator('.govuk-panel').textContent()).resolves.toMatch(/ACC-\d+/);
    await expect(page.locator('main').textContent()).resolves.toContain(email);
    await checkPage(page);
    await page.getByRole('link', { name: 'View their account' }).click();
    await page.waitForURL(/\/admin\/accounts\/\d+$/);
    accountPath = new URL(page.url()).pathname;
    await shown(page.getByText('Invited (no password set yet)'));
    await checkPage(page);

    invitationLink = await linkInMailbox(page, email, 'You have been invited to npq-ops');
    expect(new URL(invitationLink).pathname).toMatch(/^\/account\/set-password\//);
    await context.close();
  });

  it('they set a password from the link (too short, then common, then good) and sign in', async () => {
    const { context, page } = await world.newPage(viewport);
    await page.goto(invitationLink);
    await shown(page.getByRole('heading', { level: 1, name: 'Create your password' }));
    await expect(page.locator('main').textContent()).resolves.toContain(email);
    await checkPage(page);

    await page.getByLabel('New password', { exact: true }).fill('short');
    await page.getByLabel('Enter the new password again').fill('short');
    await page.getByRole('button', { name: 'Save password' }).click();
    await expectErrorLinkingTo(page, /at least 12 characters/, 'password');

    await page.getByLabel('New password', { exact: true }).fill('qwerty123456');
    await page.getByLabel('Enter the new password again').fill('qwerty123456');
    await page.getByRole('button', { name: 'Save password' }).click();
    await expectErrorLinkingTo(page, /common/i, 'password');

    await page.getByLabel('New password', { exact: true }).fill(GOOD_PASSWORD);
    await page.getByLabel('Enter the new password again').fill(GOOD_PASSWORD);
    await page.getByRole('button', { name: 'Save password' }).click();
    await page.waitForURL(/\/account\/password-set/);
    await shown(page.getByRole('heading', { level: 1, name: 'Password saved' }));
    await checkPage(page);

    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/sign-in/);
    await signInWith(page, email, GOOD_PASSWORD);
    await shown(page.getByRole('button', { name: 'Sign out' }));
    await shown(page.locator('.app-sign-out').getByText(name));
    await checkPage(page);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.waitForURL('**/sign-in');

    // The same link again: a page that says so and how to get a new one.
    const again = await page.goto(invitationLink);
    expect(again?.status()).toBe(410);
    await shown(page.getByRole('heading', { level: 1, name: 'This link has already been used' }));
    await shown(page.getByRole('heading', { name: 'How to get a new link' }));
    await checkPage(page);
    await context.close();
  });

  it('they forget their password: one answer, then a reset link from the mailbox', async () => {
    const { context, page } = await world.newPage(viewport);
    await page.goto('/sign-in');
    await page.getByRole('link', { name: 'Forgotten your password?' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'Forgotten your password?' }));
    await checkPage(page);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await expectErrorLinkingTo(page, 'Enter your email address', 'email');
    await page.getByLabel('Email address').fill(email);
    await page.getByRole('button', { name: 'Send the link' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'Check your email' }));
    const answer = await page.locator('main').textContent();
    await checkPage(page);

    // Someone without an account gets the same answer, only their own address differs.
    await page.goto('/forgotten-password');
    await page.getByLabel('Email address').fill('nobody.here@example.com');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'Check your email' }));
    const other = await page.locator('main').textContent();
    expect(other!.replace('nobody.here@example.com', email)).toBe(answer);

    // The admin reads the email in the mailbox (no Notify here); its link resets the password.
    const admin = await world.newPage(viewport);
    await world.signIn(admin.page, ADMIN);
    const resetLink = await linkInMailbox(admin.page, email, 'Reset your npq-ops password');
    await admin.context.close();
    expect(new URL(resetLink).pathname).toMatch(/^\/account\/reset-password\//);
    await page.goto(resetLink);
    await shown(page.getByRole('heading', { level: 1, name: 'Choose a new password' }));
    await checkPage(page);
    await page.getByLabel('New password', { exact: true }).fill(`${GOOD_PASSWORD} again`);
    await page.getByLabel('Enter the new password again').fill(`${GOOD_PASSWORD} agian`);
    await page.getByRole('button', { name: 'Save password' }).click();
    await expectErrorLinkingTo(page, /do not match/, 'confirmPassword');
    await page.getByLabel('New password', { exact: true }).fill(`${GOOD_PASSWORD} again`);
    await page.getByLabel('Enter the new password again').fill(`${GOOD_PASSWORD} again`);
    await page.getByRole('button', { name: 'Save password' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'Password saved' }));
    await shown(page.getByText('Anyone signed in to your account before has been signed out.'));
    await checkPage(page);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL(/\/sign-in/);
    await signInWith(page, email, `${GOOD_PASSWORD} again`);
    await shown(page.getByRole('button', { name: 'Sign out' }));
    await context.close();
  });

  it('the admin changes their partner, then deactivates the account after a confirm step', async () => {
    const them = await world.newPage(viewport);
    await them.page.goto('/sign-in');
    await signInWith(them.page, email, `${GOOD_PASSWORD} again`);

    const { context, page } = await world.newPage(viewport);
    await world.signIn(page, ADMIN);
    await page.goto(accountPath);
    await shown(page.getByRole('heading', { level: 1, name }));
    await checkPage(page);

    // A partner member of staff without a partner: the field says so.
    await page.getByLabel('Delivery partner', { exact: true }).selectOption('');
    await page.getByRole('button', { name: 'Save changes' }).click();
    await expectErrorLinkingTo(page, /delivery partner/i, 'deliveryPartnerId');
    await page
      .getByLabel('Delivery partner', { exact: true })
      .selectOption({ label: 'South Coast Teaching School Hub' });
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(/notice=changed/);
    await shown(page.getByText('Account changed'));
    await expect(page.locator('.govuk-summary-list').first().textContent()).resolves.toContain(
      'South Coast Teaching School Hub',
    );
    await checkPage(page);

    // Then a role change: the partner field is hidden once the role is not partner staff.
    await page.getByLabel('Programme team').check();
    await expect(page.getByLabel('Delivery partner', { exact: true }).isVisible()).resolves.toBe(
      false,
    );
    await page.getByRole('button', { name: 'Save changes' }).click();
    await page.waitForURL(/notice=changed/);
    await expect(page.locator('.govuk-summary-list').first().textContent()).resolves.toContain(
      'Programme team',
    );

    await page.getByRole('link', { name: 'Deactivate account' }).click();
    await page.waitForURL(/\/deactivate$/);
    await shown(page.getByRole('heading', { level: 1, name: `Deactivate ${name}’s account?` }));
    await checkPage(page);
    // Cancel goes back without changing anything; then do it for real.
    await page.getByRole('link', { name: 'Cancel' }).click();
    await page.waitForURL((url) => url.pathname === accountPath);
    await page.getByRole('link', { name: 'Deactivate account' }).click();
    await page.getByRole('button', { name: 'Yes, deactivate the account' }).click();
    await page.waitForURL(/notice=deactivated/);
    await shown(page.getByText('Account deactivated'));
    await shown(page.getByRole('link', { name: 'Reactivate account' }));
    await checkPage(page);

    // Their session ends at once.
    await them.page.reload();
    await them.page.waitForURL(/\/sign-in/);
    await them.context.close();

    await page.getByRole('link', { name: 'Reactivate account' }).click();
    await shown(page.getByRole('heading', { level: 1, name: `Reactivate ${name}’s account?` }));
    await checkPage(page);
    await page.getByRole('button', { name: 'Yes, reactivate the account' }).click();
    await page.waitForURL(/notice=reactivated/);
    await shown(page.getByText('Account reactivated'));
    await context.close();
  });
});

describe('too many attempts', () => {
  it('asking for reset links again and again gets a page that says how long to wait', async () => {
    const { context, page } = await world.newPage(PHONE);
    await page.goto('/forgotten-password');
    for (let i = 0; i < 10; i += 1) {
      await page.request.post('/forgotten-password', { form: { email: 'x@example.com' } });
    }
    await page.getByLabel('Email address').fill('someone@example.com');
    await page.getByRole('button', { name: 'Send the link' }).click();
    await shown(page.getByRole('heading', { level: 1, name: 'Too many attempts' }));
    await shown(page.getByText(/Wait \d+ minutes?, then try again/));
    await checkPage(page);
    await page.setViewportSize(DESKTOP);
    await checkPage(page);
    await context.close();
  });
});
