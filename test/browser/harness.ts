/// <reference lib="dom" />
import {
  chromium,
  type Browser,
  type BrowserContext,
  type Locator,
  type Page,
} from 'playwright-core';
import axe from 'axe-core';
import type { FastifyInstance } from 'fastify';
import { createServer } from 'node:net';
import { expect } from 'vitest';
import { createApp } from '../../src/app.js';
import { fixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import type { PGlite } from '@electric-sql/pglite';
import { openPgliteMemory, usePglite, type Database } from '../../src/db/client.js';
import { migrate } from '../../src/db/migrate.js';
import { DEFAULT_DEMO_NOW, DEMO_PASSWORD, seedDemo } from '../../src/db/seed/demo.js';
import { restoreSnapshot, takeSnapshot, type Snapshot } from './database-snapshot.js';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export const PHONE = { width: 375, height: 667 } as const;
export const DESKTOP = { width: 1280, height: 900 } as const;

/** The app on a real port over an in-memory demo database, and a Chromium to drive it. */
export interface BrowserWorld {
  baseUrl: string;
  app: FastifyInstance;
  database: Database;
  browser: Browser;
  newPage(viewport?: {
    width: number;
    height: number;
  }): Promise<{ context: BrowserContext; page: Page }>;
  signIn(page: Page, email: string): Promise<void>;
  close(): Promise<void>;
}

export async function startBrowserWorld(
  options: { participants?: number; env?: Record<string, string>; now?: Date } = {},
): Promise<BrowserWorld> {
  const database = await demoDatabase(options.participants ?? 40);
  const { app, baseUrl } = await listenOnFreePort(database, options);
  const browser = await workerBrowser();
  return {
    baseUrl,
    app,
    database,
    browser,
    async newPage(viewport = DESKTOP) {
      const context = await browser.newContext({
        viewport,
        baseURL: baseUrl,
        timezoneId: 'Europe/London',
        locale: 'en-GB',
      });
      return { context, page: await context.newPage() };
    },
    async signIn(page, email) {
      await page.goto('/sign-in');
      await page.getByLabel('Email address').fill(email);
      await page.getByLabel('Password').fill(DEMO_PASSWORD);
      await page.getByRole('button', { name: 'Sign in' }).click();
      await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'));
    },
    async close() {
      // The worker's Chromium stays for its next file; nothing this file opened in it does.
      await Promise.all(browser.contexts().map((context) => context.close()));
      await app.close();
      // The worker's database stays open for its next file, which puts its tables back first.
    },
  };
}

/**
 * One Chromium per worker (the config keeps a worker's modules from file to file): launching it
 * took 2 to 3 s per file on a busy machine. Every page still has a browser context of its own, and
 * a file's contexts are closed when it ends. Playwright ends the browser when the worker exits. If
 * it has gone (a crash), the next file launches another.
 */
let launched: Promise<Browser> | undefined;

async function workerBrowser(): Promise<Browser> {
  const current = await launched?.catch(() => undefined);
  if (current?.isConnected()) return current;
  launched = chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  return launched;
}

/**
 * One in-memory database per worker (the config keeps a worker's modules from file to file), with
 * a snapshot of the migrated, empty tables and one of each demo size seeded so far. Each file gets
 * the demo it asks for by putting every table and sequence back to that snapshot
 * (database-snapshot.ts), which takes a fraction of a second; opening, migrating and seeding a new
 * database took 10 to 25 s per file on a busy machine (docs/readme/browser-speed.md). Nothing a file
 * wrote is left for the next one.
 */
interface WorkerDatabase {
  client: PGlite;
  database: Database;
  migrated: Snapshot;
  seeded: Map<number, Snapshot>;
}
let workerDatabase: Promise<WorkerDatabase> | undefined;

async function openWorkerDatabase(): Promise<WorkerDatabase> {
  const client = await openPgliteMemory();
  const database = await usePglite(client);
  await migrate(database.db);
  const migrated = await takeSnapshot(client, 'browser_snapshot_migrated');
  return { client, database, migrated, seeded: new Map() };
}

async function demoDatabase(participants: number): Promise<Database> {
  workerDatabase ??= openWorkerDatabase();
  const worker = await workerDatabase;
  const seeded = worker.seeded.get(participants);
  if (seeded) {
    await restoreSnapshot(worker.client, seeded);
  } else {
    await restoreSnapshot(worker.client, worker.migrated);
    // seedDemo seeds the catalogue first, in the same transaction.
    await seedDemo(worker.database.db, { participants, withUsers: true, now: DEFAULT_DEMO_NOW });
    worker.seeded.set(
      participants,
      await takeSnapshot(worker.client, `browser_snapshot_${participants}`),
    );
  }
  return worker.database;
}

/**
 * The app listening on a port of its own. The port is chosen first so the links in emails
 * (PUBLIC_URL) lead back to this very server; two journey files run at once, so if the other one
 * takes the port in between, this one tries another.
 */
async function listenOnFreePort(
  database: Database,
  options: { env?: Record<string, string>; now?: Date },
): Promise<{ app: FastifyInstance; baseUrl: string }> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    // localhost (not 127.0.0.1) so Chromium treats http as a secure context and keeps Secure cookies.
    const baseUrl = `http://localhost:${port}`;
    const app = await createApp({
      db: database.db,
      clock: fixedClock(options.now ?? DEFAULT_DEMO_NOW),
      config: loadConfig({ NODE_ENV: 'test', PUBLIC_URL: baseUrl, ...options.env }),
    });
    try {
      await app.listen({ port, host: '127.0.0.1' });
      return { app, baseUrl };
    } catch (error) {
      await app.close();
      if ((error as { code?: string }).code !== 'EADDRINUSE' || attempt === 5) throw error;
    }
  }
}

