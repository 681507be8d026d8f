/**
 * The policy what-if: a version (usually the draft) run over a cohort, a delivery partner or the
 * whole lead provider as of a date, against the version in force on that date. One set-based
 * statement gathers every enrolment's facts as of the date (engagement weights, deferrals taken,
 * attempts used); the pure comparison (src/policy/what-if.ts) says whose outcomes would change and
 * why. It runs in a read-only transaction: nothing is written, not even an audit event.
 *
 * Enrolments counted: those that existed on the date (created on or before it) and are accepted,
 * active or deferred today (those whose outcomes are still open). Engagement counts only what was
 * completed on or before the date. Deferrals taken and attempts used are as they stood at the end
 * of the date: today's counts less the deferrals started, assessments submitted and attempts lost
 * after it, each from the record written with its increment (src/db/queries/counters-as-of.ts).
 */
import { sql, type SQL } from 'drizzle-orm';
import { queryRows } from '../db/client.js';
import { engagementSql, type Row } from '../db/queries/cohort-engagement.js';
import { isIsoDate, londonDateOf, type PolicyRegister } from '../policy/index.js';
import {
  changedParameters,
  formatParameter,
  parameterValue,
  EDITABLE_PARAMETERS,
} from '../policy/register-versions.js';
import {
  WHAT_IF_OUTCOME_LABELS,
  WHAT_IF_OUTCOMES,
  whatIfDifferences,
  type WhatIfDifference,
  type WhatIfOutcome,
} from '../policy/what-if.js';
import type { Actor } from './actor.js';
import { cohortVisibleTo, enrolmentVisibleTo } from './authorisation.js';
import { ForbiddenError, NotFoundError, ValidationError } from './errors.js';
import { csvCell } from './staff-dashboard.js';
import {
  getPolicyVersion,
  mayEditRegister,
  registerInForce,
  registerOfVersion,
  type RegisterDeps,
} from './policy-register.js';

export type WhatIfScope =
  | { kind: 'all' }
  | { kind: 'cohort'; cohortId: number }
  | { kind: 'partner'; deliveryPartnerId: number };

export interface WhatIfRequest {
  version: string;
  scope: WhatIfScope;
  asOf: string;
}

export interface WhatIfParticipant {
  enrolmentId: number;
  participantId: number;
  fullName: string;
  deliveryPartner: string;
  cohortId: number;
  differences: WhatIfDifference[];
}

export interface WhatIfResult {
  version: string;
  comparedWith: string;
  asOf: string;
  scopeLabel: string;
  changedParameters: { field: string; label: string; from: string; to: string }[];
  enrolmentsConsidered: number;
  participantsChanged: number;
  /** Per outcome: how many move from no to yes (or gain attempts) and from yes to no (or lose them). */
  counts: Record<WhatIfOutcome, { gained: number; lost: number }>;
  /** The changed participants, by name; at most `listLimit` of them. */
  participants: WhatIfParticipant[];
  listTruncated: boolean;
  elapsedMs: number;
}

export const WHAT_IF_LIST_LIMIT = 1000;

/** The cohorts and delivery partners the actor may run the what-if over, for the form. */
export async function whatIfScopes(
  { db }: RegisterDeps,
  actor: Actor,
): Promise<{ cohorts: { id: number; name: string }[]; partners: { id: number; name: string }[] }> {
  if (!mayEditRegister(actor)) throw new ForbiddenError();
  const cohorts = await queryRows<{ id: number; name: string }>(
    db,
    sql`select c.id, c.name from cohort c where (${cohortVisibleTo(actor)}) order by c.start_date desc, c.name`,
  );
  const partners = await queryRows<{ id: number; name: string }>(
    db,
    sql`select dp.id, dp.name from delivery_partner dp
        where ${actor.role === 'admin' ? sql`true` : sql`dp.lead_provider_id = ${actor.leadProviderId ?? -1}`}
        order by dp.name`,
  );
  return { cohorts, partners };
}

async function scopeOf(
  deps: RegisterDeps,
  actor: Actor,
  scope: WhatIfScope,
): Promise<{ cohorts: SQL; enrolments: SQL; label: string }> {
  if (scope.kind === 'all') {
    return { cohorts: cohortVisibleTo(actor), enrolments: sql`true`, label: 'Every participant' };
  }
  const { cohorts, partners } = await whatIfScopes(deps, actor);
  if (scope.kind === 'cohort') {
    const c = cohorts.find((x) => x.id === scope.cohortId);
    if (!c) throw new ValidationError([{ path: 'cohortId', message: 'Choose a cohort' }]);
    return { cohorts: sql`c.id = ${c.id}`, enrolments: sql`true`, label: `Cohort: ${c.name}` };
  }
  const p = partners.find((x) => x.id === scope.deliveryPartnerId);
  if (!p)
    throw new ValidationError([
      { path: 'deliveryPartnerId', message: 'Choose a delivery partner' },
    ]);
  return {
    cohorts: cohortVisibleTo(actor),
    enrolments: sql`e.delivery_partner_id = ${p.id}`,
    label: `Delivery partner: ${p.name}`,
  };
}

