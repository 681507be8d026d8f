/**
 * The DfE declarations due for every participant the bench seeded, computed set-based exactly as
 * the app does (src/db/queries/declarations-due.ts), next to a plain SQL count of the same
 * enrolments; then queuing them all in the DfE outbox once (two set-based inserts).
 */
import { performance } from 'node:perf_hooks';
import { sql } from 'drizzle-orm';
import { queryRows, type Db } from '../src/db/client.js';
import {
  countDueDeclarations,
  findDueDeclarations,
  queueDueDeclarations,
} from '../src/db/queries/declarations-due.js';

const fmt = (n: number) => Math.round(n).toLocaleString('en-GB');
const ms = (n: number) => (n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : fmt(n));

async function timed<T>(fn: () => Promise<T>, runs: number): Promise<[T, number[]]> {
  let result = await fn(); // warm-up
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    result = await fn();
    times.push(performance.now() - start);
  }
  return [result, times];
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

export async function benchDeclarations(db: Db, today: string, at: Date, runs: number) {
  // The demo generator does not record commencement (the app records it with the commencement
  // page, 2.3.2): set it, once, set-based, to each started enrolment's first engagement.
  const backfillStart = performance.now();
  const [backfilled] = await queryRows<{ n: number }>(
    db,
    sql`with f as (
          select e.id, min(er.occurred_at) as first_at
          from enrolment e join engagement_record er on er.participant_id = e.participant_id
          where e.commenced_at is null and e.status not in ('applied', 'accepted')
          group by e.id),
        u as (update enrolment e set commenced_at = f.first_at from f where e.id = f.id returning 1)
        select count(*)::int as n from u`,
  );
  await db.execute(sql`analyze enrolment`);
  console.log(
    `\nCommencement recorded for ${fmt(backfilled?.n ?? 0)} started enrolments (first engagement), ${ms(performance.now() - backfillStart)} ms`,
  );
  const [plain, plainTimes] = await timed(
    () =>
      queryRows<{ participants: number; enrolments: number }>(
        db,
        sql`select count(distinct participant_id)::int as participants, count(*)::int as enrolments
            from enrolment where commenced_at is not null`,
      ),
    runs,
  );
  const [byType, countTimes] = await timed(() => countDueDeclarations(db, today), runs);
  const [rows, listTimes] = await timed(() => findDueDeclarations(db, today), runs);
  const start = performance.now();
  const queued = await queueDueDeclarations(db, today, at);
  const queueMs = performance.now() - start;
  const lines: [string, string, string][] = [
    [
      `plain count of the same participants (${fmt(plain[0]!.participants)} people, ${fmt(plain[0]!.enrolments)} commenced enrolments)`,
      fmt(plain[0]!.enrolments),
      ms(median(plainTimes)),
    ],
    [
      `declarations due, counted (${Object.entries(byType)
        .map(([k, v]) => `${k} ${fmt(v)}`)
        .join(', ')})`,
      fmt(Object.values(byType).reduce((a, b) => a + b, 0)),
      ms(median(countTimes)),
    ],
    ['declarations due, every row returned', fmt(rows.length), ms(median(listTimes))],
    ['queue them all in the DfE outbox (once)', fmt(queued), ms(queueMs)],
  ];
  const w0 = Math.max(...lines.map((l) => l[0].length));
  console.log(
    `\nDfE declarations due on ${today} (${runs} runs after a warm-up, median ms)\n` +
      lines.map(([a, b, c]) => `${a.padEnd(w0)}  ${b.padStart(9)}  ${c.padStart(9)}`).join('\n'),
  );
}
