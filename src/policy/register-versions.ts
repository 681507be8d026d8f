/**
 * Versions of the policy register (3.1.1) as the database keeps them: the parameters a new version
 * may change, with the clause each one serves and the range a version may set it to, and how a
 * stored version becomes the PolicyRegister the rules decide under. The clause texts stay those of
 * the code register the version was based on (a version changes numbers, not wording).
 */
import type { ClauseNumber } from './clauses.js';
import { formatThreshold } from './engagement.js';
import type { NoticeEventKind, PolicyParameters, PolicyRegister } from './register.js';
import { NOTICE_EVENT_KINDS } from './register.js';

/** A parameter a draft version may change, as a form field. */
export interface EditableParameter {
  /** The form field and API property: the parameter, or eventNoticeDays.<kind>. */
  readonly field: string;
  readonly label: string;
  readonly hint: string;
  readonly clauses: readonly ClauseNumber[];
  readonly min: number;
  readonly max: number;
  /** 'percent': entered as a percentage (up to two decimal places), kept in basis points. */
  readonly unit: 'percent' | 'days' | 'count';
}

const NOTICE_LABELS: Readonly<Record<NoticeEventKind, string>> = {
  clinic: 'clinics',
  community_session: 'community sessions',
  conference: 'conferences',
  assessment_window: 'assessment windows',
};

export const EDITABLE_PARAMETERS: readonly EditableParameter[] = [
  {
    field: 'engagementThresholdBp',
    label: 'Engagement needed to sit the assessment',
    hint: 'A percentage of the programme, from 50 to 100, for example 90 or 92.5',
    clauses: ['2.1.1'],
    min: 5000,
    max: 10_000,
    unit: 'percent',
  },
  {
    field: 'assessmentWindowDays',
    label: 'Length of an assessment window',
    hint: 'Days, the opening and closing days both counted, from 1 to 60',
    clauses: ['2.2.1.5'],
    min: 1,
    max: 60,
    unit: 'days',
  },
  {
    field: 'assessmentAttempts',
    label: 'Assessment attempts',
    hint: 'How many attempts each participant has, from 1 to 5',
    clauses: ['2.5.1', '2.5.4'],
    min: 1,
    max: 5,
    unit: 'count',
  },
  {
    field: 'deferralsAllowed',
    label: 'Deferrals allowed without an exception',
    hint: 'From 0 to 5; a further deferral needs an exception approved by the programme team',
    clauses: ['2.3.3', '2.3.9'],
    min: 0,
    max: 5,
    unit: 'count',
  },
  {
    field: 'intentContactLeadDays',
    label: 'Notice before a restart date to confirm intent to return',
    hint: 'Days before the agreed restart date, from 1 to 180',
    clauses: ['2.3.7'],
    min: 1,
    max: 180,
    unit: 'days',
  },
  {
    field: 'moduleReleaseLeadDays',
    label: 'Lead time of module releases',
    hint: 'Days before its ideal window a module is released, from 0 to 28',
    clauses: ['2.2.1.1'],
    min: 0,
    max: 28,
    unit: 'days',
  },
  ...NOTICE_EVENT_KINDS.map((kind): EditableParameter => ({
    field: `eventNoticeDays.${kind}`,
    label: `Notice of dates for ${NOTICE_LABELS[kind]}`,
    hint: 'Days between publishing the date and the day itself, from 0 to 365',
    clauses: kind === 'assessment_window' ? ['2.2.1.5'] : ['2.1.3'],
    min: 0,
    max: 365,
    unit: 'days',
  })),
];

/** The parameter's value as a whole number (basis points, days or a count). */
export function parameterValue(p: PolicyParameters, field: string): number {
  if (field.startsWith('eventNoticeDays.')) {
    return p.eventNoticeDays[field.slice('eventNoticeDays.'.length) as NoticeEventKind];
  }
  return p[field as keyof PolicyParameters] as number;
}

/** How a value reads on a page: '92.5%', '8 days', '2'. */
export function formatParameter(field: string, value: number): string {
  const meta = EDITABLE_PARAMETERS.find((e) => e.field === field);
  if (meta?.unit === 'percent') return formatThreshold(value);
  if (meta?.unit === 'days') return value === 1 ? '1 day' : `${value} days`;
  return String(value);
}

