import { sql } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import { queryRows, type Db } from '../../db/client.js';
import { engagementRefreshSql, staleEnrolmentsSql } from '../../db/queries/cohort-engagement.js';
import { londonDateOf } from '../../policy/index.js';
import { registerInForce } from '../policy-register.js';
import { startRepeatingRun, type RepeatingRunLogger } from '../repeating-run.js';

/**
 * The per-enrolment engagement summary (enrolment_engagement): each enrolment's figures stored
 * until the first day they can change, so cohort-wide figures read one row per enrolment. Rows
 * are deleted by triggers in the same transaction as anything that changes them; this works out
 * the missing and expired ones again. Readers work out live whatever is missing, so running this
 * late (or never) makes them slower, never wrong.
 */

/**
 * The summary's advisory lock (with the table's oid, so each schema has its own): taken shared by
 * the triggers that delete rows (migration 0026), exclusively here.
 */
export const ENGAGEMENT_SUMMARY_LOCK = sql`7261, 'enrolment_engagement'::regclass::oid::int`;

export interface SummaryRefreshReport {
  /** Enrolments whose figures were worked out and stored. */
  stored: number;
  /** True when a change was under way (or another refresh ran) and this one stopped to let it. */
  deferred: boolean;
}

/**
 * Stores the figures of every enrolment that has no row holding today, in transactions of at most
 * `batchSize` enrolments. Each transaction first takes the summary's lock exclusively, and only if
 * no change holding it is under way: it then works out figures from everything committed, and a
 * change that starts meanwhile waits for it to commit before deleting what it wrote.
 */
export async function refreshEngagementSummary(
  deps: { db: Db; clock: Clock },
  options: { batchSize?: number } = {},
): Promise<SummaryRefreshReport> {
  const batchSize = options.batchSize ?? 20_000;
  const today = londonDateOf(deps.clock.now());
  const register = await registerInForce(deps.db, today);
  let stored = 0;
  for (;;) {
    const batch = await deps.db.transaction(async (tx) => {
      const [lock] = await queryRows<{ got: boolean }>(
        tx,
        sql`select pg_try_advisory_xact_lock(${ENGAGEMENT_SUMMARY_LOCK}) as got`,
      );
      if (!lock?.got) return null;
      const stale = await queryRows<{ id: number }>(
        tx,
        staleEnrolmentsSql({ cohorts: sql`true`, today, register, limit: batchSize }),
      );
      if (stale.length === 0) return 0;
      const [row] = await queryRows<{ stored: number }>(
        tx,
        engagementRefreshSql({ enrolmentIds: stale.map((r) => r.id), today, register }),
      );
      return row?.stored ?? 0;
    });
    if (batch === null) return { stored, deferred: true };
    stored += batch;
    if (batch < batchSize) break;
  }
  // After many rows (the first run, or the day a date falls due in a large cohort) the planner
  // should know the table's new size at once rather than when autovacuum next looks at it.
  if (stored >= ANALYZE_AFTER) await deps.db.execute(sql`analyze enrolment_engagement`);
  return { stored, deferred: false };
}

/** How many rows stored in one refresh make it worth updating the table's statistics. */
const ANALYZE_AFTER = 10_000;

/**
 * Refreshes the summary in this process every `intervalMs` (default a minute, the first time
 * `firstRunAfterMs` after start-up), on either database; with several app instances the lock
 * lets one work while the others skip. Runs never overlap; the returned function stops the loop
 * and waits for a run in progress.
 */
export function startEngagementSummaryLoop(options: {
  db: Db;
  clock: Clock;
  logger: RepeatingRunLogger;
  intervalMs?: number;
  /** The first run, after start-up (default 5 s: the first pages are served before it). */
  firstRunAfterMs?: number;
}): () => Promise<void> {
  return startRepeatingRun({
    run: () => refreshEngagementSummary(options),
    onDone: (report) => {
      if (report.stored > 0) options.logger.info({ report }, 'Engagement summary refreshed');
    },
    failureMessage: 'Engagement summary refresh failed; trying again shortly',
    logger: options.logger,
    intervalMs: options.intervalMs ?? 60_000,
    firstRunAfterMs: options.firstRunAfterMs ?? 5_000,
  });
}
