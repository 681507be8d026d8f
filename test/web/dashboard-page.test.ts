import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import {
  cohortEngagement,
  type EnrolmentEngagementRow,
} from '../../src/db/queries/cohort-engagement.js';
import { enrolmentVisibleTo } from '../../src/services/authorisation.js';
import { AT_RISK_SHOWN, DASHBOARD_PAGE_SIZE } from '../../src/services/staff-dashboard.js';
import { formatBasisPoints, londonDateOf } from '../../src/policy/index.js';
import { createDemoWorld, type DemoWorld, type Session } from '../support/demo-world.js';

/**
 * The staff cohort dashboard a page at a time (issue 13): a demo cohort with 120 more enrolments,
 * so its participants run to three pages and more than AT_RISK_SHOWN of them are at risk.
 */
let world: DemoWorld;
let team: Session;
let cohortId: number;
let south: number;

const ADDED = 120;

beforeAll(async () => {
  world = await createDemoWorld();
  team = await world.signIn('programme.team@demo.npq-ops.test');
  const [row] = await queryRows<{ id: number }>(
    world.t.db,
    sql`select e.cohort_id as id from enrolment e group by e.cohort_id
        order by count(*) desc, e.cohort_id limit 1`,
  );
  cohortId = row!.id;
  const partners = await queryRows<{ id: number; slug: string }>(
    world.t.db,
    sql`select id, slug from delivery_partner where slug in ('north', 'south') order by slug`,
  );
  const north = partners.find((p) => p.slug === 'north')!.id;
  south = partners.find((p) => p.slug === 'south')!.id;
  // 120 participants, every other one with south; one in six withdrawn (all with north); the i-th has done the
  // first (i mod 34) required activities of the programme, so engagement spreads over the bands.
  await world.t.db.execute(
    sql`insert into participant (full_name, email, trn, funding_route)
        select 'Paging ' || lpad(g::text, 3, '0'), 'paging' || g || '@example.org',
               '98' || lpad(g::text, 5, '0'), 'school'
        from generate_series(1, ${ADDED}) g`,
  );
  await world.t.db.execute(
    sql`insert into enrolment (participant_id, cohort_id, delivery_partner_id, status)
        select p.id, ${cohortId},
               case when p.trn::int % 2 = 0 then ${south}::int else ${north}::int end,
               case when p.trn::int % 6 = 1 then 'withdrawn' else 'active' end
        from participant p where p.email like 'paging%@example.org'`,
  );
  await world.t.db.execute(
    sql`insert into engagement_record (participant_id, activity_id, kind, occurred_at, source, source_event_id)
        select p.id, a.id, a.kind, '2026-01-10T10:00:00Z', 'import', 'paging-' || p.id || '-' || a.id
        from participant p
        join enrolment e on e.participant_id = p.id and e.cohort_id = ${cohortId}
        join cohort c on c.id = e.cohort_id
        join lateral (
          select a.id, a.kind, row_number() over (order by a.position, a.id) as n
          from programme_activity a where a.programme_id = c.programme_id and a.required
        ) a on a.n <= p.trn::int % 34
        where p.email like 'paging%@example.org'`,
  );
});
afterAll(async () => {
  await world?.destroy();
});

const get = (s: Session, url: string) => s.request({ method: 'GET', url });

function rowsOf(html: string, testId: string): string[] {
  const table = new RegExp(
    `data-testid="${testId}"[\\s\\S]*?<tbody[^>]*>([\\s\\S]*?)</tbody>`,
  ).exec(html);
  return table ? [...table[1]!.matchAll(/<tr[\s\S]*?<\/tr>/g)].map((m) => m[0]) : [];
}

/** The participant ids of a table, in the order shown. */
function linksInOrder(html: string, testId: string): number[] {
  return rowsOf(html, testId).map((r) => Number(/href="\/participants\/(\d+)"/.exec(r)?.[1]));
}

function numberIn(html: string, testId: string): string {
  return new RegExp(`data-testid="${testId}">([^<]*)<`).exec(html)?.[1] ?? '';
}

function paginationHrefs(html: string): string[] {
  const nav = /<nav class="govuk-pagination"[\s\S]*?<\/nav>/.exec(html)?.[0] ?? '';
  return [...nav.matchAll(/href="([^"]+)"/g)].map((m) => m[1]!.replace(/&amp;/g, '&'));
}

const inProgressAtRisk = (r: EnrolmentEngagementRow) =>
  r.atRisk && ['active', 'accepted'].includes(r.status);

async function expectedRows(extra = sql`true`): Promise<EnrolmentEngagementRow[]> {
  const actor = await world.actor('programme.team@demo.npq-ops.test');
  return cohortEngagement(world.t.db, {
    cohortId,
    today: londonDateOf(world.clock.now()),
    visibleTo: sql`(${enrolmentVisibleTo(actor)}) and ${extra}`,
  });
}

