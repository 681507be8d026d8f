import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  CLAUSE_NUMBERS,
  POLICY_REGISTER,
  clauseNumbers,
  evaluatePolicyReview,
  getClause,
  getRegister,
} from '../../src/policy/index.js';

const POLICY_TEXT = readFileSync(
  new URL('../../docs/sources/npq-part-time-deferral-portability-policy-v2.2.txt', import.meta.url),
  'utf8',
);
/** The policy document with markup removed and whitespace collapsed, to compare quoted clauses against. */
const normalise = (s: string) =>
  s
    .replace(/<\/?b>|\*/g, '')
    .replace(/^\s*(?:[->]\s*)+/gm, '')
    .replace(/\s+/g, ' ')
    .trim();

describe('the register identifies the policy in force', () => {
  it('holds version 2.2 with its owner, approver and review dates', () => {
    expect(POLICY_REGISTER).toMatchObject({
      policyName: 'NPQ Part-Time, Deferral and Portability Policy',
      version: '2.2',
      owner: 'Director, NPQ Programmes',
      approvedBy: 'Programme Operations Committee',
      lastReviewed: 'August 2025',
      nextReviewDue: 'July 2026',
    });
    expect(getRegister('2.2')).toBe(POLICY_REGISTER);
    expect(() => getRegister('1.0')).toThrow(RangeError);
  });

  it('holds the version history table from the document', () => {
    expect(POLICY_REGISTER.versionHistory.map((v) => [v.version, v.released, v.approver])).toEqual([
      ['1', 'January 2024', 'Programme Director, NPQs'],
      ['2', 'July 2024', 'Programme Director, NPQs'],
      ['2.1', 'June 2025', 'Programme Operations Committee'],
      ['2.2', 'August 2025', 'Programme Director, NPQs'],
    ]);
  });

  it('holds every clause of the document, in order', () => {
    expect(clauseNumbers()).toEqual([...CLAUSE_NUMBERS]);
    const inDocument = [...POLICY_TEXT.matchAll(/^\s*(?:-\s*)?(\d+\.\d+\.\d+(?:\.\d+)?)\./gm)].map(
      (m) => m[1],
    );
    expect(inDocument).toEqual([...CLAUSE_NUMBERS]);
  });

  it.each(CLAUSE_NUMBERS.map((n) => ({ n })))(
    'quotes clause $n word for word from the document',
    ({ n }) => {
      const text = normalise(getClause(n).text);
      expect(text.length).toBeGreaterThan(40);
      expect(normalise(POLICY_TEXT)).toContain(text);
    },
  );

  it('keeps the parameters the policy, the DfE or the lead provider may change', () => {
    expect(POLICY_REGISTER.parameters).toMatchObject({
      engagementThresholdBp: 9000,
      assessmentWindowDays: 8,
      assessmentAttempts: 2,
      deferralsAllowed: 1,
      intentContactLeadDays: 28,
      idealModuleWindowDays: 14,
      expectedCohortIntervalMonths: 12,
      coachingCourses: ['npq-executive-leadership', 'npq-early-headship-coaching-offer'],
      scholarshipRetainedOnRestart: true,
      refundAtDeferral: false,
    });
    const noted = POLICY_REGISTER.parameterNotes.map((p) => p.parameter).sort();
    expect(noted).toEqual(Object.keys(POLICY_REGISTER.parameters).sort());
  });
});

describe('3.1.1 the policy is regularly reviewed by the Policy Owner', () => {
  it.each([
    { today: '2025-09-01', outcome: 'met', daysOverdue: -303 },
    { today: '2026-06-30', outcome: 'met', daysOverdue: -1 },
    { today: '2026-07-01', outcome: 'not_met', daysOverdue: 0 },
    { today: '2026-09-15', outcome: 'not_met', daysOverdue: 76 },
  ])('3.1.1 on $today the review is $outcome', ({ today, outcome, daysOverdue }) => {
    const d = evaluatePolicyReview({ today });
    expect(d.outcome).toBe(outcome);
    expect(d.details).toEqual({ version: '2.2', dueOn: '2026-07-01', daysOverdue });
    expect(d.reasons[0]?.clause).toBe('3.1.1');
    expect(d.reasons[0]?.message).toContain('Director, NPQ Programmes');
  });

  it('3.1.1 every decision records the policy version it was made under', () => {
    const next = { ...POLICY_REGISTER, version: '2.3', nextReviewDueOn: '2027-07-01' };
    expect(evaluatePolicyReview({ today: '2026-09-15' }, next)).toMatchObject({
      outcome: 'met',
      policyVersion: '2.3',
    });
  });
});