/** A TCP port nothing listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/**
 * GOV.UK Frontend's radios with a conditionally revealed question set aria-expanded on the radio,
 * which ARIA 1.2 does not list for that role, so axe reports it. The Design System keeps it on
 * purpose (screen readers announce the reveal; alphagov/govuk-frontend#979, a known issue), so that
 * one finding, on that component only, is not counted. Anything else on the same element still is.
 */
function notGovukConditionalReveal(violation: {
  id: string;
  nodes: { html: string; failureSummary?: string }[];
}): boolean {
  if (violation.id !== 'aria-allowed-attr') return true;
  return !violation.nodes.every(
    (n) =>
      /class="govuk-radios__input"/.test(n.html) &&
      /aria-controls="conditional-/.test(n.html) &&
      (n.failureSummary ?? '')
        .split('\n')
        .slice(1)
        .every((line) => /aria-expanded="(true|false)"/.test(line)),
  );
}

/** The rules checked: WCAG 2.0, 2.1 and 2.2, levels A and AA. */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21aa', 'wcag22aa'];

/**
 * axe-core run in the page itself. The harness used @axe-core/playwright before: it ran axe frame
 * by frame and combined the results in a blank page it opened for each scan. The app has no frames
 * (its CSP allows none), so that adds nothing here: the same rules run on the same document. What
 * changed is the cost (docs/readme/browser-speed.md): axe's half-megabyte source goes to a document
 * once, not two or three times per scan; no page is opened per scan; and only the violations come
 * back, not every passing node of every rule, which this harness never looked at.
 */
async function runAxe(page: Page): Promise<axe.AxeResults> {
  const loaded = await page.evaluate(() => typeof (window as { axe?: unknown }).axe === 'object');
  if (!loaded) await page.evaluate(axe.source);
  return page.evaluate(
    (tags) =>
      (window as unknown as { axe: typeof axe }).axe.run(document, {
        runOnly: { type: 'tag', values: tags },
        resultTypes: ['violations'],
      }),
    AXE_TAGS,
  );
}

/** WCAG 2.2 AA by axe-core: every page of every journey must have zero violations. */
export async function expectNoAxeViolations(page: Page): Promise<void> {
  // axe runs inside the page with no timeout of its own: bound it, so a stuck run fails here with
  // the page's address instead of as an anonymous test timeout.
  let timer: NodeJS.Timeout | undefined;
  const results = await Promise.race([
    runAxe(page),
    new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`axe did not finish within 60 s on ${page.url()}`)),
        60_000,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  const summary = results.violations
    .filter(notGovukConditionalReveal)
    .map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
  expect(summary, `axe violations on ${page.url()}`).toEqual([]);
}

