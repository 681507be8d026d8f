import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { OpenAPI } from 'openapi-types';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import { readGias } from '../../src/services/gias-csv.js';
import { importParticipantRecords } from '../../src/services/participant-import.js';
import { createApiToken } from '../../src/services/auth.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';
import { rowCounts } from '../support/row-counts.js';

/**
 * Every error reply the API sends has the shape the README documents: { error, code } and, for
 * 400 and 422, a non-empty errors: [{ path, message }]. Text the database cannot store (a NUL
 * character, a lone UTF-16 surrogate) is refused at the edge with a field error on every input.
 */
let w: DemoWorld;
let team: Session;
let participant: Session;
let enrolmentId: number;
let teamToken: string;

beforeAll(async () => {
  w = await createDemoWorld({ participants: 6 });
  team = await w.signIn('programme.team@demo.npq-ops.test');
  participant = await w.signIn('participant1@demo.npq-ops.test');
  const [row] = await queryRows<{ id: number }>(
    w.t.db,
    sql`select e.id from enrolment e join participant p on p.id = e.participant_id
        where p.email = 'participant1@demo.npq-ops.test' order by e.id limit 1`,
  );
  enrolmentId = row!.id;
  teamToken = (
    await createApiToken(
      w.t.db,
      { email: 'programme.team@demo.npq-ops.test', role: 'programme_team' },
      w.clock.now(),
    )
  ).token;
});
afterAll(async () => {
  await w.destroy();
});

async function enrolmentStatus(): Promise<string> {
  const [row] = await queryRows<{ status: string }>(
    w.t.db,
    sql`select status from enrolment where id = ${enrolmentId}`,
  );
  return row!.status;
}

async function* once(text: string): AsyncGenerator<Uint8Array> {
  yield new TextEncoder().encode(text);
}

function expectErrorShape(
  res: { statusCode: number; json(): unknown },
  status: number,
  fieldErrors = status === 400 || status === 422,
) {
  expect(res.statusCode).toBe(status);
  const body = res.json() as { error?: unknown; code?: unknown; errors?: unknown };
  expect(typeof body.error, JSON.stringify(body)).toBe('string');
  expect(typeof body.code, JSON.stringify(body)).toBe('string');
  if (fieldErrors) {
    expect(Array.isArray(body.errors) && body.errors.length > 0, JSON.stringify(body)).toBe(true);
    for (const e of body.errors as { path: unknown; message: unknown }[]) {
      expect(typeof e.path).toBe('string');
      expect(typeof e.message).toBe('string');
    }
  }
  return body as { error: string; code: string; errors?: { path: string; message: string }[] };
}

describe('the OpenAPI document', () => {
  it('validates, and every $ref resolves to a schema in components.schemas', async () => {
    const res = await w.app.inject({ method: 'GET', url: '/api/v1/openapi.json' });
    const doc = res.json() as OpenAPI.Document & {
      components: { schemas: Record<string, unknown> };
    };
    const refs = new Set<string>();
    const walk = (v: unknown): void => {
      if (v && typeof v === 'object')
        for (const [k, x] of Object.entries(v)) {
          if (k === '$ref') refs.add(String(x));
          else walk(x);
        }
    };
    walk(doc.paths);
    expect(refs.size).toBeGreaterThan(20);
    const missing = [...refs].filter(
      (r) => !(r.replace('#/components/schemas/', '') in doc.components.schemas),
    );
    expect(missing).toEqual([]);
    // The maintained validator: the OpenAPI 3.1 schema, and every $ref dereferenced.
    await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeTruthy();
  });
});

