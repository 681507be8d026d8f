/**
 * Versions of the policy register (3.1.1): what a draft version may change, in which range, how a
 * value reads, and the register a stored version decides under. Every expectation is written out
 * (labels, hints, clauses, ranges, messages) because these are the words the programme team reads
 * on the draft form and the register page, and the ranges are what a version may set.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NOTICE_EVENT_KINDS, POLICY_REGISTER_V2_2 } from '../../src/policy/register.js';
import type { PolicyParameters } from '../../src/policy/register.js';
import {
  EDITABLE_PARAMETERS,
  changedParameters,
  formatParameter,
  monthYear,
  parameterProblems,
  parameterValue,
  registerFromVersion,
  withParameterValues,
  type StoredPolicyVersion,
} from '../../src/policy/register-versions.js';

const v22 = POLICY_REGISTER_V2_2.parameters;
const FIELDS = EDITABLE_PARAMETERS.map((e) => e.field);

/** v2.2's value of every editable parameter, as the form holds them. */
const v22Values = (): Record<string, number> =>
  Object.fromEntries(FIELDS.map((f) => [f, parameterValue(v22, f)]));

describe('3.1.1 the parameters a new version may change', () => {
  /** What the draft form shows, a row per field: field, label, clauses, min, max, unit, hint. */
  const NOTICE_HINT = 'Days between publishing the date and the day itself, from 0 to 365';
  const FORM: [string, string, string[], number, number, string, string][] = [
    [
      'engagementThresholdBp',
      'Engagement needed to sit the assessment',
      ['2.1.1'],
      5000,
      10_000,
      'percent',
      'A percentage of the programme, from 50 to 100, for example 90 or 92.5',
    ],
    [
      'assessmentWindowDays',
      'Length of an assessment window',
      ['2.2.1.5'],
      1,
      60,
      'days',
      'Days, the opening and closing days both counted, from 1 to 60',
    ],
    [
      'assessmentAttempts',
      'Assessment attempts',
      ['2.5.1', '2.5.4'],
      1,
      5,
      'count',
      'How many attempts each participant has, from 1 to 5',
    ],
    [
      'deferralsAllowed',
      'Deferrals allowed without an exception',
      ['2.3.3', '2.3.9'],
      0,
      5,
      'count',
      'From 0 to 5; a further deferral needs an exception approved by the programme team',
    ],
    [
      'intentContactLeadDays',
      'Notice before a restart date to confirm intent to return',
      ['2.3.7'],
      1,
      180,
      'days',
      'Days before the agreed restart date, from 1 to 180',
    ],
    [
      'moduleReleaseLeadDays',
      'Lead time of module releases',
      ['2.2.1.1'],
      0,
      28,
      'days',
      'Days before its ideal window a module is released, from 0 to 28',
    ],
    [
      'eventNoticeDays.clinic',
      'Notice of dates for clinics',
      ['2.1.3'],
      0,
      365,
      'days',
      NOTICE_HINT,
    ],
    [
      'eventNoticeDays.community_session',
      'Notice of dates for community sessions',
      ['2.1.3'],
      0,
      365,
      'days',
      NOTICE_HINT,
    ],
    [
      'eventNoticeDays.conference',
      'Notice of dates for conferences',
      ['2.1.3'],
      0,
      365,
      'days',
      NOTICE_HINT,
    ],
    [
      'eventNoticeDays.assessment_window',
      'Notice of dates for assessment windows',
      ['2.2.1.5'],
      0,
      365,
      'days',
      NOTICE_HINT,
    ],
  ];

  it('are these, in this order, each with its clause, range and unit', () => {
    expect(EDITABLE_PARAMETERS).toEqual(
      FORM.map(([field, label, clauses, min, max, unit, hint]) => ({
        field,
        label,
        hint,
        clauses,
        min,
        max,
        unit,
      })),
    );
  });

  it('v2.2 itself is a valid version: every value is in its range', () => {
    expect(parameterProblems(v22Values())).toEqual([]);
  });
});