/** Nothing on the page may be wider than the viewport (no sideways scrolling of the whole page). */
export async function expectNoHorizontalScroll(page: Page): Promise<void> {
  const overflow = await page.evaluate(
    () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
  );
  expect(overflow, `page ${page.url()} scrolls sideways`).toBeLessThanOrEqual(0);
}

/** Every link in a GOV.UK error summary leads to something on the page (a field, a panel). */
export async function expectErrorLinksLeadSomewhere(page: Page): Promise<void> {
  const missing = await page.evaluate(() =>
    Array.from(document.querySelectorAll<HTMLAnchorElement>('.govuk-error-summary a'))
      .filter((a) => !a.hash || !document.getElementById(decodeURIComponent(a.hash.slice(1))))
      .map((a) => `${a.textContent?.trim()} -> ${a.getAttribute('href')}`),
  );
  expect(missing, `error summary links that lead nowhere on ${page.url()}`).toEqual([]);
}

/**
 * One banner, one main and one footer landmark for screen reader users to jump between, and no
 * crown or Royal Arms: npq-ops is not a GOV.UK service.
 */
export async function expectLandmarksAndNoCrown(page: Page): Promise<void> {
  const found = await page.evaluate(() => ({
    banner: document.querySelectorAll('body > header, .govuk-template__header').length,
    main: document.querySelectorAll('main').length,
    contentinfo: document.querySelectorAll('body > footer, .govuk-template__footer').length,
    crown: document.querySelectorAll(
      '.govuk-logo, .govuk-header__logo, .govuk-footer__crown, .govuk-footer__copyright-logo',
    ).length,
  }));
  expect(found, `landmarks on ${page.url()}`).toEqual({
    banner: 1,
    main: 1,
    contentinfo: 1,
    crown: 0,
  });
}

/**
 * Every page of every journey: WCAG 2.2 AA by axe, no sideways scrolling at this size, error
 * summary links that lead somewhere, and the page's landmarks.
 */
export async function checkPage(page: Page): Promise<void> {
  await expectNoAxeViolations(page);
  await expectNoHorizontalScroll(page);
  await expectErrorLinksLeadSomewhere(page);
  await expectLandmarksAndNoCrown(page);
}

/** checkPage at the phone size and at the desktop size, then back to the size the page had. */
export async function checkPageAtBothSizes(page: Page): Promise<void> {
  const size = page.viewportSize() ?? DESKTOP;
  for (const viewport of [PHONE, DESKTOP]) {
    await page.setViewportSize(viewport);
    await checkPage(page);
  }
  await page.setViewportSize(size);
}

/** Waits for something to appear (after a form post the new page may still be loading). */
export function shown(locator: Locator): Promise<void> {
  return locator.first().waitFor({ state: 'visible', timeout: 20_000 });
}

/** Follows a service navigation link; on a phone the links sit behind the Menu button. */
export async function navigate(page: Page, name: string): Promise<void> {
  const menu = page.getByRole('button', { name: 'Menu' });
  // Below GOV.UK Frontend's tablet breakpoint (641px) the Menu button appears once its script has
  // run (or caught up with a resize): wait for it rather than race it.
  if ((page.viewportSize()?.width ?? DESKTOP.width) < 641) {
    await menu.waitFor({ state: 'visible', timeout: 20_000 });
    if ((await menu.getAttribute('aria-expanded')) !== 'true') await menu.click();
  }
  await page.getByRole('navigation').getByRole('link', { name, exact: true }).first().click();
}

/**
 * A form came back with errors: the GOV.UK error summary has the focus and shows this message, the
 * title starts "Error:", and the page passes checkPage.
 */
export async function expectErrorSummary(page: Page, message: string | RegExp): Promise<void> {
  await shown(page.locator('.govuk-error-summary').getByRole('link', { name: message }));
  await page.waitForFunction(() =>
    document.activeElement?.classList.contains('govuk-error-summary'),
  );
  expect(await page.title()).toMatch(/^Error: /);
  await checkPage(page);
}

/** A change was made: the green success banner says so, and the page passes checkPage. */
export async function expectSuccessBanner(page: Page, text: string | RegExp): Promise<void> {
  await shown(page.locator('.govuk-notification-banner--success').getByText(text));
  await checkPage(page);
}