/**
 * Runs `version` against the version in force on `asOf` over the scope. Nothing is written: the
 * statement runs in a read-only transaction.
 */
export async function runWhatIf(
  deps: RegisterDeps,
  actor: Actor,
  request: WhatIfRequest,
): Promise<WhatIfResult> {
  if (!mayEditRegister(actor)) throw new ForbiddenError();
  if (!isIsoDate(request.asOf))
    throw new ValidationError([
      { path: 'asOf', message: 'Enter the date to run the what-if as of' },
    ]);
  const started = performance.now();
  const target = await getPolicyVersion(deps, actor, request.version).catch((error: unknown) => {
    if (error instanceof NotFoundError)
      throw new ValidationError([{ path: 'version', message: 'Choose a version to try' }]);
    throw error;
  });
  if (target.parameters === null)
    throw new ValidationError([
      {
        path: 'version',
        message: `Version ${target.version} is history only: it holds no parameters`,
      },
    ]);
  const draft: PolicyRegister = registerOfVersion(target);
  return deps.db.transaction(async (tx) => {
    await tx.execute(sql`set transaction read only`);
    const current = await registerInForce(tx, request.asOf);
    const scope = await scopeOf({ db: tx, clock: deps.clock }, actor, request.scope);
    const rows = await queryRows<Row>(
      tx,
      engagementSql({
        cohorts: scope.cohorts,
        visibleTo: sql`(${enrolmentVisibleTo(actor)}) and (${scope.enrolments})
                       and e.status in ('accepted', 'active', 'deferred')`,
        today: request.asOf,
        completedBy: request.asOf,
        countersAsOf: request.asOf,
        register: current,
      }),
    );
    const counts = Object.fromEntries(
      WHAT_IF_OUTCOMES.map((o) => [o, { gained: 0, lost: 0 }]),
    ) as WhatIfResult['counts'];
    const changed: WhatIfParticipant[] = [];
    for (const r of rows) {
      const differences = whatIfDifferences(
        {
          completedWeight: Number(r.completed),
          totalWeight: Number(r.total),
          stillPossibleWeight: Number(r.still_possible),
          dueWeight: Number(r.due),
          completedDueWeight: Number(r.completed_due),
          deferralCount: r.deferral_count,
          attemptsUsed: r.assessment_attempts_used,
          asOf: request.asOf,
        },
        current.parameters,
        draft.parameters,
      );
      if (differences.length === 0) continue;
      for (const d of differences) {
        if (Number(d.to) > Number(d.from)) counts[d.outcome].gained += 1;
        else counts[d.outcome].lost += 1;
      }
      changed.push({
        enrolmentId: r.enrolment_id,
        participantId: r.participant_id,
        fullName: r.full_name,
        deliveryPartner: r.delivery_partner,
        cohortId: r.cohort_id,
        differences,
      });
    }
    return {
      version: target.version,
      comparedWith: current.version,
      asOf: request.asOf,
      scopeLabel: scope.label,
      changedParameters: changedParameters(current.parameters, draft.parameters).map((field) => ({
        field,
        label: EDITABLE_PARAMETERS.find((e) => e.field === field)!.label,
        from: formatParameter(field, parameterValue(current.parameters, field)),
        to: formatParameter(field, parameterValue(draft.parameters, field)),
      })),
      enrolmentsConsidered: rows.length,
      participantsChanged: changed.length,
      counts,
      participants: changed.slice(0, WHAT_IF_LIST_LIMIT),
      listTruncated: changed.length > WHAT_IF_LIST_LIMIT,
      elapsedMs: Math.round(performance.now() - started),
    };
  });
}

/** Today in London, the what-if form's default date. */
export const whatIfToday = (deps: RegisterDeps): string => londonDateOf(deps.clock.now());

const CSV_HEADER = [
  'Participant ID',
  'Enrolment ID',
  'Name',
  'Delivery partner',
  'Cohort ID',
  'Outcome',
  'Under the version in force',
  'Under this version',
  'Clause',
  'Parameter',
  'Why',
];

/**
 * The list of differences as CSV, one row per participant and outcome that changes (the same
 * rows the page lists, so at most WHAT_IF_LIST_LIMIT participants), cells made safe for
 * spreadsheets as every other CSV export is.
 */
export function whatIfCsv(result: WhatIfResult): string {
  const value = (v: boolean | number) => (typeof v === 'number' ? v : v ? 'yes' : 'no');
  const lines = result.participants.flatMap((p) =>
    p.differences.map((d) =>
      [
        p.participantId,
        p.enrolmentId,
        p.fullName,
        p.deliveryPartner,
        p.cohortId,
        WHAT_IF_OUTCOME_LABELS[d.outcome],
        value(d.from),
        value(d.to),
        d.clause,
        d.parameter,
        d.explanation,
      ]
        .map(csvCell)
        .join(','),
    ),
  );
  return [CSV_HEADER.join(','), ...lines].join('\r\n') + '\r\n';
}

/** The file name of a what-if CSV: version, compared version and date. */
export const whatIfCsvName = (r: WhatIfResult): string =>
  `policy-${r.version}-against-${r.comparedWith}-what-if-${r.asOf}.csv`;
