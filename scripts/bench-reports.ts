/**
 * The programme reports (issue 16) at scale, next to a hand-written SQL count of the same figures:
 * the whole report page's read (three set-based queries) and its charts, for the programme team
 * (every participant) and for one delivery partner's staff (its own), and a drill-down's first
 * page. Run from scripts/bench.ts after the daily job (so engagement alerts exist).
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { fixedClock } from '../src/clock.js';
import { queryRows, type Db } from '../src/db/client.js';
import type { Actor } from '../src/services/actor.js';
import { programmeReport, reportParticipants } from '../src/services/reports.js';
import { forgetDrawings } from '../src/web/charts.js';
import { reportView } from '../src/web/routes/staff/report-view.js';

const fmt = (n: number) => Math.round(n).toLocaleString('en-GB');
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : fmt(n));

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function timed<T>(
  runs: number,
  fn: () => Promise<T>,
): Promise<{ result: T; times: number[] }> {
  let result = await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    result = await fn();
    times.push(performance.now() - start);
  }
  return { result, times };
}

const actorOf = (role: Actor['role'], scope: Partial<Actor>): Actor => ({
  userId: 0,
  email: 'bench@npq-ops.test',
  displayName: 'Bench',
  role,
  leadProviderId: null,
  deliveryPartnerId: null,
  participantId: null,
  ...scope,
});

/** The same figures by hand: one count per funnel step over enrolments past 'applied'. */
function handCount(partnerId: number | null) {
  return sql`
    select count(*)::int as accepted,
           count(*) filter (where e.commenced_at is not null
             or e.status in ('active', 'deferred', 'transferred_out', 'completed_passed', 'completed_failed'))::int as commenced,
           count(*) filter (where e.status like 'completed%')::int as completed,
           count(*) filter (where e.status = 'completed_passed')::int as passed
    from enrolment e where e.status <> 'applied'
    ${partnerId === null ? sql`` : sql`and e.delivery_partner_id = ${partnerId}`}`;
}

export async function benchReports(db: Db, now: Date, runs: number): Promise<void> {
  const [lp] = await queryRows<{ id: number }>(
    db,
    sql`select id from lead_provider order by id limit 1`,
  );
  const [partner] = await queryRows<{ id: number; name: string; n: number }>(
    db,
    sql`select dp.id, dp.name, count(*)::int as n from enrolment e join delivery_partner dp on dp.id = e.delivery_partner_id
        group by dp.id, dp.name order by count(*) desc limit 1`,
  );
  if (!lp || !partner) throw new Error('Nothing seeded to report on');
  const deps = { db, clock: fixedClock(now) };
  const team = actorOf('programme_team', { leadProviderId: lp.id });
  const staff = actorOf('delivery_partner_staff', {
    deliveryPartnerId: partner.id,
    leadProviderId: lp.id,
  });
  const rows: string[][] = [];
  const add = (name: string, figure: string, times: number[]) =>
    rows.push([name, figure, ms(median(times)), ms(Math.min(...times)), ms(Math.max(...times))]);

  for (const [who, actor, partnerId] of [
    ['programme team', team, null],
    [`partner (${partner.name})`, staff, partner.id],
  ] as const) {
    const page = await timed(runs, async () => {
      const report = await programmeReport(deps, actor, {}, 'cohort');
      forgetDrawings(); // charts drawn afresh, as for figures not seen before
      await reportView(report);
      return report;
    });
    const reads = await timed(runs, () => programmeReport(deps, actor, {}, 'cohort'));
    const hand = await timed(runs, () =>
      queryRows<{ accepted: number; commenced: number; completed: number; passed: number }>(
        db,
        handCount(partnerId),
      ),
    );
    const t = page.result.funnel.total;
    const h = hand.result[0]!;
    const same =
      t.accepted === h.accepted &&
      t.commenced === h.commenced &&
      t.completed === h.completed &&
      t.passed === h.passed;
    if (!same) {
      throw new Error(`Report and hand count differ: ${JSON.stringify({ report: t, hand: h })}`);
    }
    const figure = `${fmt(t.accepted)} accepted, ${fmt(t.passed)} passed`;
    add(`${who}: report page (queries + charts)`, figure, page.times);
    add(`${who}: report queries only`, figure, reads.times);
    add(`${who}: hand-written SQL count`, figure, hand.times);
    const drill = await timed(runs, () =>
      reportParticipants(deps, actor, {}, { kind: 'commenced' }, { limit: 25, offset: 0 }),
    );
    add(`${who}: drill-down page (commenced)`, `${fmt(drill.result.total)} listed`, drill.times);
  }
  const widths = [0, 1, 2, 3, 4].map((i) =>
    Math.max(
      ...[
        ['Reports (' + runs + ' runs after a warm-up)', 'figure', 'median ms', 'min ms', 'max ms'],
        ...rows,
      ].map((r) => r[i]!.length),
    ),
  );
  const line = (cells: string[]) =>
    cells.map((c, i) => (i < 2 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  console.log(
    `\n${[line(['Reports (' + runs + ' runs after a warm-up)', 'figure', 'median ms', 'min ms', 'max ms']), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n')}`,
  );
}
