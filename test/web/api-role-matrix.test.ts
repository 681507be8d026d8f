import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  GROUP_NAMES,
  INSIDERS,
  MAX_GROUP_SIZE,
  OUTSIDERS,
  ROUTE_GROUPS,
  createMatrixWorld,
  type MatrixWorld,
} from '../support/api-role-matrix.js';

/**
 * Every API route, called as every role, with the ids of records that belong to a participant of
 * the SOUTH delivery partner. Whatever a route answers, a NORTH partner's staff and a north
 * participant must never see anything of that participant, no route may fail with a 5xx, and
 * nothing but the OpenAPI document answers without authentication.
 *
 * One test per role and route group (test/support/api-role-matrix.ts), so each does at most
 * MAX_GROUP_SIZE requests: the matrix once ran as one test of ~850 requests, from 3 s to past its
 * 30 s limit on a busy machine. The outsiders run first, against the records as made; they are
 * refused everything, so they change nothing, and each checks the records are still there. The
 * insiders' checks (no 5xx) hold whatever state earlier cells leave.
 */
let m: MatrixWorld;

beforeAll(async () => {
  m = await createMatrixWorld();
}, 300_000);
afterAll(async () => {
  await m?.destroy();
});

describe('the matrix world', () => {
  it('has a record of every kind for the south participant', async () => {
    expect(Object.entries(m.ids).filter(([, id]) => !(id > 0))).toEqual([]);
    expect(await m.missingRecords()).toEqual([]);
    expect(m.southEmails).toContain('participant1@demo.npq-ops.test');
    expect(m.southEmails).not.toContain('participant2@demo.npq-ops.test');
  });

  it('covers the API in groups small enough to stay quick under load', () => {
    expect(m.routes.length).toBeGreaterThanOrEqual(50);
    const sizes = Object.fromEntries(GROUP_NAMES.map((g) => [g, m.routesIn(g).length]));
    for (const g of GROUP_NAMES) {
      expect(sizes[g], `group ${g}`).toBeLessThanOrEqual(MAX_GROUP_SIZE);
      // A named group that matches no route means a family was renamed: keep the list honest.
      if (ROUTE_GROUPS[g].length > 0) expect(sizes[g], `group ${g}`).toBeGreaterThan(0);
    }
    expect(GROUP_NAMES.reduce((n, g) => n + sizes[g]!, 0)).toBe(m.routes.length);
  });
});

describe('signed out', () => {
  it.each(GROUP_NAMES)('%s routes answer 401 (or 403)', async (group) => {
    for (const r of m.routesIn(group)) {
      const res = await m.w.app.inject({
        method: r.method as 'GET',
        url: m.urlOf(r.path),
        payload: r.method === 'GET' ? undefined : {},
      });
      expect([401, 403], `${r.method} ${r.path} signed out`).toContain(res.statusCode);
    }
  });
});

// Outsiders first, against the records as made (each cell checks they are still there).
describe.each(OUTSIDERS)('as %s (an outsider to the south participant)', (role) => {
  it.each(GROUP_NAMES)(
    '%s routes never show the south participant, refuse its writes, never fail with a 5xx',
    async (group) => {
      expect(await m.missingRecords()).toEqual([]);
      const { problems } = await m.checkCell(role, group);
      expect(problems).toEqual([]);
    },
  );
});

describe.each(INSIDERS)('as %s', (role) => {
  it.each(GROUP_NAMES)('%s routes never fail with a 5xx', async (group) => {
    const { problems } = await m.checkCell(role, group);
    expect(problems).toEqual([]);
  });
});

describe('ids at the edge', () => {
  it('refuses ids the database cannot hold, and ids that are not plain digits, with 400', async () => {
    const team = m.sessions.programme_team;
    for (const url of [
      '/api/v1/participants/2147483648',
      '/api/v1/participants/0x10',
      '/api/v1/participants/1e3',
      '/api/v1/enrolments/99999999999',
      '/api/v1/school-moves?participantId=2147483648',
    ]) {
      const res = await team.request({ method: 'GET', url });
      expect(res.statusCode, url).toBe(400);
    }
    const booking = await team.request({
      method: 'POST',
      url: '/api/v1/bookings',
      payload: { enrolmentId: 2 ** 31, cohortEventId: 1 },
    });
    expect(booking.statusCode).toBe(400);
    const batch = await team.request({
      method: 'POST',
      url: '/api/v1/engagement/batch',
      payload: [
        {
          participant: `id:${m.ids.participant}`,
          activityId: 2 ** 31,
          kind: 'study_session',
          occurredAt: '2026-03-01T10:00:00Z',
          source: 'import',
          sourceEventId: 'too-big',
        },
      ],
    });
    expect(batch.statusCode).toBeLessThan(500);
  });
});
