/**
 * The daily processing job. Each step is its own transaction that first takes a transaction-level
 * advisory lock, so two runs at once (two servers, or the CLI beside the scheduler) queue behind
 * each other instead of racing; and each step only picks up work not yet done, backed by unique
 * keys (staff_task (kind, deferral_case_id), engagement_alert (kind, enrolment_id)), so a second
 * run finds nothing left to do.
 */
import { sql } from 'drizzle-orm';
import { arrayParam, queryRows, type Db } from '../db/client.js';
import { systemClock, type Clock } from '../clock.js';
import {
  addDays,
  evaluateReturnFromDeferral,
  londonDateOf,
  type PolicyRegister,
} from '../policy/index.js';
import { registerInForce } from './policy-register.js';
import { raisePolicyReviewDue } from './policy-review.js';
import { SYSTEM } from './actor.js';
import {
  closeDueAssessmentWindows,
  completeExhaustedAttempts,
  enterEligibleIntoOpenWindows,
} from './assessment.js';
import {
  cohortActivitiesSql,
  cohortEngagement,
  engagementSql,
  toEngagementRow,
  type EnrolmentEngagementRow,
} from '../db/queries/cohort-engagement.js';
import {
  enrolmentsIn,
  fingerprint,
  isEmpty,
  londonDayStart,
  recordRun,
  statementText,
  takeScope,
  widened,
} from './daily-changes.js';
import { audit } from './audit.js';
import { applyRetention } from './privacy/retention.js';
import { DEFAULT_RETENTION_YEARS_AFTER_END } from '../policy/retention.js';
import { withdrawEnrolment, type Tx } from './withdrawals.js';
import { purgeShortLivedRows } from './purge.js';
import { queueDueNotices } from './notices/daily-notices.js';

export interface DailyReport {
  [step: string]: number;
}

/** Arbitrary but fixed: the key every run of the daily job locks on. */
const DAILY_LOCK_KEY = 4_204_2001;