describe('the cohort dashboard a page at a time', () => {
  it('totals cover every page: the pages together are exactly the cohort, in order', async () => {
    const expected = await expectedRows();
    const pages = Math.ceil(expected.length / DASHBOARD_PAGE_SIZE);
    expect(expected.length).toBeGreaterThan(2 * DASHBOARD_PAGE_SIZE);
    const shown: number[] = [];
    for (let n = 1; n <= pages; n++) {
      const res = await get(team, `/cohorts/${cohortId}?page=${n}`);
      expect(res.statusCode).toBe(200);
      const ids = linksInOrder(res.body, 'participants');
      expect(ids.length).toBe(
        n < pages
          ? DASHBOARD_PAGE_SIZE
          : expected.length % DASHBOARD_PAGE_SIZE || DASHBOARD_PAGE_SIZE,
      );
      shown.push(...ids);
      // The totals are the same on every page, and for everyone.
      expect(numberIn(res.body, 'participant-total')).toBe(String(expected.length));
      const bandTotal = rowsOf(res.body, 'bands')
        .map((r) => Number(/<td[^>]*>\s*(\d+)\s*<\/td>/.exec(r)?.[1]))
        .reduce((a, b) => a + b, 0);
      expect(bandTotal).toBe(expected.length);
    }
    expect(shown).toEqual(expected.map((r) => r.participantId));

    const res = await get(team, `/cohorts/${cohortId}`);
    const bands = rowsOf(res.body, 'bands').map((r) =>
      Number(/<td[^>]*>\s*(\d+)\s*<\/td>/.exec(r)?.[1]),
    );
    const within = (min: number, max: number) =>
      expected.filter((r) => r.basisPoints >= min && r.basisPoints < max).length;
    expect(bands).toEqual([
      within(0, 5000),
      within(5000, 7500),
      within(7500, 9000),
      within(9000, Infinity),
    ]);
    const atRisk = expected.filter(inProgressAtRisk);
    expect(atRisk.length).toBeGreaterThan(AT_RISK_SHOWN);
    expect(numberIn(res.body, 'at-risk-total')).toBe(String(atRisk.length));
    const mean = Math.floor(expected.reduce((s, r) => s + r.basisPoints, 0) / expected.length);
    expect(numberIn(res.body, 'average-engagement')).toBe(formatBasisPoints(mean));
    // The at-risk list: the gravest AT_RISK_SHOWN, lowest projection first.
    const gravest = [...atRisk]
      .sort(
        (a, b) => a.projectedBasisPoints - b.projectedBasisPoints || a.enrolmentId - b.enrolmentId,
      )
      .slice(0, AT_RISK_SHOWN);
    expect(linksInOrder(res.body, 'at-risk')).toEqual(gravest.map((r) => r.participantId));
  });

  it('page 2 shows the next people by name, and a page past the last shows the last', async () => {
    const expected = await expectedRows();
    const res = await get(team, `/cohorts/${cohortId}?page=2`);
    expect(linksInOrder(res.body, 'participants')).toEqual(
      expected.slice(DASHBOARD_PAGE_SIZE, 2 * DASHBOARD_PAGE_SIZE).map((r) => r.participantId),
    );
    expect(res.body).toContain(
      `Showing ${DASHBOARD_PAGE_SIZE + 1} to ${2 * DASHBOARD_PAGE_SIZE} of ${expected.length}`,
    );
    const pages = Math.ceil(expected.length / DASHBOARD_PAGE_SIZE);
    const last = await get(team, `/cohorts/${cohortId}?page=${pages}`);
    const beyond = await get(team, `/cohorts/${cohortId}?page=999`);
    expect(beyond.statusCode).toBe(200);
    expect(linksInOrder(beyond.body, 'participants')).toEqual(
      linksInOrder(last.body, 'participants'),
    );
    expect(linksInOrder(beyond.body, 'participants')).toEqual(
      expected.slice((pages - 1) * DASHBOARD_PAGE_SIZE).map((r) => r.participantId),
    );
    // Nonsense is the first page, not an error.
    const nonsense = await get(team, `/cohorts/${cohortId}?page=abc`);
    expect(linksInOrder(nonsense.body, 'participants')).toEqual(
      expected.slice(0, DASHBOARD_PAGE_SIZE).map((r) => r.participantId),
    );
  });

  it('keeps the filters in the page links, and pages through the filtered set', async () => {
    const res = await get(team, `/cohorts/${cohortId}?partner=${south}&status=active`);
    const expected = await expectedRows(
      sql`e.delivery_partner_id = ${south} and e.status = 'active'`,
    );
    expect(expected.length).toBeGreaterThan(DASHBOARD_PAGE_SIZE);
    expect(numberIn(res.body, 'participant-total')).toBe(String(expected.length));
    const hrefs = paginationHrefs(res.body);
    expect(hrefs).toContain(`/cohorts/${cohortId}?partner=${south}&status=active&page=2`);
    for (const href of hrefs) expect(href).toMatch(new RegExp(`partner=${south}&status=active&`));
    const second = await get(team, `/cohorts/${cohortId}?partner=${south}&status=active&page=2`);
    expect(linksInOrder(second.body, 'participants')).toEqual(
      expected.slice(DASHBOARD_PAGE_SIZE, 2 * DASHBOARD_PAGE_SIZE).map((r) => r.participantId),
    );
  });

  it('pages through the at-risk only, and the CSV export still has everyone', async () => {
    const atRisk = (await expectedRows()).filter(inProgressAtRisk);
    const first = await get(team, `/cohorts/${cohortId}?atRisk=yes`);
    expect(numberIn(first.body, 'participant-total')).toBe(String(atRisk.length));
    expect(paginationHrefs(first.body)).toContain(`/cohorts/${cohortId}?atRisk=yes&page=2`);
    const second = await get(team, `/cohorts/${cohortId}?atRisk=yes&page=2`);
    expect(linksInOrder(second.body, 'participants')).toEqual(
      atRisk.slice(DASHBOARD_PAGE_SIZE, 2 * DASHBOARD_PAGE_SIZE).map((r) => r.participantId),
    );
    // The link from the at-risk list to all of them.
    expect(first.body).toContain(`href="/cohorts/${cohortId}?atRisk=yes#participants"`);

    const everyone = await expectedRows();
    const csv = await get(team, `/cohorts/${cohortId}/export.csv`);
    const ids = csv.body
      .trim()
      .split('\r\n')
      .slice(1)
      .map((l) => Number(l.split(',')[0]));
    expect(ids).toEqual(everyone.map((r) => r.participantId));
  });
});