describe('error replies, one per status', () => {
  it('400: a body that does not match the schema, and JSON that does not parse', async () => {
    const schema = await team.request({
      method: 'POST',
      url: '/api/v1/withdrawals',
      payload: { enrolmentId: 'one', reason: 'other', withdrawnOn: '2026-01-01' },
    });
    expect(expectErrorShape(schema, 400).errors![0]!.path).toBe('body.enrolmentId');
    const broken = await team.request({
      method: 'POST',
      url: '/api/v1/withdrawals',
      payload: '{"enrolmentId": ',
      headers: { 'content-type': 'application/json' },
    });
    expectErrorShape(broken, 400);
  });

  it('401 signed out, 403 without the CSRF header and for a role that may not write', async () => {
    expectErrorShape(await w.app.inject({ method: 'GET', url: '/api/v1/participants' }), 401);
    const before = await rowCounts(w.t.db);
    const statusBefore = await enrolmentStatus();
    const noCsrf = await w.app.inject({
      method: 'POST',
      url: '/api/v1/withdrawals',
      cookies: team.cookies,
      payload: { enrolmentId, reason: 'other', withdrawnOn: '2026-01-01' },
    });
    expectErrorShape(noCsrf, 403);
    const forbidden = await participant.request({
      method: 'POST',
      url: '/api/v1/withdrawals',
      payload: { enrolmentId, reason: 'other', withdrawnOn: '2026-01-01' },
    });
    expectErrorShape(forbidden, 403);
    // Neither refused request withdrew anyone or wrote anything (not even an audit entry).
    expect(await rowCounts(w.t.db)).toEqual(before);
    expect(await enrolmentStatus()).toBe(statusBefore);
  });

  it('404 for a record and for a route that does not exist', async () => {
    expectErrorShape(await team.request({ method: 'GET', url: '/api/v1/participants/99999' }), 404);
    expectErrorShape(await team.request({ method: 'GET', url: '/api/v1/no-such-thing' }), 404);
    // Outside the API, a client that asks for JSON gets the same shape.
    const page = await w.app.inject({
      method: 'GET',
      url: '/no-such-page',
      headers: { accept: 'application/json' },
    });
    expectErrorShape(page, 404);
  });

  it('409 for a stale expectedVersion', async () => {
    const stale = await team.request({
      method: 'POST',
      url: '/api/v1/withdrawals',
      payload: { enrolmentId, reason: 'other', withdrawnOn: '2026-01-01', expectedVersion: 999 },
    });
    expectErrorShape(stale, 409);
  });

  it('413 for a body over the limit, 415 for a content type the API does not read', async () => {
    const big = await team.request({
      method: 'POST',
      url: '/api/v1/withdrawals',
      payload: { enrolmentId, reason: 'other', withdrawnOn: '2026-01-01', note: 'x'.repeat(2e6) },
    });
    expectErrorShape(big, 413, true);
    const xml = await team.request({
      method: 'POST',
      url: '/api/v1/withdrawals',
      payload: '<withdrawal/>',
      headers: { 'content-type': 'application/xml' },
    });
    expectErrorShape(xml, 415, true);
  });

  it('414 for a URL over 8 KiB, in the API and on a page', async () => {
    const res = await team.request({
      method: 'GET',
      url: `/api/v1/schools?q=${'a'.repeat(9000)}`,
    });
    expect(expectErrorShape(res, 414, true).code).toBe('URI_TOO_LONG');
    const page = await team.request({ method: 'GET', url: `/participants?q=${'a'.repeat(9000)}` });
    expect(page.statusCode).toBe(414);
    expect(page.body).toContain('govuk-error-summary');
  });

  it('422 for a request the service refuses, with the field', async () => {
    const res = await team.request({
      method: 'POST',
      url: '/api/v1/withdrawals',
      payload: { enrolmentId, reason: 'not-a-reason', withdrawnOn: '2026-01-01' },
    });
    expect(expectErrorShape(res, 422).errors!.map((e) => e.path)).toContain('reason');
  });
});

