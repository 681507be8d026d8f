import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import type { FastifyInstance } from 'fastify';
import { createApp } from '../../src/app.js';
import { fixedClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config.js';
import { openDatabase } from '../../src/db/client.js';
import { createApiToken } from '../../src/services/auth.js';
import { insertReferenceWorld } from '../support/fixtures.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

const config = loadConfig({ NODE_ENV: 'test' });
const clock = fixedClock('2025-11-03T09:00:00Z');

let t: TestDatabase;
let app: FastifyInstance;

beforeAll(async () => {
  t = await createTestDatabase();
  await insertReferenceWorld(t.db);
  app = await createApp({ db: t.db, clock, config });
});

afterAll(async () => {
  await app.close();
  await t.destroy();
});

describe('home page', () => {
  it('sends signed-out visitors to sign in: cohort figures are not public', async () => {
    const res = await app.inject({ method: 'GET', url: '/' });
    expect(res.statusCode).toBe(303);
    expect(res.headers.location).toBe('/sign-in');
  });

  it('lists cohorts with participant counts in the GOV.UK template', async () => {
    const { token } = await createApiToken(
      t.db,
      { email: 'admin@example.test', role: 'admin', name: 'home page' },
      clock.now(),
    );
    await t.db.execute(sql`insert into participant (trn, full_name, email, funding_route)
      values ('1000001', 'Ada', 'ada@example.test', 'self'), ('1000002', 'Bo', 'bo@example.test', 'school')`);
    await t.db
      .execute(sql`insert into enrolment (participant_id, cohort_id, delivery_partner_id, status)
      select p.id, c.id, 1, case when p.trn = '1000001' then 'active' else 'deferred' end
      from participant p, cohort c where c.name = 'NPQH 2025'`);
    const res = await app.inject({
      method: 'GET',
      url: '/',
      headers: { authorization: `Bearer ${token}` },
    });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toContain('text/html');
    expect(res.body).toContain('<html lang="en"');
    expect(res.body).toContain('govuk-template');
    const row =
      /<tr class="govuk-table__row">\s*<th scope="row" class="govuk-table__header"><a class="govuk-link" href="\/cohorts\/\d+">NPQH 2025<\/a><\/th>([\s\S]*?)<\/tr>/.exec(
        res.body,
      );
    expect(row, 'NPQH 2025 row').not.toBeNull();
    const cells = [...row![1]!.matchAll(/<td[^>]*>\s*([^<]*?)\s*<\/td>/g)].map((m) => m[1]);
    expect(cells).toEqual(['2025', '1 October 2025', '2', '1', '1', '0']);
    expect(res.body).toMatch(/NPQSENCO 2025.*Final cohort/s);
  });

  it('serves the govuk-frontend assets itself', async () => {
    const css = await app.inject({ method: 'GET', url: '/stylesheets/govuk-frontend.min.css' });
    expect(css.statusCode).toBe(200);
    expect(css.headers['content-type']).toContain('text/css');
    const js = await app.inject({ method: 'GET', url: '/javascripts/govuk-frontend.min.js' });
    expect(js.statusCode).toBe(200);
    // Not GOV.UK's crown icons, crest or typeface: npq-ops is not a GOV.UK service (test/web/public-pages.test.ts).
    const crown = await app.inject({ method: 'GET', url: '/assets/images/favicon.ico' });
    expect(crown.statusCode).toBe(404);
    const outside = await app.inject({ method: 'GET', url: '/javascripts/all.bundle.js' });
    expect(outside.statusCode).toBe(404);
  });

  it('answers unknown pages with a GOV.UK style 404', async () => {
    const res = await app.inject({ method: 'GET', url: '/no-such-page' });
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('Page not found');
  });
});

describe('when something breaks', () => {
  async function appWithBrokenRoute(env: 'test' | 'production') {
    const broken = await createApp({
      db: t.db,
      clock,
      config: { ...loadConfig({ NODE_ENV: 'test' }), env, logLevel: 'silent' },
    });
    broken.get('/boom', async () => {
      throw new Error('secret internal detail');
    });
    return broken;
  }

  it('shows the 500 page in the GOV.UK style with a reference, and hides the detail in production', async () => {
    const prod = await appWithBrokenRoute('production');
    const res = await prod.inject({
      method: 'GET',
      url: '/boom',
      headers: { 'x-request-id': 'ref-123' },
    });
    expect(res.statusCode).toBe(500);
    expect(res.body).toContain('Sorry, there is a problem with the service');
    expect(res.body).toContain('ref-123');
    expect(res.body).not.toContain('secret internal detail');
    const json = await prod.inject({
      method: 'GET',
      url: '/boom',
      headers: { accept: 'application/json' },
    });
    expect(json.json()).toMatchObject({ error: 'Internal Server Error' });
    expect(json.body).not.toContain('secret internal detail');
    await prod.close();
  });

  it('shows developers the stack outside production', async () => {
    const dev = await appWithBrokenRoute('test');
    const res = await dev.inject({ method: 'GET', url: '/boom' });
    expect(res.statusCode).toBe(500);
    expect(res.body).toContain('secret internal detail');
    await dev.close();
  });
});

describe('/healthz', () => {
  it('is UP when the database answers', async () => {
    const res = await app.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({ status: 'UP', checks: { database: 'UP' } });
  });

  it('is DOWN with 503 when the database is gone', async () => {
    const url = process.env.TEST_DATABASE_URL;
    const doomed = await openDatabase(url ? { databaseUrl: url, maxConnections: 1 } : {});
    const downApp = await createApp({ db: doomed.db, clock, config });
    expect((await downApp.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    await doomed.close();
    const res = await downApp.inject({ method: 'GET', url: '/healthz' });
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({ status: 'DOWN', checks: { database: 'DOWN' } });
    await downApp.close();
  });
});
