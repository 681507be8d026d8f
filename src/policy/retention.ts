/**
 * How long the lead provider keeps personal data, and how a record is anonymised when its time is
 * up. Pure: the daily job (src/services/privacy/retention.ts) applies it to the database.
 */

/**
 * The default: a participant's personal data is kept for 7 years after their last enrolment ended
 * (completed, withdrawn or transferred out). Six years is the limitation period for a claim under
 * a contract (Limitation Act 1980, s.5), and the DfE can audit NPQ funding claims for the
 * financial year in which a participant finished; one year on top covers that year. A lead
 * provider with a different schedule sets RETENTION_YEARS_AFTER_END.
 */
export const DEFAULT_RETENTION_YEARS_AFTER_END = 7;

/** Enrolment statuses that are over: the retention clock starts when the last one got there. */
export const ENDED_ENROLMENT_STATUSES = [
  'withdrawn',
  'transferred_out',
  'completed_passed',
  'completed_failed',
] as const;

export interface RetentionRule {
  readonly record: string;
  readonly kept: string;
  readonly then: string;
}

/** The schedule per record type, as shown to participants at /my-data and in the README. */
export function retentionSchedule(yearsAfterEnd: number): RetentionRule[] {
  const period = `${yearsAfterEnd} years after your last enrolment ended`;
  return [
    {
      record: 'Your name, email address, TRN and DfE registration id',
      kept: period,
      then: 'Replaced with "Former participant" and a reference number',
    },
    {
      record: 'Your account',
      kept: period,
      then: 'Closed: the email address is removed and no one can sign in to it',
    },
    {
      record: 'What you told us in deferral and assessment deferral requests, and withdrawal notes',
      kept: period,
      then: 'Deleted',
    },
    {
      record: 'Emails we sent you',
      kept: period,
      then: 'Deleted',
    },
    {
      record: 'The record of who did what (audit trail)',
      kept: 'Always, so the programme can be audited',
      then: 'Names, contact details and anything written in words are removed after the same period',
    },
    {
      record: 'Enrolments, engagement, bookings, assessment results and decisions',
      kept: 'Always, for funding and programme statistics',
      then: 'Kept without your name or contact details',
    },
  ];
}

/** The date (YYYY-MM-DD) on or before which an ending is past its retention, `years` before today. */
export function retentionCutoff(today: string, years: number): string {
  const [y, m, d] = today.split('-').map(Number) as [number, number, number];
  const year = y - years;
  // 29 February goes back to 28 February in a year that has none.
  const lastDay = new Date(Date.UTC(year, m, 0)).getUTCDate();
  return `${String(year).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(Math.min(d, lastDay)).padStart(2, '0')}`;
}

export const erasedName = (participantId: number) => `Former participant ${participantId}`;
/** `.invalid` is reserved (RFC 2606): nothing can ever be delivered there. */
export const erasedEmail = (kind: 'participant' | 'user', id: number) =>
  `erased-${kind}-${id}@erased.invalid`;
/** Keeps participant_has_identifier true once the TRN and DfE registration id are gone. */
export const erasedRegistrationId = (participantId: number) => `erased-${participantId}`;

export const REDACTED = '[redacted]';

/** Keys whose values are always personal, whatever they look like. */
const PERSONAL_KEYS = new Set(
  [
    'name',
    'fullname',
    'displayname',
    'email',
    'toemail',
    'trn',
    'dferegistrationid',
    'note',
    'description',
    'evidencenote',
    'evidencerequest',
    'reasonableadjustments',
    'phone',
    'postcode',
    'address',
    'message',
    'text',
  ].map((k) => k.toLowerCase()),
);

/**
 * A value that cannot hold personal content: codes, statuses, dates, ids and clause numbers are
 * single tokens without spaces or '@'. A seven-digit string could be a TRN, so it goes too.
 */
const SAFE_STRING = /^[A-Za-z0-9_.:+-]{0,40}$/;

function redactValue(value: unknown, key: string): unknown {
  if (PERSONAL_KEYS.has(key.toLowerCase().replace(/[^a-z]/g, ''))) {
    return value === null || value === undefined ? value : REDACTED;
  }
  if (typeof value === 'string')
    return SAFE_STRING.test(value) && !/^\d{7}$/.test(value) ? value : REDACTED;
  // Stryker disable next-line StringLiteral: equivalent: a list's items are judged under no key, and any key that is not a personal one ('' or Stryker's text) gives the same result
  if (Array.isArray(value)) return value.map((v) => redactValue(v, ''));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value as Record<string, unknown>).map(([k, v]) => [k, redactValue(v, k)]),
    );
  }
  return value;
}

/**
 * An audit event's details with their personal content removed: numbers, booleans, ids, codes,
 * dates and clause numbers stay (the event still says what happened, when and under which
 * clause); names, addresses, identifiers and anything written in words become "[redacted]".
 */
export function redactAuditDetails(details: unknown): Record<string, unknown> {
  const base =
    details !== null && typeof details === 'object' && !Array.isArray(details)
      ? (redactValue(details, '') as Record<string, unknown>)
      : {};
  return { ...base, redacted: 'retention' };
}
