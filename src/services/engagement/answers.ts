/**
 * The engagement API's answers stored ready to send (issue 13). Working out an enrolment's
 * engagement takes its facts (one statement the planner spends about a millisecond on), the policy
 * version in force and a few milliseconds of policy arithmetic, about 8 ms of CPU per request in
 * all; sending the JSON stored for today takes one small read.
 *
 * - Reading: one statement finds the enrolment the actor may see, its open alerts and the answer
 *   stored for today (enrolment_engagement_answer); it checks a remembered bearer token again
 *   (services/recent-tokens.ts), and sends the body only if it differs from the one this server
 *   holds (by digest). With no stored answer the caller works it out live, as before, and the
 *   enrolment is queued for the warmer. Reads never write.
 * - Forgetting: triggers (drizzle/0028_engagement_answer.sql) delete an enrolment's answer in the
 *   same transaction as any change to what it was worked out from; an answer is only read for the
 *   London day it was worked out (every decision names its day), and a change to the policy
 *   register deletes them all.
 * - Warming: a loop in the server stores the answers of the enrolments read since its last run,
 *   under the answers' advisory lock (taken shared by the triggers), so an answer worked out while
 *   a change was under way is never kept.
 */
import { sql, type SQL } from 'drizzle-orm';
import type { Clock } from '../../clock.js';
import { LRUCache } from 'lru-cache';
import { arrayParam, keptStatements, queryRows, type Db } from '../../db/client.js';
import {
  enrolmentFactsStatement,
  factsFromRow,
  type FactsRow,
} from '../../db/queries/enrolment-facts.js';
import { londonDateOf } from '../../policy/index.js';
import { actorKey, type Actor } from '../actor.js';
import { enrolmentVisibleTo } from '../authorisation.js';
import {
  ALERT_KINDS_SQL,
  toOpenAlert,
  type OpenAlert,
  type OpenAlertRow,
} from '../engagement-alerts.js';
import { NotFoundError } from '../errors.js';
import { registerInForce } from '../policy-register.js';
import { tokenStillValid, type TokenRecheck } from '../recent-tokens.js';
import { startRepeatingRun, type RepeatingRunLogger } from '../repeating-run.js';
import { engagementOf, type EnrolmentEngagement } from './read.js';

/** The answers' advisory lock: taken shared by the triggers that delete answers, exclusively here. */
const ANSWER_LOCK = sql`7263, 'enrolment_engagement_answer'::regclass::oid::int`;

export interface StoredEngagementAnswer {
  /** The answer stored for today (JSON without its open alerts), or null: work it out live. */
  stored: string | null;
  /** The enrolment's open alerts, read live. */
  alerts: OpenAlert[];
}

/**
 * An enrolment the actor may see (else not found): its open alerts and the answer stored for
 * `today`, in one statement. With `recheck` (a bearer token's actor as the server last found it,
 * services/recent-tokens.ts) the same statement checks the token again; if it no longer holds,
 * nothing else is read and `tokenValid` is false: authenticate again and ask again.
 */
export async function readStoredEngagementAnswer(
  db: Db,
  actor: Actor,
  enrolmentId: number,
  today: string,
  recheck: TokenRecheck | null = null,
): Promise<StoredEngagementAnswer & { tokenValid: boolean }> {
  // Built once per actor (and token) and kept: building and naming it cost as much as running it.
  const key = recheck
    ? `${actorKey(actor)}#${recheck.tokenId}#${actorKey(recheck.actor)}`
    : actorKey(actor);
  const held = heldAnswers(db);
  const known = held.get(enrolmentId);
  const [row] = await answerReads<AnswerRow>(db, key, () => answerStatement(actor, recheck), {
    enrolmentId,
    today,
    now: (recheck?.now ?? new Date(0)).toISOString(),
    held: known?.digest ?? '',
  });
  if (!row?.token_ok) return { tokenValid: false, stored: null, alerts: [] };
  if (!row.found) throw new NotFoundError('Enrolment not found');
  const cohortName = row.cohort_name!;
  const alerts = (row.alerts ?? []).map((a) =>
    toOpenAlert({ ...a, enrolment_id: enrolmentId, cohort_name: cohortName }),
  );
  // The body as stored, sent when it differs from the one held here; none stored: null.
  let stored: string | null = null;
  if (row.body !== null && row.digest !== null) {
    stored = row.body;
    held.set(enrolmentId, { digest: row.digest, body: row.body });
  } else if (row.digest !== null && known?.digest === row.digest) {
    stored = known.body;
  }
  return { tokenValid: true, stored, alerts };
}