describe('parameterValue reads a parameter, or one kind of event notice', () => {
  it.each([
    ['engagementThresholdBp', 9000],
    ['assessmentWindowDays', 8],
    ['assessmentAttempts', 2],
    ['deferralsAllowed', 1],
    ['intentContactLeadDays', 28],
    ['moduleReleaseLeadDays', 7],
    ['eventNoticeDays.clinic', 42],
    ['eventNoticeDays.community_session', 14],
    ['eventNoticeDays.conference', 42],
    ['eventNoticeDays.assessment_window', 42],
  ])('v2.2 %s = %i', (field, value) => {
    expect(parameterValue(v22, field)).toBe(value);
  });

  it('each notice kind is read from its own entry', () => {
    const p: PolicyParameters = {
      ...v22,
      eventNoticeDays: { clinic: 1, community_session: 2, conference: 3, assessment_window: 4 },
    };
    expect(NOTICE_EVENT_KINDS.map((k) => parameterValue(p, `eventNoticeDays.${k}`))).toEqual([
      1, 2, 3, 4,
    ]);
  });
});

describe('formatParameter: how a value reads on the register and draft pages', () => {
  it.each([
    ['engagementThresholdBp', 9000, '90%'],
    ['engagementThresholdBp', 9250, '92.5%'],
    ['assessmentWindowDays', 8, '8 days'],
    ['assessmentWindowDays', 1, '1 day'],
    ['moduleReleaseLeadDays', 0, '0 days'],
    ['intentContactLeadDays', 2, '2 days'],
    ['eventNoticeDays.clinic', 1, '1 day'],
    ['eventNoticeDays.assessment_window', 42, '42 days'],
    ['assessmentAttempts', 1, '1'],
    ['deferralsAllowed', 2, '2'],
    ['not a parameter', 7, '7'],
  ])('%s %i reads "%s"', (field, value, words) => {
    expect(formatParameter(field, value)).toBe(words);
  });
});

describe('withParameterValues: a draft from whole-number values', () => {
  it('sets each editable parameter on its own and keeps everything else', () => {
    for (const meta of EDITABLE_PARAMETERS) {
      const value = meta.max;
      const next = withParameterValues(v22, { [meta.field]: value });
      expect(parameterValue(next, meta.field)).toBe(value);
      expect(changedParameters(v22, next)).toEqual(
        parameterValue(v22, meta.field) === value ? [] : [meta.field],
      );
      // Nothing that is not editable moves.
      expect(next.idealModuleWindowDays).toBe(v22.idealModuleWindowDays);
      expect(next.coachingCourses).toEqual(v22.coachingCourses);
      expect(next.refundAtDeferral).toBe(false);
      expect(next.scholarshipRetainedOnRestart).toBe(true);
      expect(next.expectedCohortIntervalMonths).toBe(12);
    }
  });

  it('ignores fields that are not editable, and never changes the version it started from', () => {
    const before = JSON.stringify(v22);
    const next = withParameterValues(v22, {
      idealModuleWindowDays: 99,
      expectedCohortIntervalMonths: 3,
      'eventNoticeDays.webinar': 5,
      nonsense: 1,
      'eventNoticeDays.clinic': 10,
    });
    expect(next).toEqual({ ...v22, eventNoticeDays: { ...v22.eventNoticeDays, clinic: 10 } });
    expect(JSON.stringify(v22)).toBe(before);
    expect(Object.keys(next.eventNoticeDays).sort()).toEqual([...NOTICE_EVENT_KINDS].sort());
  });

  it('with no values it is v2.2 again, field for field', () => {
    expect(withParameterValues(v22, {})).toEqual(v22);
  });
});

