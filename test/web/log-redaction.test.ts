import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { FastifyBaseLogger } from 'fastify';
import { queryRows } from '../../src/db/client.js';
import { createLogger, redactUrl, safeError } from '../../src/logger.js';
import { issueAccountLink } from '../../src/services/account-links.js';
import { createApiToken } from '../../src/services/auth.js';
import { PARTICIPANT_CSV_COLUMNS } from '../../src/services/participant-import.js';
import { createDemoWorld, type DemoWorld } from '../support/demo-world.js';

/**
 * The app is built with the production logger writing to a captured stream; requests carry a
 * known email, TRN, calendar token, invitation and reset links, searches, a bearer token, a
 * cookie, and one request fails in the database with a TRN in its parameters. None of those
 * strings may appear in what was logged.
 */
let world: DemoWorld;
const lines: string[] = [];
const log = () => lines.join('');

const PARTICIPANT_EMAIL = 'participant3@demo.npq-ops.test';
const FAILING_TRN = '9876543';
const FAILING_EMAIL = 'log.redaction.leak@example.org';
const FAILING_NAME = 'Zebedee Loggington';
const SEARCHED_NAME = 'Quennell';
const secrets: string[] = [
  PARTICIPANT_EMAIL,
  FAILING_TRN,
  FAILING_EMAIL,
  FAILING_NAME,
  SEARCHED_NAME,
];

beforeAll(async () => {
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  const logger = createLogger({ env: 'test', logLevel: 'info' }, stream);
  world = await createDemoWorld({ participants: 8, logger: logger as FastifyBaseLogger });
});
afterAll(async () => {
  await world?.destroy();
});