/**
 * Answers this server has read lately, by enrolment, with their digests (the table's generated
 * `md5(body)`, migration 0029). The read sends the digest it holds and PostgreSQL sends the body
 * only if the one stored differs: reading 25 KB out of its compressed store and sending it over the
 * connection at every request was about a third of the request's database work. What is sent is
 * still exactly what is stored for today (the same digest, the same bytes), checked in the same
 * statement as who may see it. At most HELD_CHARS characters in all, the least recently read
 * dropped.
 */
interface HeldAnswer {
  digest: string;
  body: string;
}
const HELD_CHARS = 16 * 1024 * 1024;

const heldByDb = new WeakMap<Pick<Db, '_'>, LRUCache<number, HeldAnswer>>();
function heldAnswers(db: Pick<Db, '_'>): LRUCache<number, HeldAnswer> {
  let held = heldByDb.get(db);
  if (!held) {
    held = new LRUCache({
      maxSize: HELD_CHARS,
      sizeCalculation: (a) => Math.max(1, a.body.length),
    });
    heldByDb.set(db, held);
  }
  return held;
}

interface AnswerRow {
  token_ok: boolean;
  found: boolean | null;
  /** Null when none is stored for today, or when the one stored is the one held (`digest`). */
  body: string | null;
  digest: string | null;
  alerts: Omit<OpenAlertRow, 'enrolment_id' | 'cohort_name'>[] | null;
  cohort_name: string | null;
}

const answerReads = keptStatements<{
  enrolmentId: number;
  today: string;
  now: string;
  held: string;
}>();

/**
 * The read's statement for this actor (and token to check again): the enrolment, today and the
 * token's instant are placeholders. Open alerts as openAlertsForEnrolments reads them (on an active
 * enrolment, by the unique (kind, enrolment_id) index), with the enrolment and cohort at hand.
 */
function answerStatement(actor: Actor, recheck: TokenRecheck | null): SQL {
  const tokenOk = recheck ? tokenStillValid(recheck, sql.placeholder('now')) : sql`true`;
  return sql`select k.token_ok, x.found, x.body, x.digest, x.cohort_name, x.alerts
        from (select ${tokenOk} as token_ok) k
        left join lateral (
          select true as found, s.digest, c.name as cohort_name,
                 case when s.digest = ${sql.placeholder('held')}::text then null else s.body end as body,
                 case when e.status = 'active' then
                   (select json_agg(json_build_object('kind', a.kind, 'raised_on', a.raised_on::text,
                                                      'threshold_bp', (a.details->>'thresholdBp')::int)
                                    order by a.raised_on, a.kind)
                    from engagement_alert a
                    where a.kind = any(${ALERT_KINDS_SQL})
                      and a.enrolment_id = e.id and a.cleared_on is null)
                 end as alerts
          from enrolment e join cohort c on c.id = e.cohort_id
          left join enrolment_engagement_answer s
            on s.enrolment_id = e.id and s.answered_on = ${sql.placeholder('today')}::date
          where e.id = ${sql.placeholder('enrolmentId')}::int and (${enrolmentVisibleTo(actor)})
        ) x on k.token_ok`;
}

