import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/app.js';
import { loadConfig } from '../../src/config.js';
import { queryRows } from '../../src/db/client.js';
import { EMAIL_TEMPLATE_KEYS } from '../../src/domain/email-templates.js';
import { enqueueEmail } from '../../src/services/email/outbox.js';
import { createDemoWorld, pageText, type DemoWorld, type Session } from '../support/demo-world.js';

let w: DemoWorld;
let admin: Session;
let team: Session;
let north: Session;
let south: Session;
let participantId: number;
const SOUTH_PARTICIPANT = 'participant1@demo.npq-ops.test';
const LINK = 'http://localhost:3000/account/set-password/tok_abc123';

beforeAll(async () => {
  w = await createDemoWorld({ participants: 30 });
  admin = await w.signIn('admin@demo.npq-ops.test');
  team = await w.signIn('programme.team@demo.npq-ops.test');
  north = await w.signIn('partner.north@demo.npq-ops.test');
  south = await w.signIn('partner.south@demo.npq-ops.test');
  const [p] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select id from participant where email = ${SOUTH_PARTICIPANT}`,
  );
  participantId = p!.id;
  await enqueueEmail(w.t.db, {
    template: 'participant_invitation',
    to: SOUTH_PARTICIPANT,
    personalisation: {
      name: 'Pat <b>Bold</b>',
      programme: 'NPQ for Senior Leadership',
      delivery_partner: 'South Partner',
      link: LINK,
      expires: '10 December 2026',
      contact: 'south@example.test',
    },
    subject: { type: 'app_user', id: 999 },
  });
  await enqueueEmail(w.t.db, {
    template: 'password_changed',
    to: 'someone.else@example.test',
    personalisation: { name: 'Someone', when: '3 December 2026' },
    subject: { type: 'app_user', id: 998 },
  });
  await w.t.db.execute(
    sql`update email_message set status = 'failed', attempts = 1, last_error = 'Notify 400: ValidationError'
        where to_email = 'someone.else@example.test'`,
  );
});
afterAll(async () => {
  await w?.destroy();
});

const get = (s: Session, url: string) => s.request({ method: 'GET', url });

describe('the mailbox page', () => {
  it('shows admins every email, newest first, with its status and a clickable link', async () => {
    const res = await get(admin, '/admin/mailbox');
    expect(res.statusCode).toBe(200);
    const text = pageText(res.body);
    expect(text).toContain('these emails are not sent');
    expect(text).toContain('Showing 1 to 2 of 2 emails');
    const order = [...res.body.matchAll(/data-email-id="(\d+)"/g)].map((m) => Number(m[1]));
    expect(order).toEqual([...order].sort((a, b) => b - a));
    expect(res.body).toContain(`href="${LINK}"`);
    expect(text).toContain('Your NPQ programme: set your password');
    expect(text).toContain('Notify 400: ValidationError');
    expect(res.body).toContain('data-status="failed"');
    // Personalisation is text, never markup.
    expect(res.body).not.toContain('<b>Bold</b>');
    expect(res.body).toContain('Pat &lt;b&gt;Bold&lt;/b&gt;');
    expect(res.body).toContain('href="/admin"');
  });

  it('filters by recipient and by status', async () => {
    const byTo = await get(
      admin,
      `/admin/mailbox?to=${encodeURIComponent(SOUTH_PARTICIPANT.toUpperCase())}`,
    );
    expect(byTo.statusCode).toBe(200);
    expect(pageText(byTo.body)).toContain('Showing 1 to 1 of 1 email to');
    expect(byTo.body).not.toContain('someone.else@example.test');
    const failed = await get(admin, '/admin/mailbox?status=failed');
    expect(failed.body).toContain('someone.else@example.test');
    expect(failed.body).not.toContain(LINK);
    const none = await get(admin, '/admin/mailbox?to=nobody%40example.test');
    expect(pageText(none.body)).toContain('No emails to nobody@example.test');
  });

  it('is open to the programme team and to no one else', async () => {
    expect((await get(team, '/admin/mailbox')).statusCode).toBe(200);
    const partner = await get(north, '/admin/mailbox');
    expect(partner.statusCode).toBe(404);
    expect(partner.body).not.toContain(LINK);
    expect(partner.body).not.toContain('href="/admin"');
    const participant = await w.signIn(SOUTH_PARTICIPANT);
    expect((await get(participant, '/admin/mailbox')).statusCode).toBe(404);
    const out = await w.app.inject({ method: 'GET', url: '/admin/mailbox' });
    expect(out.statusCode).toBe(302);
    expect(out.headers.location).toContain('/sign-in');
  });

  it('says emails are sent through Notify when a key is configured', async () => {
    const config = loadConfig({
      NODE_ENV: 'test',
      NOTIFY_API_KEY: 'test-key',
      NOTIFY_TEMPLATE_IDS: JSON.stringify(
        Object.fromEntries(EMAIL_TEMPLATE_KEYS.map((k) => [k, `id-${k}`])),
      ),
    });
    const app: FastifyInstance = await createApp({
      db: w.t.db,
      clock: w.clock,
      sessionClock: w.sessionClock,
      config,
    });
    try {
      const res = await app.inject({
        method: 'GET',
        url: '/admin/mailbox',
        cookies: admin.cookies,
      });
      expect(res.statusCode).toBe(200);
      expect(pageText(res.body)).toContain('Emails are sent through GOV.UK Notify');
      expect(res.body).not.toContain('data-testid="not-sending"');
      // Emails really go out: the link's secret is for the recipient only, never the mailbox reader.
      expect(res.body).not.toContain(LINK);
      expect(pageText(res.body)).toContain('(a single-use link, sent only to the recipient)');
      const api = await app.inject({
        method: 'GET',
        url: `/api/v1/email-messages?to=${SOUTH_PARTICIPANT}`,
        cookies: admin.cookies,
      });
      expect(api.statusCode).toBe(200);
      expect(api.body).not.toContain(LINK);
      expect(api.body).toContain('(a single-use link, sent only to the recipient)');
    } finally {
      await app.close();
    }
  });
});

describe('emails on the participant record', () => {
  it('shows staff who can see the participant the status of the emails sent to them, without the links', async () => {
    const res = await get(south, `/participants/${participantId}`);
    expect(res.statusCode).toBe(200);
    const text = pageText(res.body);
    expect(text).toContain('Emails sent');
    expect(res.body).toContain('data-testid="emails"');
    expect(text).toContain('Your NPQ programme: set your password');
    expect(text).toContain('Not sent yet');
    expect(res.body).not.toContain(LINK);
    expect(text).not.toContain('Your npq-ops password has been changed');
  });

  it('is not shown to staff who cannot see the participant', async () => {
    const res = await get(north, `/participants/${participantId}`);
    expect(res.statusCode).toBe(404);
    expect(res.body).not.toContain('Your NPQ programme');
  });
});

describe('GET /api/v1/email-messages', () => {
  it('lists emails for admins with filters and pagination', async () => {
    const all = await get(admin, '/api/v1/email-messages?limit=1');
    expect(all.statusCode).toBe(200);
    const body = all.json() as {
      items: { to: string; status: string; body: string }[];
      total: number;
    };
    expect(body.total).toBe(2);
    expect(body.items).toHaveLength(1);
    const mine = await get(
      team,
      `/api/v1/email-messages?to=${encodeURIComponent(SOUTH_PARTICIPANT)}&status=pending`,
    );
    expect(mine.statusCode).toBe(200);
    const items = (mine.json() as typeof body).items;
    expect(items).toEqual([
      expect.objectContaining({
        to: SOUTH_PARTICIPANT,
        status: 'pending',
        template: 'participant_invitation',
        attempts: 0,
        about: { type: 'app_user', id: '999' },
      }),
    ]);
    expect(items[0]!.body).toContain(LINK);
    const failed = await get(admin, '/api/v1/email-messages?status=failed');
    expect((failed.json() as typeof body).items.map((i) => i.to)).toEqual([
      'someone.else@example.test',
    ]);
  });

  it('answers 404 to other roles, 401 signed out and 400 to a bad filter', async () => {
    const partner = await get(north, '/api/v1/email-messages');
    expect(partner.statusCode).toBe(404);
    expect(partner.body).not.toContain(SOUTH_PARTICIPANT);
    expect((await w.app.inject({ method: 'GET', url: '/api/v1/email-messages' })).statusCode).toBe(
      401,
    );
    expect((await get(admin, '/api/v1/email-messages?status=lost')).statusCode).toBe(400);
  });
});