async function locked<T>(db: Db, work: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${DAILY_LOCK_KEY})`);
    return work(tx);
  });
}

/**
 * (a) 2.3.7: deferred participants whose intent-contact date has come: the case becomes
 * intent_contact_due and staff get a task to contact them.
 */
export async function openIntentContacts(
  tx: Tx,
  today: string,
  at: Date,
): Promise<{ casesDue: number; tasksOpened: number }> {
  const due = await queryRows<{
    id: number;
    enrolment_id: number;
    intent_contact_due_on: string;
    rejoin_date: string | null;
    task_id: number | null;
  }>(
    tx,
    sql`with due as (
          update deferral_case set status = 'intent_contact_due', version = version + 1, updated_at = ${at}
          where status = 'deferred' and intent_contact_due_on <= ${today}::date
          returning id, enrolment_id, intent_contact_due_on, rejoin_date
        ), tasks as (
          insert into staff_task (kind, enrolment_id, deferral_case_id, due_on)
          select 'intent_contact', enrolment_id, id, intent_contact_due_on from due
          on conflict (kind, deferral_case_id) do nothing
          returning id, deferral_case_id
        )
        select due.id, due.enrolment_id, due.intent_contact_due_on::text, due.rejoin_date::text, tasks.id as task_id
        from due left join tasks on tasks.deferral_case_id = due.id`,
  );
  await audit(
    tx,
    ...due.map((d) => ({
      what: 'DEFERRAL_INTENT_CONTACT_DUE',
      who: SYSTEM as typeof SYSTEM,
      subjectType: 'deferral_case',
      subjectId: d.id,
      details: {
        enrolmentId: d.enrolment_id,
        intentContactDueOn: d.intent_contact_due_on,
        restartOn: d.rejoin_date,
        staffTaskId: d.task_id,
        clause: '2.3.7',
      },
      at,
    })),
  );
  return { casesDue: due.length, tasksOpened: due.filter((d) => d.task_id !== null).length };
}

/** (b) 2.3.8: participants who did not confirm their return by the restart date are withdrawn. */
export async function withdrawNonReturners(tx: Tx, today: string, at: Date): Promise<number> {
  const candidates = await queryRows<{ id: number; enrolment_id: number; rejoin_date: string }>(
    tx,
    sql`select id, enrolment_id, rejoin_date::text from deferral_case
        where status in ('deferred', 'intent_contact_due') and rejoin_date < ${today}::date
        order by id for update`,
  );
  let withdrawn = 0;
  const register = await registerInForce(tx, today);
  // Per case because each withdrawal goes through the lifecycle state machine; there are few a day.
  for (const c of candidates) {
    const decision = evaluateReturnFromDeferral(
      {
        restartOn: c.rejoin_date,
        today,
        intent: 'no_response',
      },
      register,
    );
    if (decision.details.lifecycleEvent !== 'withdraw') continue;
    await tx.execute(
      sql`update deferral_case set status = 'withdrawn', version = version + 1, updated_at = ${at},
            decision = coalesce(decision, '{}'::jsonb) || jsonb_build_object('returnFromDeferral', ${JSON.stringify(decision)}::jsonb)
          where id = ${c.id}`,
    );
    await tx.execute(
      sql`update staff_task set status = 'done', completed_at = ${at} where deferral_case_id = ${c.id} and status = 'open'`,
    );
    await withdrawEnrolment(tx, {
      enrolmentId: c.enrolment_id,
      reason: 'other',
      withdrawnOn: today,
      note: `Did not confirm their return from deferral by the restart date, ${c.rejoin_date} (policy 2.3.8).`,
      who: SYSTEM,
      at,
      details: { deferralCaseId: c.id, clause: '2.3.8' },
    });
    withdrawn += 1;
  }
  return withdrawn;
}

/** The kind of alert an enrolment's figures call for, if any. */
function alertKind(r: EnrolmentEngagementRow): string | null {
  if (r.totalWeight === 0 || r.meetsThreshold) return null;
  return !r.reachable ? 'engagement_unreachable' : r.atRisk ? 'engagement_behind' : null;
}

/**
 * What the engagement alerts depend on besides the data: the register in force and the text of
 * the statements and rules that turn figures into alerts. When it changes, the step does everything.
 */
function alertsKey(register: PolicyRegister): string {
  return fingerprint(
    JSON.stringify(register),
    statementText(
      engagementSql({ cohorts: sql`true`, today: '2000-01-01', visibleTo: sql`true`, register }),
    ),
    toEngagementRow.toString(),
    alertKind.toString(),
  );
}

/**
 * The participants and cohorts of the engagement alerts where a date fell due after `lastRunDay`
 * up to `today`: cohorts where an activity became due or stopped being possible (the two days'
 * activity rows compared, so the dates are the figures' own), and participants with a booked
 * event or coaching session on a day in between (a booking moves the activity to its day).
 */
async function engagementFellDue(
  tx: Tx,
  lastRunDay: string,
  today: string,
  register: PolicyRegister,
): Promise<{ participantIds: number[]; cohortIds: number[] }> {
  const cohorts = sql`exists (select 1 from enrolment e where e.cohort_id = c.id and e.status = 'active')`;
  const changed = await queryRows<{ id: number }>(
    tx,
    sql`select distinct coalesce(l.cohort_id, t.cohort_id) as id
        from (${cohortActivitiesSql({ cohorts, today: lastRunDay, register })}) l
        full join (${cohortActivitiesSql({ cohorts, today, register })}) t
          on t.cohort_id = l.cohort_id and t.id = l.id
        where l.id is null or t.id is null
           or l.possible is distinct from t.possible or l.due is distinct from t.due`,
  );
  const from = londonDayStart(lastRunDay);
  const until = londonDayStart(addDays(today, 1));
  const booked = await queryRows<{ id: number }>(
    tx,
    sql`select b.participant_id as id
        from cohort_event ev join event_booking b on b.cohort_event_id = ev.id
        where ev.starts_at >= ${from} and ev.starts_at < ${until} and b.status in ('booked', 'attended')
        union
        select s.participant_id from coaching_session s
        where s.starts_at >= ${from} and s.starts_at < ${until} and s.status in ('scheduled', 'attended')`,
  );
  return { participantIds: booked.map((r) => r.id), cohortIds: changed.map((r) => r.id) };
}

/**
 * (d) 2.1.1: engagement alerts for active enrolments, from the same set-based engagement figures
 * the dashboards show (cohortEngagement, held equal to evaluateEngagement by a test), so an alert
 * never disagrees with what staff see: "unreachable" when 90% can no longer be reached by the
 * deadline, "behind" when it can but the pace projection falls short. An alert stays open (and is
 * shown) until a run finds its condition gone; then it is cleared, and raised again, with the new
 * date, if the condition returns. Returns how many were raised (new or re-opened) and cleared.
 *
 * Incremental (issue 13): only the enrolments of participants and cohorts where something changed
 * or a date fell due since the step last ran are worked out again (see daily-changes.ts); every
 * other enrolment's figures, and so its alert, are what the last run found. `everything` works out
 * every enrolment (as the first run does).
 */
export async function raiseEngagementAlerts(
  tx: Tx,
  today: string,
  options: { everything?: boolean } = {},
): Promise<{ unreachable: number; behind: number; cleared: number }> {
  // The version in force today decides: its threshold, and the alert records the version.
  const register = await registerInForce(tx, today);
  const p = register.parameters;
  const key = alertsKey(register);
  let scope = await takeScope(tx, 'engagement_alerts', { today, key, ...options });
  if (!scope.everything && scope.lastRunDay < today) {
    const due = await engagementFellDue(tx, scope.lastRunDay, today, register);
    scope = widened(scope, due.participantIds, due.cohortIds);
  }
  await recordRun(tx, 'engagement_alerts', today, key);
  if (isEmpty(scope)) return { unreachable: 0, behind: 0, cleared: 0 };
  // The alert trigger notes writes by anything else; this step's own need no second look.
  await tx.execute(sql`select set_config('npq.daily_step', 'engagement_alerts', true)`);
  const within = enrolmentsIn(scope);
  const cohorts = await queryRows<{ id: number; deadline: string }>(
    tx,
    sql`select c.id, c.engagement_deadline::text as deadline from cohort c
        where exists (select 1 from enrolment e where e.cohort_id = c.id and e.status = 'active' and ${within})
        order by c.id`,
  );
  const found: { kind: string; enrolmentId: number; details: string }[] = [];
  // One set-based statement per cohort (one cohort per programme per year).
  for (const cohort of cohorts) {
    const rows = await cohortEngagement(tx, {
      cohortId: cohort.id,
      today,
      register,
      visibleTo: sql`e.status = 'active' and ${within}`,
    });
    for (const r of rows) {
      const kind = alertKind(r);
      if (kind === null) continue;
      found.push({
        kind,
        enrolmentId: r.enrolmentId,
        details: JSON.stringify({
          completedWeight: r.completedWeight,
          totalWeight: r.totalWeight,
          stillPossibleWeight: r.stillPossibleWeight,
          projectedBasisPoints: r.projectedBasisPoints,
          deadline: cohort.deadline,
          thresholdBp: p.engagementThresholdBp,
          policyVersion: register.version,
          clause: '2.1.1',
        }),
      });
    }
  }
  const kinds = arrayParam(found.map((f) => f.kind));
  const ids = arrayParam(found.map((f) => f.enrolmentId));
  // Open alerts (of the enrolments looked at) whose condition no longer holds are cleared (never
  // deleted: the history stays).
  const cleared = await queryRows<{ id: number }>(
    tx,
    sql`update engagement_alert a set cleared_on = ${today}::date
        where a.cleared_on is null
          ${scope.everything ? sql`` : sql`and a.enrolment_id in (select e.id from enrolment e where ${within})`}
          and not exists (select 1 from unnest(${kinds}::text[], ${ids}::int[]) as f(kind, enrolment_id)
                          where f.kind = a.kind and f.enrolment_id = a.enrolment_id)
        returning a.id`,
  );
  let raised: { kind: string }[] = [];
  if (found.length > 0) {
    raised = await queryRows<{ kind: string }>(
      tx,
      sql`insert into engagement_alert (kind, enrolment_id, raised_on, details)
          select f.kind, f.enrolment_id, ${today}::date, f.details::jsonb
          from unnest(${kinds}::text[], ${ids}::int[],
                      ${arrayParam(found.map((f) => f.details))}::text[]) as f(kind, enrolment_id, details)
          -- Alerts already open are left alone without taking their rows' locks (as the upsert's
          -- condition would leave them, after locking each).
          where not exists (select 1 from engagement_alert x
                            where x.kind = f.kind and x.enrolment_id = f.enrolment_id and x.cleared_on is null)
          on conflict (kind, enrolment_id) do update
            set raised_on = excluded.raised_on, details = excluded.details, cleared_on = null
            where engagement_alert.cleared_on is not null
          returning kind`,
    );
  }
  await tx.execute(sql`select set_config('npq.daily_step', '', true)`);
  return {
    unreachable: raised.filter((r) => r.kind === 'engagement_unreachable').length,
    behind: raised.filter((r) => r.kind === 'engagement_behind').length,
    cleared: cleared.length,
  };
}

/**
 * Runs every step for today (Europe/London) and reports how much each one did. Sessions and
 * idempotency keys age in real time (`wallClock`, the system clock unless a test gives one), as
 * the web app keeps them, whatever day `clock` says it is.
 */
export async function runDailyProcessing(deps: {
  db: Db;
  clock: Clock;
  wallClock?: Clock;
  /** config.retentionYearsAfterEnd (RETENTION_YEARS_AFTER_END). */
  retentionYearsAfterEnd?: number;
  /** config.publicUrl: the links in the notices start with it. */
  publicUrl?: string | undefined;
  /**
   * Work out every participant's engagement alerts and nudges, not only those where something
   * changed or fell due since the last run (issue 13): what the first run does; the same result.
   */
  everything?: boolean;
}): Promise<DailyReport> {
  const everything = deps.everything === true ? { everything: true } : {};
  const at = deps.clock.now();
  const today = londonDateOf(at);
  const intent = await locked(deps.db, (tx) => openIntentContacts(tx, today, at));
  const nonReturnersWithdrawn = await locked(deps.db, (tx) => withdrawNonReturners(tx, today, at));
  const assessmentEntries = await locked(deps.db, (tx) =>
    enterEligibleIntoOpenWindows(tx, today, at),
  );
  // Nested in the locked transaction (a savepoint), so window closing also queues behind other runs.
  const windows = await locked(deps.db, (tx) =>
    closeDueAssessmentWindows({ db: tx, clock: deps.clock }, today),
  );
  const completedWithoutPassing = await locked(deps.db, (tx) => completeExhaustedAttempts(tx, at));
  const alerts = await locked(deps.db, (tx) => raiseEngagementAlerts(tx, today, everything));
  const policyReview = await locked(deps.db, (tx) =>
    raisePolicyReviewDue(tx, { today, at, publicUrl: deps.publicUrl }),
  );
  // After the steps that change statuses and raise alerts, so today's notices follow today's facts.
  const notices = await locked(deps.db, (tx) =>
    queueDueNotices(tx, { today, at, publicUrl: deps.publicUrl, ...everything }),
  );
  const purged = await locked(deps.db, (tx) =>
    purgeShortLivedRows(tx, { at, wallNow: (deps.wallClock ?? systemClock).now() }),
  );
  // Last, so a participant withdrawn today is judged on today's record.
  const retention = await locked(deps.db, (tx) =>
    applyRetention(tx, {
      today,
      at,
      yearsAfterEnd: deps.retentionYearsAfterEnd ?? DEFAULT_RETENTION_YEARS_AFTER_END,
    }),
  );
  return {
    intentContactsDue: intent.casesDue,
    intentContactTasksOpened: intent.tasksOpened,
    nonReturnersWithdrawn,
    assessmentEntries,
    assessmentResultsProcessed: windows.processed,
    assessmentAttemptsLost: windows.attemptsLost,
    assessmentAttemptsProtected: windows.protected,
    completedWithoutPassing,
    engagementUnreachableAlerts: alerts.unreachable,
    engagementBehindAlerts: alerts.behind,
    engagementAlertsCleared: alerts.cleared,
    policyReviewTasksOpened: policyReview.tasksOpened,
    policyReviewNoticesQueued: policyReview.noticesQueued,
    participantsErased: retention.participantsErased,
    auditEventsRedacted: retention.auditEventsRedacted,
    emailsDeletedByRetention: retention.emailsDeleted,
    ...purged,
    ...Object.fromEntries(Object.entries(notices).map(([k, n]) => [`notices.${k}`, n])),
  };
}