/** Queues enrolments whose answers were worked out live, for the warmer to store. */
export interface EngagementAnswerQueue {
  enqueue(enrolmentId: number): void;
}

/** How the answer is sent, without its open alerts (the API's serializer; see web/api/engagement.ts). */
export type AnswerSerializer = (engagement: EnrolmentEngagement) => string;

export interface EngagementAnswerWarmer extends EngagementAnswerQueue {
  /** Stores the answers of the enrolments queued; how many were stored. */
  flush(): Promise<number>;
  /** Stops the loop (if started) and waits for a run in progress. */
  stop(): Promise<void>;
}

/** At most this many enrolments wait to be warmed; more are dropped (read live until queued again). */
const MAX_QUEUED = 10_000;
/** Enrolments per transaction: the triggers' writers wait for at most one batch. */
const BATCH = 50;

/**
 * The warmer: `enqueue` remembers an enrolment; `flush` works out and stores the answers of those
 * remembered, a batch per transaction, each under the answers' lock taken exclusively only if no
 * change holds it (else the batch waits for the next run). With `intervalMs` it flushes in this
 * process on a timer (the server's loop); without, only when asked (tests).
 */
export function createEngagementAnswerWarmer(options: {
  db: Db;
  clock: Clock;
  serialize: AnswerSerializer;
  logger?: RepeatingRunLogger;
  intervalMs?: number;
}): EngagementAnswerWarmer {
  const queued = new Set<number>();
  const flush = async (): Promise<number> => {
    let stored = 0;
    while (queued.size > 0) {
      const batch = [...queued].slice(0, BATCH);
      const done = await storeAnswers(options, batch);
      if (done === null) return stored;
      for (const id of batch) queued.delete(id);
      stored += done;
    }
    return stored;
  };
  const stopLoop =
    options.intervalMs && options.logger
      ? startRepeatingRun({
          run: flush,
          onDone: () => undefined,
          failureMessage: 'Storing engagement answers failed; trying again shortly',
          logger: options.logger,
          intervalMs: options.intervalMs,
          firstRunAfterMs: options.intervalMs,
        })
      : async () => undefined;
  return {
    enqueue(enrolmentId) {
      if (queued.size < MAX_QUEUED) queued.add(enrolmentId);
    },
    flush,
    stop: stopLoop,
  };
}

/**
 * Works out and stores the answers of these enrolments for today, in one transaction under the
 * answers' lock; null when a change holds the lock (nothing stored). One facts statement per
 * enrolment and one insert for the batch.
 */
async function storeAnswers(
  options: { db: Db; clock: Clock; serialize: AnswerSerializer },
  enrolmentIds: readonly number[],
): Promise<number | null> {
  const today = londonDateOf(options.clock.now());
  return options.db.transaction(async (tx) => {
    const [lock] = await queryRows<{ got: boolean }>(
      tx,
      sql`select pg_try_advisory_xact_lock(${ANSWER_LOCK}) as got`,
    );
    if (!lock?.got) return null;
    const register = await registerInForce(tx, today);
    const ids: number[] = [];
    const bodies: string[] = [];
    for (const id of enrolmentIds) {
      const [row] = await queryRows<FactsRow>(tx, enrolmentFactsStatement(id));
      const facts = row ? factsFromRow(row) : null;
      if (!facts) continue;
      ids.push(id);
      bodies.push(options.serialize(engagementOf(facts, today, register)));
    }
    if (ids.length === 0) return 0;
    await tx.execute(sql`
      insert into enrolment_engagement_answer (enrolment_id, answered_on, body)
      select u.id, ${today}::date, u.body
      from unnest(${arrayParam(ids)}::int[], ${arrayParam(bodies)}::text[]) as u(id, body)
      join enrolment e on e.id = u.id
      on conflict (enrolment_id) do update set answered_on = excluded.answered_on, body = excluded.body`);
    return ids.length;
  });
}