describe('text the database cannot store', () => {
  const NUL = 'before\u0000after';
  const LONE = 'before\ud800after';

  it('is refused with a field error in JSON bodies, query strings and path parameters', async () => {
    const cases: [Parameters<Session['request']>[0], string][] = [
      [
        {
          method: 'POST',
          url: '/api/v1/withdrawals',
          payload: { enrolmentId, reason: 'other', withdrawnOn: '2026-01-01', note: NUL },
        },
        'body.note',
      ],
      [
        {
          method: 'POST',
          url: '/api/v1/deferral-cases',
          payload: { enrolmentId, circumstance: 'bereavement', description: LONE },
        },
        'body.description',
      ],
      [{ method: 'GET', url: '/api/v1/schools?q=a%00b' }, 'querystring.q'],
      [{ method: 'GET', url: '/api/v1/participants/1%00' }, 'params.id'],
    ];
    for (const [request, path] of cases) {
      const res = await team.request(request);
      const body = expectErrorShape(res, 400);
      expect(body.errors![0]!.path, request.url).toBe(path);
    }
    // A well-formed surrogate pair (an emoji) is ordinary text.
    const emoji = await team.request({ method: 'GET', url: '/api/v1/schools?q=%F0%9F%98%80' });
    expect(emoji.statusCode).toBe(200);
  });

  it('is refused in an engagement CSV body with its line, and in an xAPI actor', async () => {
    const csv = await team.request({
      method: 'POST',
      url: '/api/v1/engagement/import',
      payload: `participant,activity_id,kind,occurred_at,source,source_event_id\nid:1,1,study_session,2026-01-01T10:00:00Z,import,a\u0000b\n`,
      headers: { 'content-type': 'text/csv' },
    });
    const body = expectErrorShape(csv, 400);
    expect(body.errors![0]!.message).toContain('line 2');
    const xapi = await w.app.inject({
      method: 'POST',
      url: '/xapi/statements',
      headers: { authorization: `Bearer ${teamToken}` },
      payload: {
        id: '6f1f3f5e-1d2b-4c1a-9a1e-2b3c4d5e6f70',
        actor: { mbox: `mailto:x\u0000@example.org` },
        verb: { id: 'http://adlnet.gov/expapi/verbs/completed' },
        object: { id: 'https://npq-ops.example/activities/1' },
        timestamp: '2026-01-01T10:00:00Z',
      },
    });
    expect(expectErrorShape(xapi, 400).errors![0]!.path).toBe('body.actor.mbox');
  });

  it('answers a form with a 422 page and the GOV.UK error summary', async () => {
    const form = await w.app.inject({ method: 'GET', url: '/sign-in' });
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form.body)?.[1] ?? '';
    const res = await w.app.inject({
      method: 'POST',
      url: '/sign-in',
      cookies: Object.fromEntries(form.cookies.map((c) => [c.name, c.value])),
      payload: { _csrf: csrf, email: `a${LONE}@example.org`, password: 'x' },
    });
    expect(res.statusCode).toBe(422);
    expect(res.body).toContain('govuk-error-summary');
    expect(res.body).toContain('Email: Remove the broken character');
    const search = await team.request({ method: 'GET', url: '/participants?q=a%00b' });
    expect(search.statusCode).toBe(422);
    expect(search.body).toContain('govuk-error-summary');
  });

  it('is a row error in the participant and GIAS CSV readers', async () => {
    const summary = await importParticipantRecords(
      w.t.db,
      [{ line: 2, record: { trn: '1234567', full_name: `Ada${NUL}` } }],
      { today: '2026-01-01', publicUrl: 'https://npq.example.org' },
    );
    expect(summary.errors).toEqual([
      { line: 2, field: 'full_name', message: expect.stringContaining('NUL') as string },
    ]);
    const gias = `URN,EstablishmentName,LA (code),LA (name),EstablishmentStatus (name)\n100001,A\u0000School,201,City,Open\n`;
    const rows = [];
    for await (const row of readGias(once(gias))) rows.push(row);
    expect(rows).toEqual([
      {
        line: 2,
        errors: [
          {
            line: 2,
            field: 'EstablishmentName',
            message: expect.stringContaining('NUL') as string,
          },
        ],
      },
    ]);
  });
});
