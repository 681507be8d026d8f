import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { HELD_PAGE_HOLES } from '../../src/web/held-pages.js';
import type { EngagementAnswerWarmer } from '../../src/services/engagement/answers.js';
import type { DemoWorld, Session } from '../support/demo-world.js';
import { createAnsweringWorld, type AnsweringWorld } from '../support/answering-world.js';

/**
 * My programme held ready to send (issue 13, src/web/held-pages.ts): once the enrolment's
 * engagement answer is stored for today, the page is rendered once and sent again, with this
 * request's CSRF token and CSP nonce, while the same answer row is stored; any change to what the
 * page shows deletes that row (drizzle/0028, 0030; test/db/engagement-answers.test.ts) and the
 * next request renders again.
 */
let w: DemoWorld;
let warmer: EngagementAnswerWarmer;
let recorded: AnsweringWorld['recorded'];
let p1: Session;
let enrolmentId: number;

beforeAll(async () => {
  ({ w, warmer, recorded } = await createAnsweringWorld());
  p1 = await w.signIn('participant1@demo.npq-ops.test');
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join participant p on p.id = e.participant_id
        where p.email = 'participant1@demo.npq-ops.test' and e.status = 'active' order by e.id desc limit 1`,
  );
  enrolmentId = row!.id;
}, 300_000);
afterAll(async () => {
  await w.destroy();
});

async function page(who: Session = p1) {
  const { result: res, statements } = await recorded(() =>
    who.request({ method: 'GET', url: '/my-programme' }),
  );
  expect(res.statusCode).toBe(200);
  return { res, statements, body: res.body };
}

/** The page without what differs per request by design: the CSRF token and the CSP nonce. */
const normal = (html: string) =>
  html
    .replace(/name="_csrf" value="[^"]+"/g, 'name="_csrf" value="T"')
    .replace(/nonce="[^"]+"/g, 'nonce="N"');

const nonceOf = (csp: unknown) => /'nonce-([^']+)'/.exec(String(csp))?.[1];

/** Renders live (nothing stored), lets the warmer store the answer, and holds the page. */
async function holdPage(who: Session = p1) {
  await w.t.db.execute(sql`delete from enrolment_engagement_answer`);
  const live = await page(who);
  expect(await warmer.flush()).toBeGreaterThan(0);
  const holding = await page(who);
  return { live, holding };
}

describe('My programme held ready to send', () => {
  it('sends the page it would render, from fewer statements, with this request’s token and nonce', async () => {
    const { live, holding } = await holdPage();
    const held = await page();
    expect(normal(holding.body)).toBe(normal(live.body));
    expect(normal(held.body)).toBe(normal(live.body));
    // One statement: the remembered session checked again beside the enrolments with the answer’s
    // version; no shell, no snapshot, no register.
    expect(held.statements.length).toBeLessThan(live.statements.length);
    expect(held.statements).toHaveLength(1);
    expect(held.statements[0]).toMatch(/user_session/);
    expect(held.statements.filter((s) => /xmin/.test(s))).toHaveLength(1);
    expect(held.statements.some((s) => /policy_version/.test(s))).toBe(false);
    for (const r of [holding, held]) {
      expect(r.body).not.toContain(HELD_PAGE_HOLES.csrf);
      expect(r.body).not.toContain(HELD_PAGE_HOLES.nonce);
      const nonce = nonceOf(r.res.headers['content-security-policy']);
      expect(nonce).toBeTruthy();
      expect(r.body).toContain(`nonce="${nonce}"`);
    }
    expect(nonceOf(held.res.headers['content-security-policy'])).not.toBe(
      nonceOf(holding.res.headers['content-security-policy']),
    );
    // The token in the held page is this session's: signing out with it works.
    const token = /name="_csrf" value="([^"]+)"/.exec(held.body)?.[1];
    const other = await w.signIn('participant1@demo.npq-ops.test');
    const otherHeld = await page(other);
    const otherToken = /name="_csrf" value="([^"]+)"/.exec(otherHeld.body)?.[1];
    const refused = await w.app.inject({
      method: 'POST',
      url: '/sign-out',
      cookies: other.cookies,
      payload: { _csrf: HELD_PAGE_HOLES.csrf },
    });
    expect(refused.statusCode).not.toBe(303);
    const signOut = await w.app.inject({
      method: 'POST',
      url: '/sign-out',
      cookies: other.cookies,
      payload: { _csrf: otherToken },
    });
    expect(signOut.statusCode).toBe(303);
    expect(token).toBeTruthy();
  });

  it('shows a change at once: an alert raised renders the page again, then holds the new one', async () => {
    await holdPage();
    const before = await page();
    expect(before.body).not.toContain('data-testid="engagement-alerts"');
    await w.t.db.execute(sql`insert into engagement_alert (enrolment_id, kind, raised_on, details)
      values (${enrolmentId}, 'engagement_behind', '2026-03-10', '{"thresholdBp": 9000}')`);
    try {
      const after = await page();
      expect(after.body).toContain('data-testid="engagement-alerts"');
      expect(after.statements.length).toBeGreaterThan(before.statements.length);
      expect(await warmer.flush()).toBe(1);
      await page();
      const heldAgain = await page();
      expect(heldAgain.statements.length).toBe(before.statements.length);
      expect(heldAgain.body).toContain('data-testid="engagement-alerts"');
    } finally {
      await w.t.db.execute(sql`delete from engagement_alert where enrolment_id = ${enrolmentId}`);
    }
    expect((await page()).body).not.toContain('data-testid="engagement-alerts"');
  });

  it('shows the lead provider’s new name at once', async () => {
    await holdPage();
    await w.t.db.execute(sql`update lead_provider set name = name || ' Renamed'`);
    try {
      expect((await page()).body).toContain(' Renamed');
    } finally {
      await w.t.db.execute(sql`update lead_provider set name = replace(name, ' Renamed', '')`);
    }
    expect((await page()).body).not.toContain(' Renamed');
  });

  it('keeps each participant’s page to them', async () => {
    const p2 = await w.signIn('participant2@demo.npq-ops.test');
    const mine = (await holdPage(p1)).holding;
    await holdPage(p2);
    const theirs = await page(p2);
    const mineAgain = await page(p1);
    expect(normal(theirs.body)).not.toBe(normal(mineAgain.body));
    expect(normal(mineAgain.body)).toBe(normal(mine.body));
  });
});

/** The lead provider's name, as the shell shows it. */
async function providerName(): Promise<string> {
  const [row] = await queryRows<{ name: string }>(
    w.t.db,
    sql`select name from lead_provider order by id limit 1`,
  );
  return row!.name;
}

describe('My programme with the session remembered (services/recent-sessions.ts)', () => {
  it('still sends a signed-out person to sign in at once: signed out elsewhere, ended or deactivated', async () => {
    const ended = [
      // Signed out in another tab (the same cookie).
      async (s: Session) => {
        const out = await s.request({ method: 'POST', url: '/sign-out', payload: {} });
        expect(out.statusCode).toBe(303);
      },
      // Ended on the server (every session of the account, say).
      async () => {
        await w.t.db.execute(sql`update user_session set revoked_at = now()
          where user_id = (select id from app_user where email = 'participant2@demo.npq-ops.test')`);
      },
      // Expired.
      async () => {
        await w.t.db.execute(sql`update user_session set expires_at = '2000-01-01'
          where user_id = (select id from app_user where email = 'participant2@demo.npq-ops.test')`);
      },
    ];
    for (const end of ended) {
      const s = await w.signIn('participant2@demo.npq-ops.test');
      await holdPage(s);
      expect((await page(s)).statements).toHaveLength(1);
      await end(s);
      const after = await s.request({ method: 'GET', url: '/my-programme' });
      expect(after.statusCode).toBe(302);
      expect(after.headers.location).toMatch(/^\/sign-in/);
    }
    const s = await w.signIn('participant2@demo.npq-ops.test');
    await holdPage(s);
    await w.t.db.execute(sql`update app_user set deactivated_at = now()
      where email = 'participant2@demo.npq-ops.test'`);
    try {
      const after = await s.request({ method: 'GET', url: '/my-programme' });
      expect(after.statusCode).toBe(302);
      expect(after.headers.location).toMatch(/^\/sign-in/);
    } finally {
      await w.t.db.execute(sql`update app_user set deactivated_at = null
        where email = 'participant2@demo.npq-ops.test'`);
    }
  });

  it('shows a changed name at once, and then holds the page again', async () => {
    const s = await w.signIn('participant2@demo.npq-ops.test');
    await holdPage(s);
    await w.t.db.execute(sql`update app_user set display_name = display_name || ' Renamed'
      where email = 'participant2@demo.npq-ops.test'`);
    try {
      const renamed = await page(s);
      expect(renamed.body).toContain(' Renamed');
      const again = await page(s);
      expect(again.body).toContain(' Renamed');
      expect(again.statements).toHaveLength(1);
    } finally {
      await w.t.db
        .execute(sql`update app_user set display_name = replace(display_name, ' Renamed', '')
        where email = 'participant2@demo.npq-ops.test'`);
    }
  });

  it('names the lead provider on every other page the address answers', async () => {
    const name = await providerName();
    const staff = await w.signIn('programme.team@demo.npq-ops.test');
    for (let i = 0; i < 2; i++) {
      // Forbidden to staff, the session looked up then remembered.
      const forbidden = await staff.request({ method: 'GET', url: '/my-programme' });
      expect(forbidden.statusCode).toBe(403);
      expect(forbidden.body).toContain(name);
    }
    // Refused at the edge: a broken character, a web address too long.
    const broken = await p1.request({ method: 'GET', url: '/my-programme?q=%00' });
    expect(broken.statusCode).toBe(422);
    expect(broken.body).toContain(name);
    const long = await p1.request({ method: 'GET', url: `/my-programme?q=${'x'.repeat(9000)}` });
    expect(long.statusCode).toBe(414);
    expect(long.body).toContain(name);
  });
});
