import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * Role × route for the public pages and the pages this work reshaped: every role, and nobody
 * signed in, may read the public pages (200, never cached); My programme stays for participants;
 * the signed-out form page answers only a form sent without a session.
 */
let w: DemoWorld;
const sessions: Record<string, Session> = {};

const ROLES = {
  admin: 'admin@demo.npq-ops.test',
  programme_team: 'programme.team@demo.npq-ops.test',
  partner: 'partner.north@demo.npq-ops.test',
  coach: 'coach@demo.npq-ops.test',
  assessor: 'assessor@demo.npq-ops.test',
  participant: 'participant1@demo.npq-ops.test',
} as const;

const PUBLIC_PAGES = [
  '/policy',
  '/help',
  '/contact',
  '/how-engagement-is-counted',
  '/accessibility',
  '/privacy',
  '/cookies',
] as const;

beforeAll(async () => {
  w = await createDemoWorld({ participants: 10 });
  for (const [role, email] of Object.entries(ROLES)) sessions[role] = await w.signIn(email);
}, 300_000);
afterAll(async () => {
  await w?.destroy();
});

describe('public pages × roles', () => {
  // One test per page, so each does a bounded amount of work (7 requests) however busy the machine.
  it.each(PUBLIC_PAGES)(
    '%s answers 200 to everyone, signed in or not, never cached',
    async (url) => {
      const anonymous = await w.app.inject({ method: 'GET', url });
      expect(anonymous.statusCode, `signed out ${url}`).toBe(200);
      expect(anonymous.headers['cache-control'], url).toBe('no-store');
      for (const [role, session] of Object.entries(sessions)) {
        const res = await session.request({ method: 'GET', url });
        expect(res.statusCode, `${role} ${url}`).toBe(200);
        expect(res.headers['cache-control'], `${role} ${url}`).toBe('no-store');
        expect(res.body, `${role} ${url}`).toContain('class="govuk-footer__link" href="/policy"');
      }
    },
  );

  it('keep My programme for participants: sign-in for nobody, 403 for staff', async () => {
    const anonymous = await w.app.inject({ method: 'GET', url: '/my-programme' });
    expect(anonymous.statusCode).toBe(302);
    for (const [role, session] of Object.entries(sessions)) {
      const res = await session.request({ method: 'GET', url: '/my-programme' });
      expect(res.statusCode, role).toBe(role === 'participant' ? 200 : 403);
    }
  });

  it('keep the transfer page (issue 14) for the participant whose transfer it is', async () => {
    // No transfer exists yet: nobody's, so a participant is told "not found", staff are refused.
    for (const url of ['/changes/transfer/1', '/changes/transfer/not-a-number']) {
      const anonymous = await w.app.inject({ method: 'GET', url });
      expect(anonymous.statusCode, url).toBe(302);
      for (const [role, session] of Object.entries(sessions)) {
        const res = await session.request({ method: 'GET', url });
        expect(res.statusCode, `${role} ${url}`).toBe(role === 'participant' ? 404 : 403);
      }
    }
  });

  it('never say "signed out" to a signed-in person sending a form', async () => {
    for (const [role, session] of Object.entries(sessions)) {
      const res = await session.request({
        method: 'POST',
        url: '/changes/school-move',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        payload: 'schoolUrn=1',
      });
      expect(res.statusCode, role).not.toBe(401);
      expect(res.body, role).not.toContain('You have been signed out');
    }
  });
});