describe('the server log', () => {
  it('holds no email, TRN, search, token, link or SQL parameter', async () => {
    const db = world.t.db;
    const [p3] = await queryRows<{ trn: string }>(
      db,
      sql`select trn from participant where email = ${PARTICIPANT_EMAIL}`,
    );
    const trn = p3!.trn;
    expect(trn).toMatch(/^\d{7}$/);
    secrets.push(trn);

    // A calendar feed: issued by the participant, fetched without signing in, and a wrong one.
    const participant = await world.signIn(PARTICIPANT_EMAIL);
    secrets.push(...Object.values(participant.cookies), participant.csrf);
    expect(
      (await participant.request({ method: 'POST', url: '/calendar/feed', payload: {} }))
        .statusCode,
    ).toBe(303);
    const page = await participant.request({ method: 'GET', url: '/calendar' });
    const calendarToken = /\/calendar\/([A-Za-z0-9_-]+)\.ics/.exec(page.body)?.[1];
    expect(calendarToken).toBeDefined();
    secrets.push(calendarToken!);
    const feed = await world.app.inject({ method: 'GET', url: `/calendar/${calendarToken}.ics` });
    expect(feed.statusCode).toBe(200);
    const wrong = 'WrongCalendarTokenAbcdefghijklmnop';
    secrets.push(wrong);
    await world.app.inject({ method: 'GET', url: `/calendar/${wrong}.ics` });

    // Invitation and reset links, opened.
    const [user] = await queryRows<{ id: number }>(
      db,
      sql`select id from app_user where email = ${PARTICIPANT_EMAIL}`,
    );
    for (const [purpose, path] of [
      ['invitation', 'set-password'],
      ['password_reset', 'reset-password'],
    ] as const) {
      const { token } = await issueAccountLink(db, {
        userId: user!.id,
        purpose,
        createdBy: 'test',
        now: world.clock.now(),
      });
      secrets.push(token);
      await world.app.inject({ method: 'GET', url: `/account/${path}/${token}` });
      await world.app.inject({ method: 'GET', url: `/account/${path}/${token}?again=${token}` });
    }

    // Searches by name, email and TRN, on the staff pages and the API; a forgotten-password form.
    const staff = await world.signIn('programme.team@demo.npq-ops.test');
    secrets.push(...Object.values(staff.cookies), staff.csrf);
    for (const q of [SEARCHED_NAME, PARTICIPANT_EMAIL, trn]) {
      const query = encodeURIComponent(q);
      expect(
        (await staff.request({ method: 'GET', url: `/participants?q=${query}` })).statusCode,
      ).toBe(200);
      expect(
        (await staff.request({ method: 'GET', url: `/api/v1/participants?q=${query}` })).statusCode,
      ).toBe(200);
    }
    await world.app.inject({
      method: 'POST',
      url: '/forgotten-password',
      payload: { email: PARTICIPANT_EMAIL },
    });

    // A bearer token.
    const { token: apiToken } = await createApiToken(
      db,
      { email: 'admin@demo.npq-ops.test', role: 'admin' },
      world.clock.now(),
    );
    secrets.push(apiToken);
    await world.app.inject({
      method: 'GET',
      url: `/api/v1/participants?q=${trn}`,
      headers: { authorization: `Bearer ${apiToken}` },
    });

    // A request that fails in the database with a TRN, a name and an email in its parameters.
    await db.execute(
      sql.raw(
        `alter table participant add constraint log_redaction_refuses check (trn is distinct from '${FAILING_TRN}')`,
      ),
    );
    try {
      const [school] = await queryRows<{ urn: string }>(
        db,
        sql`select urn from school order by id limit 1`,
      );
      const [cohort] = await queryRows<{ identifier: string; year: number; slug: string }>(
        db,
        sql`select co.identifier, c.year, dp.slug from enrolment e join cohort c on c.id = e.cohort_id
            join programme p on p.id = c.programme_id join course co on co.id = p.course_id
            join delivery_partner dp on dp.id = e.delivery_partner_id limit 1`,
      );
      const row: Record<string, string> = {
        trn: FAILING_TRN,
        full_name: FAILING_NAME,
        email: FAILING_EMAIL,
        school_urn: school!.urn,
        funding_route: 'school',
        dfe_registration_confirmed: 'yes',
        employment_confirmed: 'yes',
        course_identifier: cohort!.identifier,
        cohort_year: String(cohort!.year),
        delivery_partner: cohort!.slug,
      };
      const csv = [
        PARTICIPANT_CSV_COLUMNS.join(','),
        PARTICIPANT_CSV_COLUMNS.map((c) => row[c] ?? '').join(','),
      ].join('\n');
      const failed = await staff.request({
        method: 'POST',
        url: '/imports/participants',
        payload: { participantsCsv: csv },
      });
      expect(failed.statusCode).toBe(500);
    } finally {
      await db.execute(sql.raw(`alter table participant drop constraint log_redaction_refuses`));
    }

    const text = log();
    for (const secret of secrets) {
      expect(text.includes(secret), `the log holds "${secret}"`).toBe(false);
    }
    expect(text).not.toMatch(/"(params|parameters|detail|cookie|authorization)"/);
    // The log was written, with what operators need: the routes, statuses and the database's code.
    expect(text).toContain('"url":"/calendar/[redacted].ics"');
    expect(text).toContain('/account/set-password/[redacted]');
    expect(text).toContain('/account/reset-password/[redacted]');
    expect(text).toContain('"url":"/participants?q=[redacted]"');
    expect(text).toContain('"code":"23514"');
    expect(text).toContain('log_redaction_refuses');
  });
});

describe('redactUrl and safeError', () => {
  it('keep the shape of a URL and an error, not their data', () => {
    expect(redactUrl('/calendar/abc.ics')).toBe('/calendar/[redacted].ics');
    expect(redactUrl('/calendar/feed')).toBe('/calendar/feed');
    expect(redactUrl('/account/set-password/xyz?x=1')).toBe(
      '/account/set-password/[redacted]?x=[redacted]',
    );
    expect(redactUrl('/participants?q=Smith&page=2')).toBe(
      '/participants?q=[redacted]&page=[redacted]',
    );
    const cause = Object.assign(new Error('duplicate key value violates unique constraint "x"'), {
      code: '23505',
      constraint: 'participant_trn_uq',
      detail: 'Key (trn)=(1234567) already exists.',
      params: ['1234567'],
    });
    const err = new Error('Failed query: insert into participant values ($1)\nparams: 1234567', {
      cause,
    });
    const safe = JSON.stringify(safeError(err));
    expect(safe).not.toContain('1234567');
    expect(safe).toContain('participant_trn_uq');
    expect(safe).toContain('23505');
    expect(safe).toContain('insert into participant');
  });
});