describe('parameterProblems: each value a whole number in its range', () => {
  /** The message for one field, written out as the form shows it. */
  const MESSAGES: Record<string, string> = {
    engagementThresholdBp:
      'Enter the engagement needed to sit the assessment as from 50 to 100 with at most two decimal places',
    assessmentWindowDays: 'Enter the length of an assessment window as a whole number from 1 to 60',
    assessmentAttempts: 'Enter the assessment attempts as a whole number from 1 to 5',
    deferralsAllowed:
      'Enter the deferrals allowed without an exception as a whole number from 0 to 5',
    intentContactLeadDays:
      'Enter the notice before a restart date to confirm intent to return as a whole number from 1 to 180',
    moduleReleaseLeadDays: 'Enter the lead time of module releases as a whole number from 0 to 28',
    'eventNoticeDays.clinic':
      'Enter the notice of dates for clinics as a whole number from 0 to 365',
    'eventNoticeDays.community_session':
      'Enter the notice of dates for community sessions as a whole number from 0 to 365',
    'eventNoticeDays.conference':
      'Enter the notice of dates for conferences as a whole number from 0 to 365',
    'eventNoticeDays.assessment_window':
      'Enter the notice of dates for assessment windows as a whole number from 0 to 365',
  };

  const rows = EDITABLE_PARAMETERS.flatMap((meta) => [
    [meta.field, meta.min, true],
    [meta.field, meta.max, true],
    [meta.field, meta.min - 1, false],
    [meta.field, meta.max + 1, false],
    [meta.field, meta.min + 0.5, false],
    [meta.field, Number.NaN, false],
  ]) as [string, number, boolean][];

  it.each(rows)('%s = %d is accepted: %s', (field, value, ok) => {
    const problems = parameterProblems({ ...v22Values(), [field]: value });
    expect(problems).toEqual(ok ? [] : [{ field, message: MESSAGES[field] }]);
  });

  it('a missing value is a problem of its own field only', () => {
    for (const field of FIELDS) {
      const values = v22Values();
      delete values[field];
      expect(parameterProblems(values)).toEqual([{ field, message: MESSAGES[field] }]);
    }
  });

  it('nothing entered gives every field its message, in form order', () => {
    expect(parameterProblems({})).toEqual(
      FIELDS.map((field) => ({ field, message: MESSAGES[field] })),
    );
  });

  it('property: a value is refused exactly when it is not a whole number in its range', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...EDITABLE_PARAMETERS),
        fc.oneof(fc.integer({ min: -20, max: 10_050 }), fc.double({ min: -20, max: 10_050 })),
        (meta, value) => {
          const ok = Number.isInteger(value) && value >= meta.min && value <= meta.max;
          const problems = parameterProblems({ ...v22Values(), [meta.field]: value });
          expect(problems.map((p) => p.field)).toEqual(ok ? [] : [meta.field]);
        },
      ),
    );
  });
});

describe('changedParameters: what a draft changes, in form order', () => {
  it('lists exactly the fields that differ, in the order of the form', () => {
    const draft = withParameterValues(v22, {
      'eventNoticeDays.conference': 30,
      deferralsAllowed: 2,
      engagementThresholdBp: 9500,
    });
    expect(changedParameters(v22, draft)).toEqual([
      'engagementThresholdBp',
      'deferralsAllowed',
      'eventNoticeDays.conference',
    ]);
    expect(changedParameters(draft, v22)).toEqual([
      'engagementThresholdBp',
      'deferralsAllowed',
      'eventNoticeDays.conference',
    ]);
  });

  it('a change to something that is not editable is not listed', () => {
    expect(changedParameters(v22, { ...v22, idealModuleWindowDays: 21 })).toEqual([]);
  });
});

describe('monthYear: dates as the version table writes them', () => {
  it.each([
    ['2025-08-01', 'August 2025'],
    ['2026-01-31', 'January 2026'],
    ['2025-12-31T23:30:00+00:00', 'December 2025'],
    ['2026-03-01 00:00:00', 'March 2026'],
  ])('%s reads "%s"', (date, words) => {
    expect(monthYear(date)).toBe(words);
  });

  it('no date reads "Not recorded"', () => {
    expect(monthYear(null)).toBe('Not recorded');
    expect(monthYear('')).toBe('Not recorded');
  });
});