/** Sets the editable parameters from whole-number values, keeping everything else. */
export function withParameterValues(
  base: PolicyParameters,
  values: Readonly<Record<string, number>>,
): PolicyParameters {
  const notice = { ...base.eventNoticeDays };
  const next: Record<string, unknown> = { ...base };
  for (const [field, value] of Object.entries(values)) {
    if (!EDITABLE_PARAMETERS.some((e) => e.field === field)) continue;
    if (field.startsWith('eventNoticeDays.')) {
      notice[field.slice('eventNoticeDays.'.length) as NoticeEventKind] = value;
    } else next[field] = value;
  }
  return { ...(next as unknown as PolicyParameters), eventNoticeDays: notice };
}

export interface ParameterProblem {
  readonly field: string;
  readonly message: string;
}

/** Each editable parameter must be a whole number in its range (a threshold, in basis points). */
export function parameterProblems(values: Readonly<Record<string, number>>): ParameterProblem[] {
  const problems: ParameterProblem[] = [];
  for (const meta of EDITABLE_PARAMETERS) {
    const v = values[meta.field];
    const range =
      meta.unit === 'percent'
        ? `from ${meta.min / 100} to ${meta.max / 100} with at most two decimal places`
        : `a whole number from ${meta.min} to ${meta.max}`;
    if (v === undefined || !Number.isInteger(v) || v < meta.min || v > meta.max) {
      problems.push({
        field: meta.field,
        message: `Enter the ${meta.label.toLowerCase()} as ${range}`,
      });
    }
  }
  return problems;
}

/** The editable parameters whose values differ between two versions, in form order. */
export function changedParameters(from: PolicyParameters, to: PolicyParameters): string[] {
  return EDITABLE_PARAMETERS.filter(
    (e) => parameterValue(from, e.field) !== parameterValue(to, e.field),
  ).map((e) => e.field);
}

/** One row of the register as the rules need it. */
export interface StoredPolicyVersion {
  readonly version: string;
  readonly owner: string | null;
  readonly approver: string | null;
  readonly issuedOn: string | null;
  readonly summary: string;
  readonly appliesTo: string | null;
  readonly nextReviewOn: string | null;
  readonly parameters: PolicyParameters | null;
}

// Built once, at module load, so Stryker cannot switch its locale and time zone per test and
// reports them as survived; applied by hand, each '' throws a RangeError and the module fails to
// load, so every test of it fails (killed, not equivalent; see docs/guides/mutation-testing.md).
// Stryker disable next-line StringLiteral: built at module load; '' throws a RangeError (see above)
const MONTH_YEAR = new Intl.DateTimeFormat('en-GB', {
  month: 'long',
  year: 'numeric',
  // Stryker disable next-line StringLiteral: built at module load; '' throws a RangeError (see above)
  timeZone: 'UTC',
});

/** '2025-08-01' -> 'August 2025', as the policy's version table writes dates. */
export function monthYear(date: string | null): string {
  if (!date) return 'Not recorded';
  return MONTH_YEAR.format(new Date(`${date.slice(0, 10)}T00:00:00Z`));
}

/**
 * The register a stored version decides under: the base register's clauses and names, with the
 * version's own number, owner, approver, dates, parameters and the version table up to it.
 * Parameters the stored JSON lacks (a parameter added after the version was approved) keep the
 * base register's values.
 */
export function registerFromVersion(
  base: PolicyRegister,
  version: StoredPolicyVersion,
  history: readonly StoredPolicyVersion[],
): PolicyRegister {
  const parameters: PolicyParameters = {
    ...base.parameters,
    ...(version.parameters ?? {}),
    eventNoticeDays: {
      ...base.parameters.eventNoticeDays,
      ...(version.parameters?.eventNoticeDays ?? {}),
    },
  };
  return {
    ...base,
    version: version.version,
    owner: version.owner ?? base.owner,
    approvedBy: version.approver ?? base.approvedBy,
    lastReviewed: monthYear(version.issuedOn),
    nextReviewDue: version.nextReviewOn ? monthYear(version.nextReviewOn) : 'Not set',
    nextReviewDueOn: version.nextReviewOn ?? base.nextReviewDueOn,
    appliesTo: version.appliesTo ?? base.appliesTo,
    versionHistory: history.map((h) => ({
      version: h.version,
      released: monthYear(h.issuedOn),
      summary: h.summary,
      approver: h.approver ?? 'Not recorded',
    })),
    parameters,
  };
}