describe('registerFromVersion: the register a stored version decides under (3.1.1)', () => {
  const v23: StoredPolicyVersion = {
    version: '2.3',
    owner: 'Head of Programmes',
    approver: 'NPQ Board',
    issuedOn: '2026-09-01',
    summary: 'Threshold raised',
    appliesTo: 'Participants starting in autumn 2026',
    nextReviewOn: '2027-07-01',
    parameters: {
      ...v22,
      engagementThresholdBp: 9500,
      eventNoticeDays: { ...v22.eventNoticeDays, clinic: 30 },
    },
  };
  const v22Stored: StoredPolicyVersion = {
    version: '2.2',
    owner: null,
    approver: null,
    issuedOn: '2025-08-01',
    summary: 'Minor changes to 2.3',
    appliesTo: null,
    nextReviewOn: null,
    parameters: null,
  };

  it('takes the version its number, people, dates, parameters and history', () => {
    const register = registerFromVersion(POLICY_REGISTER_V2_2, v23, [v22Stored, v23]);
    expect(register).toEqual({
      ...POLICY_REGISTER_V2_2,
      version: '2.3',
      owner: 'Head of Programmes',
      approvedBy: 'NPQ Board',
      lastReviewed: 'September 2026',
      nextReviewDue: 'July 2027',
      nextReviewDueOn: '2027-07-01',
      appliesTo: 'Participants starting in autumn 2026',
      versionHistory: [
        {
          version: '2.2',
          released: 'August 2025',
          summary: 'Minor changes to 2.3',
          approver: 'Not recorded',
        },
        {
          version: '2.3',
          released: 'September 2026',
          summary: 'Threshold raised',
          approver: 'NPQ Board',
        },
      ],
      parameters: {
        ...v22,
        engagementThresholdBp: 9500,
        eventNoticeDays: { ...v22.eventNoticeDays, clinic: 30 },
      },
    });
    // The clause texts stay the base register's: a version changes numbers, not wording.
    expect(register.clauses).toBe(POLICY_REGISTER_V2_2.clauses);
  });

  it('what the version does not record comes from the base register, or says so', () => {
    const register = registerFromVersion(
      POLICY_REGISTER_V2_2,
      { ...v22Stored, issuedOn: null },
      [],
    );
    expect(register.version).toBe('2.2');
    expect(register.owner).toBe('Director, NPQ Programmes');
    expect(register.approvedBy).toBe('Programme Operations Committee');
    expect(register.appliesTo).toBe(POLICY_REGISTER_V2_2.appliesTo);
    expect(register.lastReviewed).toBe('Not recorded');
    expect(register.nextReviewDue).toBe('Not set');
    expect(register.nextReviewDueOn).toBe('2026-07-01');
    expect(register.versionHistory).toEqual([]);
    expect(register.parameters).toEqual(v22);
  });

  it('a parameter the stored version lacks keeps the base value; notice days merge kind by kind', () => {
    const older = {
      ...v22Stored,
      parameters: {
        engagementThresholdBp: 9200,
        eventNoticeDays: { clinic: 21 },
      } as unknown as PolicyParameters,
    };
    const register = registerFromVersion(POLICY_REGISTER_V2_2, older, [older]);
    expect(register.parameters).toEqual({
      ...v22,
      engagementThresholdBp: 9200,
      eventNoticeDays: { ...v22.eventNoticeDays, clinic: 21 },
    });
    const noNotice = {
      ...v22Stored,
      parameters: { deferralsAllowed: 2 } as unknown as PolicyParameters,
    };
    expect(registerFromVersion(POLICY_REGISTER_V2_2, noNotice, []).parameters).toEqual({
      ...v22,
      deferralsAllowed: 2,
    });
  });
});
