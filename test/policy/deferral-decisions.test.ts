/**
 * Deferral (2.3.1-2.3.10): whole decisions as the participant reads them, and the edges of the
 * re-join plan. The words are part of the requirement here: each message says which clause gives
 * the participant what, with the dates and contact the plan worked out.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  POLICY_REGISTER,
  addDays,
  evaluateDeferral,
  evaluateIntentContact,
  evaluateReturnFromDeferral,
  intentContactDueOn,
  isBefore,
  planRejoin,
} from '../../src/policy/index.js';
import type {
  DeferralException,
  DeferralInput,
  PolicyRegister,
  Reason,
} from '../../src/policy/index.js';
import { cohort, idsBefore, programmeActivities } from './fixtures.js';

const START = '2025-09-01';
const ACTIVITIES = programmeActivities(START);
const CURRENT = cohort('sl-2025', START);
const NEXT = cohort('sl-2026', '2026-09-07');
/** Conference, module 1, clinic 1, community session 1 and the first two sessions of module 2. */
const DONE = [...idsBefore(ACTIVITIES, 'm2-s3')].filter((id) => !id.startsWith('coach'));
const REQUESTED_ON = addDays(START, 54); // 2025-10-25
const HUB = 'your Delivery Partner, North Star Teaching School Hub';

function input(overrides: Partial<DeferralInput> = {}): DeferralInput {
  return {
    requestedOn: REQUESTED_ON,
    enrolmentStatus: 'active',
    dfeRegistered: true,
    employmentConfirmed: true,
    previousDeferrals: 0,
    circumstance: { kind: 'illness_or_health' },
    activities: ACTIVITIES,
    completedActivityIds: DONE,
    currentCohort: CURRENT,
    futureCohorts: [NEXT],
    ...overrides,
  };
}

const rows = (reasons: readonly Reason[]) =>
  reasons.map((r) => [r.code, r.clause, r.met, r.message, r.evidence]);

const ELIGIBLE: unknown[][] = [
  [
    'DEFERRAL.DFE_REGISTERED',
    '2.3.2',
    true,
    'You have registered with the Department for Education.',
    {},
  ],
  [
    'DEFERRAL.EMPLOYMENT_CONFIRMED',
    '2.3.2',
    true,
    'You have submitted your confirmation of employment.',
    {},
  ],
  [
    'DEFERRAL.ENGAGED',
    '2.3.2',
    true,
    'You have engaged with at least one module or attended an event.',
    { modulesEngaged: 2, eventsAttended: 3 },
  ],
];
const CIRCUMSTANCE: unknown[][] = [
  [
    'DEFERRAL.EXTENUATING_CIRCUMSTANCE',
    '2.3.4',
    true,
    'Your circumstances are ones where a deferral can be discussed.',
    { circumstance: 'illness_or_health', dfeReason: 'long-term-sickness', description: null },
  ],
  [
    'DEFERRAL.SUPPORT_TO_COMPLETE',
    '2.3.1',
    true,
    'Because of your circumstances, we want to support you to complete your programme, which may include a deferral.',
    { circumstance: 'illness_or_health' },
  ],
];
const CONTACT: unknown[] = [
  'DEFERRAL.CONTACT',
  '2.3.4',
  true,
  `To discuss a deferral, contact ${HUB}. We will also talk through the options that would let you continue with your current cohort.`,
  { contactKind: 'delivery_partner', contactName: 'North Star Teaching School Hub' },
];
const FIRST: unknown[] = [
  'DEFERRAL.FIRST_DEFERRAL',
  '2.3.3',
  true,
  'You may defer once; you have not used this yet.',
  { previousDeferrals: 0, deferralsAllowed: 1 },
];
/** The plan for DONE, agreed on 25 October 2025: re-join at module 2, session 3 on 23 October 2026. */
const PLAN_REASONS: unknown[][] = [
  [
    'DEFERRAL.SUITABLE_COHORT',
    '2.3.3',
    true,
    'There is a suitable later cohort for your programme, starting 7 September 2026.',
    { targetCohortId: 'sl-2026' },
  ],
  [
    'DEFERRAL.REJOIN_DATE',
    '2.3.5',
    true,
    `With one cohort a year, the next available cohort is usually about 12 months later. Your provisional re-joining date is 23 October 2026, to be agreed with ${HUB}.`,
    { rejoinOn: '2026-10-23', targetCohortId: 'sl-2026' },
  ],
  [
    'DEFERRAL.REJOIN_POINT',
    '2.3.6',
    true,
    'You will restart with your new cohort at Module 2, session 3, where you last engaged, not from the beginning. Everything you have done stays available to revisit.',
    { rejoinActivityId: 'm2-s3', completedCount: 11 },
  ],
  [
    'DEFERRAL.RETURN_SOONER_TO_CATCH_UP',
    '2.3.5',
    true,
    'You missed 4 activities before your deferral was agreed, so you return on 23 October 2026 rather than 8 November 2026 to cover them with your new cohort.',
    {
      catchUpActivityIds: ['m2-s3', 'm2-s4', 'm2-s5', 'm2-s6'],
      returnWithoutCatchUpOn: '2026-11-08',
    },
  ],
  [
    'DEFERRAL.INTENT_CONTACT',
    '2.3.7',
    true,
    `By 25 September 2026, ${HUB} will contact you to confirm you intend to return and to discuss any reasonable adjustments you need.`,
    { intentContactDueOn: '2026-09-25', leadDays: 28 },
  ],
  [
    'DEFERRAL.NOT_RETURNING_MEANS_WITHDRAWAL',
    '2.3.8',
    true,
    'If you choose not to return by 23 October 2026, you will be withdrawn from the programme and the NPQ Withdrawal policy will apply.',
    { restartOn: '2026-10-23' },
  ],
];
const OPTIONS_REASON: unknown[] = [
  'DEFERRAL.OPTIONS',
  '2.3.10',
  true,
  'If a deferral is not possible, you can continue with your current cohort with support, or withdraw (the NPQ Withdrawal policy applies).',
  { options: ['continue_with_current_cohort', 'withdraw'] },
];
const ALL_OPTIONS = [
  {
    option: 'defer',
    description: 'Defer and re-join a later cohort at the point you last engaged.',
  },
  {
    option: 'continue_with_current_cohort',
    description:
      'Continue with your current cohort, with support and reasonable adjustments agreed with you.',
  },
  {
    option: 'withdraw',
    description: 'Withdraw from the programme; the NPQ Withdrawal policy applies.',
  },
];

describe('2.3 a deferral decision, whole, in the words the participant reads', () => {
  it('2.3.1-2.3.8 an eligible first deferral: allowed, with the plan, the dates and who to contact', () => {
    const d = evaluateDeferral(input());
    expect(d.outcome).toBe('allowed');
    expect(d.policyVersion).toBe('2.2');
    expect(rows(d.reasons)).toEqual([
      ...ELIGIBLE,
      ...CIRCUMSTANCE,
      CONTACT,
      FIRST,
      ...PLAN_REASONS,
    ]);
    expect(d.details).toEqual({
      dfeReason: 'long-term-sickness',
      contact: { kind: 'delivery_partner', name: 'North Star Teaching School Hub' },
      previousDeferrals: 0,
      exceptionUsed: false,
      plan: {
        targetCohortId: 'sl-2026',
        rejoinActivityId: 'm2-s3',
        rejoinOn: '2026-10-23',
        returnWithoutCatchUpOn: '2026-11-08',
        catchUpActivityIds: ['m2-s3', 'm2-s4', 'm2-s5', 'm2-s6'],
        returnSooner: true,
        intentContactDueOn: '2026-09-25',
      },
      options: ALL_OPTIONS,
    });
  });

  it('2.3.1 2.3.2 no circumstance and not yet started: every unmet requirement is said, and no options reason', () => {
    const d = evaluateDeferral(
      input({
        circumstance: undefined,
        enrolmentStatus: 'applied',
        dfeRegistered: false,
        employmentConfirmed: false,
        completedActivityIds: [],
      }),
    );
    expect(d.outcome).toBe('refused');
    expect(rows(d.reasons.filter((r) => !r.met))).toEqual([
      [
        'DEFERRAL.NO_EXTENUATING_CIRCUMSTANCE',
        '2.3.1',
        false,
        'We expect you to complete your programme, including the assessment, with the cohort you started with. A deferral is only offered in extenuating circumstances, so please tell us what has happened.',
        {},
      ],
      [
        'DEFERRAL.NOT_COMMENCED',
        '2.3.2',
        false,
        'You can only defer once you have been accepted and have formally started your programme.',
        { enrolmentStatus: 'applied', requestedOn: REQUESTED_ON },
      ],
      [
        'DEFERRAL.NOT_DFE_REGISTERED',
        '2.3.2',
        false,
        'To defer, you need to have registered with the Department for Education.',
        {},
      ],
      [
        'DEFERRAL.EMPLOYMENT_NOT_CONFIRMED',
        '2.3.2',
        false,
        'To defer, you need to have submitted your confirmation of employment.',
        {},
      ],
      [
        'DEFERRAL.NO_ENGAGEMENT_YET',
        '2.3.2',
        false,
        'To defer, you need to have engaged with at least one module or attended one event.',
        { modulesEngaged: 0, eventsAttended: 0 },
      ],
    ]);
    expect(d.reasons.map((r) => r.code)).not.toContain('DEFERRAL.OPTIONS');
    expect(d.details.dfeReason).toBeNull();
    expect(d.details.plan).toBeNull();
    expect(d.details.options).toEqual(ALL_OPTIONS.slice(1));
  });

  it('2.3.4 2.3.2 2.3.10 "other" left blank, withdrawn, final cohort: refused, with the options outlined', () => {
    const d = evaluateDeferral(
      input({
        circumstance: { kind: 'other', description: '' },
        enrolmentStatus: 'withdrawn',
        currentCohort: cohort('sl-2025', START, { isFinal: true }),
      }),
    );
    expect(d.outcome).toBe('refused');
    expect(rows(d.reasons)).toEqual([
      [
        'DEFERRAL.CIRCUMSTANCE_NOT_DESCRIBED',
        '2.3.4',
        false,
        'Please describe the circumstances that mean you cannot continue with your cohort.',
        { circumstance: 'other' },
      ],
      [
        'DEFERRAL.NOT_ACTIVE',
        '2.3.2',
        false,
        'You can only defer while you are active on the programme.',
        { enrolmentStatus: 'withdrawn', requestedOn: REQUESTED_ON },
      ],
      ...ELIGIBLE,
      [
        'DEFERRAL.FINAL_COHORT',
        '2.3.10',
        false,
        'Deferral is not available because this is the final cohort of your programme. We will talk you through the options open to you.',
        { cohortId: 'sl-2025' },
      ],
      CONTACT,
      FIRST,
      OPTIONS_REASON,
    ]);
    expect(d.details.dfeReason).toBe('other');
  });

  it('2.3.2 2.3.3 an enrolment already deferred: refused under 2.3.3, with its evidence', () => {
    const d = evaluateDeferral(input({ enrolmentStatus: 'deferred' }));
    expect(d.outcome).toBe('refused');
    expect(rows(d.reasons.filter((r) => !r.met))).toEqual([
      [
        'DEFERRAL.ALREADY_DEFERRED',
        '2.3.3',
        false,
        'Your place is already deferred.',
        { enrolmentStatus: 'deferred', requestedOn: REQUESTED_ON },
      ],
    ]);
  });

  it('2.3.10 2.3.3 2.3.9 the contract ends first and a second deferral approved by the wrong role', () => {
    const d = evaluateDeferral(
      input({
        contractEndsOn: '2026-10-01',
        previousDeferrals: 1,
        exception: {
          approvedBy: 'dp-1',
          approvedByRole: 'delivery_partner_staff',
          approvedOn: '2025-10-01',
          rationale: 'Ill again',
        },
      }),
    );
    expect(d.outcome).toBe('refused');
    const evidence = {
      previousDeferrals: 1,
      deferralsAllowed: 1,
      approvedBy: 'dp-1',
      approvedByRole: 'delivery_partner_staff',
      approvedOn: '2025-10-01',
    };
    expect(rows(d.reasons)).toEqual([
      ...ELIGIBLE,
      [
        'DEFERRAL.CONTRACT_ENDS_FIRST',
        '2.3.10',
        false,
        'Deferral is not available because our contract to deliver this programme ends before a later cohort would finish. We will talk you through the options open to you.',
        { contractEndsOn: '2026-10-01', cohortId: 'sl-2026' },
      ],
      [
        'DEFERRAL.ALREADY_DEFERRED_ONCE',
        '2.3.3',
        false,
        'You can only defer once, and you have already deferred.',
        evidence,
      ],
      [
        'DEFERRAL.EXCEPTION_NOT_BY_PROGRAMME_TEAM',
        '2.3.9',
        false,
        'A further deferral must be approved, with a recorded rationale, by the programme team.',
        evidence,
      ],
      ...CIRCUMSTANCE,
      CONTACT,
      OPTIONS_REASON,
    ]);
    expect(d.details.previousDeferrals).toBe(1);
    expect(d.details.exceptionUsed).toBe(false);
  });

  it('2.3.3 2.3.9 a second deferral with no exception at all: needs an exception, with null approval evidence', () => {
    const d = evaluateDeferral(input({ previousDeferrals: 1 }));
    expect(d.outcome).toBe('needs_exception');
    const evidence = {
      previousDeferrals: 1,
      deferralsAllowed: 1,
      approvedBy: null,
      approvedByRole: null,
      approvedOn: null,
    };
    expect(rows(d.reasons.filter((r) => !r.met))).toEqual([
      [
        'DEFERRAL.ALREADY_DEFERRED_ONCE',
        '2.3.3',
        false,
        'You can only defer once, and you have already deferred.',
        evidence,
      ],
      [
        'DEFERRAL.EXCEPTION_REQUIRED',
        '2.3.9',
        false,
        'A further deferral is only considered in extenuating circumstances, as an exception approved by the programme team.',
        evidence,
      ],
    ]);
    // Needing an exception is not a refusal: deferring stays on the table, and so does the plan.
    expect(d.details.options).toEqual(ALL_OPTIONS);
    expect(d.details.plan?.targetCohortId).toBe('sl-2026');
    expect(d.reasons.map((r) => r.code)).not.toContain('DEFERRAL.OPTIONS');
  });

  it('2.3.9 a programme-team exception: allowed, and the approval and rationale are recorded', () => {
    const exception: DeferralException = {
      approvedBy: 'pt-3',
      approvedByRole: 'programme_team',
      approvedOn: '2025-10-20',
      rationale: 'Second period of serious illness.',
    };
    const d = evaluateDeferral(input({ previousDeferrals: 1, exception }));
    expect(d.outcome).toBe('allowed');
    expect(d.details.exceptionUsed).toBe(true);
    expect(rows(d.reasons.filter((r) => r.clause === '2.3.9'))).toEqual([
      [
        'DEFERRAL.EXCEPTION_APPROVED',
        '2.3.9',
        true,
        'You have already deferred once. Because of your extenuating circumstances, the programme team has approved a further deferral as an exception.',
        {
          previousDeferrals: 1,
          deferralsAllowed: 1,
          approvedBy: 'pt-3',
          approvedByRole: 'programme_team',
          approvedOn: '2025-10-20',
          rationale: 'Second period of serious illness.',
        },
      ],
    ]);
    expect(d.reasons.map((r) => r.code)).not.toContain('DEFERRAL.ALREADY_DEFERRED_ONCE');
  });

  it('2.3.4 "other", described: the description is kept as evidence for the DfE reason "other"', () => {
    const d = evaluateDeferral(
      input({ circumstance: { kind: 'other', description: 'Caring for a parent' } }),
    );
    expect(d.outcome).toBe('allowed');
    expect(d.reasons.find((r) => r.code === 'DEFERRAL.EXTENUATING_CIRCUMSTANCE')?.evidence).toEqual(
      { circumstance: 'other', dfeReason: 'other', description: 'Caring for a parent' },
    );
  });

  it('2.3.3 2.3.8 a register that allows two deferrals and names another withdrawal policy says so', () => {
    const register: PolicyRegister = {
      ...POLICY_REGISTER,
      withdrawalPolicyName: 'Withdrawal and Refund policy',
      parameters: { ...POLICY_REGISTER.parameters, deferralsAllowed: 2 },
    };
    const d = evaluateDeferral(input({ previousDeferrals: 1 }), register);
    expect(d.outcome).toBe('allowed');
    expect(rows(d.reasons.filter((r) => r.code === 'DEFERRAL.FIRST_DEFERRAL'))).toEqual([
      [
        'DEFERRAL.FIRST_DEFERRAL',
        '2.3.3',
        true,
        'You may defer 2 times; you have not used this yet.',
        { previousDeferrals: 1, deferralsAllowed: 2 },
      ],
    ]);
    expect(d.details.options[2]).toEqual({
      option: 'withdraw',
      description: 'Withdraw from the programme; the Withdrawal and Refund policy applies.',
    });
    expect(
      d.reasons.find((r) => r.code === 'DEFERRAL.NOT_RETURNING_MEANS_WITHDRAWAL')?.message,
    ).toBe(
      'If you choose not to return by 23 October 2026, you will be withdrawn from the programme and the Withdrawal and Refund policy will apply.',
    );
    const refused = evaluateDeferral(input({ futureCohorts: [] }), register);
    expect(refused.reasons.find((r) => r.code === 'DEFERRAL.OPTIONS')?.message).toBe(
      'If a deferral is not possible, you can continue with your current cohort with support, or withdraw (the Withdrawal and Refund policy applies).',
    );
  });

  it('2.3.3 no suitable cohort: the refusal lists the later cohorts of this programme it considered', () => {
    const later = cohort('sl-2026-short', '2026-09-07', { schedule: { 'conf-1': '2026-09-07' } });
    const other = cohort('h-2026', '2026-09-07', { course: 'npq-headship' });
    const d = evaluateDeferral(input({ futureCohorts: [other, later] }));
    expect(d.outcome).toBe('refused');
    expect(rows(d.reasons.filter((r) => !r.met))).toEqual([
      [
        'DEFERRAL.NO_SUITABLE_COHORT',
        '2.3.3',
        false,
        'Deferral depends on a suitable future cohort, and there is none for your programme. We will talk you through the options open to you.',
        { course: 'npq-senior-leadership', cohortsConsidered: ['sl-2026-short'] },
      ],
    ]);
  });

  it("2.3.3 the participant's own cohort is never the later cohort, even when listed with later dates", () => {
    // A re-dated copy of the current cohort (same id) is not another cohort to defer into.
    const redated = cohort(CURRENT.id, '2026-09-07');
    const d = evaluateDeferral(input({ futureCohorts: [redated] }));
    expect(d.outcome).toBe('refused');
    expect(d.reasons.find((r) => r.code === 'DEFERRAL.NO_SUITABLE_COHORT')?.evidence).toEqual({
      course: 'npq-senior-leadership',
      cohortsConsidered: [],
    });
    expect(
      evaluateDeferral(input({ futureCohorts: [redated, NEXT] })).details.plan?.targetCohortId,
    ).toBe('sl-2026');
  });

  it('2.3.6 with everything done the participant re-joins for the assessment, and is told so', () => {
    const all = ACTIVITIES.map((a) => a.id);
    const d = evaluateDeferral(
      input({ completedActivityIds: all, requestedOn: addDays(START, 130) }),
    );
    expect(d.outcome).toBe('allowed');
    const r = d.reasons.find((x) => x.code === 'DEFERRAL.REJOIN_POINT');
    expect(r?.message).toBe(
      'You will restart with your new cohort at the assessment, where you last engaged, not from the beginning. Everything you have done stays available to revisit.',
    );
    expect(r?.evidence).toEqual({ rejoinActivityId: null, completedCount: all.length });
    expect(d.details.plan?.rejoinOn).toBe(NEXT.assessmentWindowOpensOn);
  });

  it('2.3.6 an activity without a title is named by its id', () => {
    const untitled = ACTIVITIES.map((a) => (a.id === 'm2-s3' ? { ...a, title: undefined } : a));
    const d = evaluateDeferral(input({ activities: untitled }));
    expect(d.reasons.find((x) => x.code === 'DEFERRAL.REJOIN_POINT')?.message).toBe(
      'You will restart with your new cohort at m2-s3, where you last engaged, not from the beginning. Everything you have done stays available to revisit.',
    );
  });
});

describe('2.3.5 2.3.6 the re-join plan at its edges', () => {
  const plan = (over: Partial<Parameters<typeof planRejoin>[0]> = {}) =>
    planRejoin({
      course: 'npq-senior-leadership',
      activities: ACTIVITIES,
      completedActivityIds: DONE,
      currentCohort: CURRENT,
      targetCohort: NEXT,
      formalisedOn: REQUESTED_ON,
      ...over,
    });

  it('2.3.5 agreed after the current cohort has finished every activity: without catch-up it would be the assessment window', () => {
    const p = plan({ formalisedOn: addDays(START, 200) });
    expect(p?.returnWithoutCatchUpOn).toBe(NEXT.assessmentWindowOpensOn);
    expect(p?.rejoinOn).toBe(NEXT.schedule['m2-s3']);
    expect(p?.returnSooner).toBe(true);
  });

  it('2.3.5 a target cohort with no assessment window date: no "without catch-up" date, so no "return sooner"', () => {
    const noWindow = { ...NEXT, assessmentWindowOpensOn: undefined };
    const p = plan({ targetCohort: noWindow, formalisedOn: addDays(START, 200) });
    expect(p?.returnWithoutCatchUpOn).toBeNull();
    expect(p?.catchUpActivityIds.length).toBeGreaterThan(0);
    expect(p?.returnSooner).toBe(false);
  });

  it('2.3.5 a target cohort that does not run the activity the current cohort had reached: null, and no "return sooner"', () => {
    const schedule = Object.fromEntries(
      Object.entries(NEXT.schedule).filter(([id]) => id !== 'clinic-2'),
    );
    const p = plan({ targetCohort: cohort('sl-2026', '2026-09-07', { schedule }) });
    expect(p?.returnWithoutCatchUpOn).toBeNull();
    expect(p?.returnSooner).toBe(false);
    expect(p?.rejoinOn).toBe('2026-10-23');
  });

  it("2.3.5 the current cohort's own dates are used before the activity's default date", () => {
    // The current cohort moved module 2, session 3 to after the day the deferral was agreed.
    const moved = cohort('sl-2025', START, {
      schedule: { ...CURRENT.schedule, 'm2-s3': addDays(REQUESTED_ON, 3) },
    });
    const p = plan({ currentCohort: moved });
    expect(p?.catchUpActivityIds).toEqual(['m2-s4', 'm2-s5', 'm2-s6']);
  });

  it('2.3.7 the intent contact is due the register lead time before the re-join date', () => {
    expect(intentContactDueOn('2026-10-23')).toBe('2026-09-25');
    const register: PolicyRegister = {
      ...POLICY_REGISTER,
      parameters: { ...POLICY_REGISTER.parameters, intentContactLeadDays: 10 },
    };
    expect(intentContactDueOn('2026-10-23', register)).toBe('2026-10-13');
    expect(plan({})?.intentContactDueOn).toBe('2026-09-25');
    const withRegister = planRejoin(
      {
        course: 'npq-senior-leadership',
        activities: ACTIVITIES,
        completedActivityIds: DONE,
        currentCohort: CURRENT,
        targetCohort: NEXT,
        formalisedOn: REQUESTED_ON,
      },
      register,
    );
    expect(withRegister?.intentContactDueOn).toBe('2026-10-13');
  });

  it('2.3.3 property: listed in any order, the earliest later cohort still ahead of the re-join point is chosen', () => {
    const starts = ['2025-09-15', '2026-01-05', '2026-09-07', '2027-09-06', '2028-09-04'];
    fc.assert(
      fc.property(
        fc.shuffledSubarray(starts, { minLength: 0 }),
        fc.integer({ min: 20, max: 120 }),
        (chosen, day) => {
          const requestedOn = addDays(START, day);
          const futures = chosen.map((s) => cohort(`sl-${s}`, s));
          const d = evaluateDeferral(input({ futureCohorts: futures, requestedOn }));
          // The arithmetic: later than this cohort, re-join date after the day it is agreed, earliest first.
          const expected = [...chosen]
            .sort()
            .find(
              (s) =>
                isBefore(START, s) &&
                isBefore(requestedOn, cohort('x', s).schedule['m2-s3'] as string),
            );
          expect(d.details.plan?.targetCohortId ?? null).toBe(
            expected === undefined ? null : `sl-${expected}`,
          );
          expect(d.outcome).toBe(expected === undefined ? 'refused' : 'allowed');
        },
      ),
    );
  });
});

describe('2.3.7 asking the participant to confirm they intend to return, in their words', () => {
  const restartOn = '2026-10-23';
  it.each([
    {
      today: '2026-09-01',
      contactedOn: undefined,
      code: 'DEFERRAL.INTENT_CONTACT',
      met: true,
      message:
        'We will contact you by 25 September 2026 to confirm you intend to return on 23 October 2026 and to discuss any reasonable adjustments.',
    },
    {
      today: '2026-09-25',
      contactedOn: undefined,
      code: 'DEFERRAL.INTENT_CONTACT',
      met: true,
      message:
        'We are contacting you now to confirm you intend to return on 23 October 2026 and to discuss any reasonable adjustments.',
    },
    {
      today: '2026-10-01',
      contactedOn: undefined,
      code: 'DEFERRAL.INTENT_CONTACT_MISSED',
      met: false,
      message:
        'We should have contacted you by 25 September 2026 to confirm your intent to return on 23 October 2026.',
    },
    {
      today: '2026-10-30',
      contactedOn: '2026-10-22',
      code: 'DEFERRAL.INTENT_CONTACT',
      met: true,
      message:
        'We have contacted you to confirm your intent to return and to discuss any reasonable adjustments.',
    },
    {
      today: '2026-10-30',
      contactedOn: '2026-10-23',
      code: 'DEFERRAL.INTENT_CONTACT_MISSED',
      met: false,
      message:
        'Contact to confirm your intent to return must happen before your restart date, 23 October 2026.',
    },
  ])(
    '2.3.7 today $today, contacted $contactedOn: $code',
    ({ today, contactedOn, code, met, message }) => {
      const d = evaluateIntentContact({ restartOn, today, contactedOn });
      expect(d.outcome).toBe(met ? 'met' : 'not_met');
      expect(d.policyVersion).toBe('2.2');
      expect(rows(d.reasons)).toEqual([
        [
          code,
          '2.3.7',
          met,
          message,
          { restartOn, dueOn: '2026-09-25', today, contactedOn: contactedOn ?? null },
        ],
      ]);
    },
  );
});

describe("2.3.8 returning from a deferral, or being withdrawn, in the participant's words", () => {
  const restartOn = '2026-10-23';
  const withdrawn = (why: string) =>
    `${why} You are therefore withdrawn from the programme and the NPQ Withdrawal policy applies.`;
  it.each([
    {
      name: 'returned on the restart date',
      today: restartOn,
      intent: 'confirmed',
      returnedOn: restartOn,
      code: 'DEFERRAL.RETURNED',
      event: 'resume',
      message: 'Welcome back: you have re-joined your programme.',
    },
    {
      name: 'returned a day late, though confirmed',
      today: '2026-10-24',
      intent: 'confirmed',
      returnedOn: '2026-10-24',
      code: 'DEFERRAL.NOT_RETURNING',
      event: 'withdraw',
      message: withdrawn('You did not return by your restart date, 23 October 2026.'),
    },
    {
      name: 'returned a day late, having declined',
      today: '2026-10-24',
      intent: 'declined',
      returnedOn: '2026-10-24',
      code: 'DEFERRAL.NOT_RETURNING',
      event: 'withdraw',
      message: withdrawn('You have told us you will not return.'),
    },
    {
      name: 'declined, before the restart date',
      today: '2026-10-01',
      intent: 'declined',
      returnedOn: undefined,
      code: 'DEFERRAL.NOT_RETURNING',
      event: 'withdraw',
      message: withdrawn('You have told us you will not return.'),
    },
    {
      name: 'no response, on the restart date itself',
      today: restartOn,
      intent: 'no_response',
      returnedOn: undefined,
      code: 'DEFERRAL.RETURN_EXPECTED',
      event: null,
      message:
        'Please re-join by 23 October 2026. If you choose not to return, you will be withdrawn and the NPQ Withdrawal policy will apply.',
    },
    {
      name: 'no response, the day after the restart date',
      today: '2026-10-24',
      intent: 'no_response',
      returnedOn: undefined,
      code: 'DEFERRAL.NOT_RETURNING',
      event: 'withdraw',
      message: withdrawn('You did not return by your restart date, 23 October 2026.'),
    },
    {
      // A late return is a late return whatever day the decision is made: the recorded return
      // date decides, not how far the calendar has got.
      name: 'returned a week late, decided before the restart date',
      today: '2026-10-20',
      intent: 'confirmed',
      returnedOn: '2026-10-30',
      code: 'DEFERRAL.NOT_RETURNING',
      event: 'withdraw',
      message: withdrawn('You did not return by your restart date, 23 October 2026.'),
    },
  ] as const)('2.3.8 $name -> $code', ({ today, intent, returnedOn, code, event, message }) => {
    const d = evaluateReturnFromDeferral({ restartOn, today, intent, returnedOn });
    expect(d.outcome).toBe(event === 'withdraw' ? 'not_met' : 'met');
    expect(d.details).toEqual({ lifecycleEvent: event });
    expect(d.policyVersion).toBe('2.2');
    expect(rows(d.reasons)).toEqual([
      [
        code,
        '2.3.8',
        event !== 'withdraw',
        message,
        { restartOn, today, intent, returnedOn: returnedOn ?? null },
      ],
    ]);
  });
});

describe('2.3.8 the return decision, for any day, return date and intent', () => {
  const restartOn = '2026-10-23';
  const withdrawn = (why: string) =>
    `${why} You are therefore withdrawn from the programme and the NPQ Withdrawal policy applies.`;

  it('2.3.8 property: resumed exactly when back by the restart date; otherwise withdrawn when declined, back late or the date has passed', () => {
    // Days are counted from the restart date: 0 is the restart date, 1 the day after.
    const offset = fc.integer({ min: -40, max: 40 });
    fc.assert(
      fc.property(
        offset,
        fc.option(offset, { nil: undefined }),
        fc.constantFrom('confirmed', 'declined', 'no_response' as const),
        (todayOffset, returnedOffset, intent) => {
          const today = addDays(restartOn, todayOffset);
          const returnedOn =
            returnedOffset === undefined ? undefined : addDays(restartOn, returnedOffset);
          const d = evaluateReturnFromDeferral({ restartOn, today, intent, returnedOn });
          // The arithmetic: back by the restart date resumes; a decline, a late return (whatever
          // day it is today) or a restart date already behind today withdraws; otherwise we wait.
          const back = returnedOffset !== undefined && returnedOffset <= 0;
          const withdraw =
            !back && (intent === 'declined' || returnedOffset !== undefined || todayOffset > 0);
          const expected = back
            ? ['DEFERRAL.RETURNED', true, 'Welcome back: you have re-joined your programme.']
            : withdraw
              ? [
                  'DEFERRAL.NOT_RETURNING',
                  false,
                  withdrawn(
                    intent === 'declined'
                      ? 'You have told us you will not return.'
                      : 'You did not return by your restart date, 23 October 2026.',
                  ),
                ]
              : [
                  'DEFERRAL.RETURN_EXPECTED',
                  true,
                  'Please re-join by 23 October 2026. If you choose not to return, you will be withdrawn and the NPQ Withdrawal policy will apply.',
                ];
          expect(d.outcome).toBe(withdraw ? 'not_met' : 'met');
          expect(d.details).toEqual({
            lifecycleEvent: back ? 'resume' : withdraw ? 'withdraw' : null,
          });
          expect(d.reasons.map((r) => [r.code, r.clause, r.met, r.message])).toEqual([
            [expected[0], '2.3.8', expected[1], expected[2]],
          ]);
          expect(d.reasons[0]?.clause).toBe('2.3.8');
        },
      ),
    );
  });
});

describe('2.3.2 2.3.4 what the participant brings: a coaching session attended, an "other" circumstance described', () => {
  const EL_CURRENT = cohort('el-2025', START, { course: 'npq-executive-leadership' });
  const EL_NEXT = cohort('el-2026', '2026-09-07', { course: 'npq-executive-leadership' });
  const engaged = (eventsAttended: number): unknown[] => [
    'DEFERRAL.ENGAGED',
    '2.3.2',
    true,
    'You have engaged with at least one module or attended an event.',
    { modulesEngaged: 0, eventsAttended },
  ];

  it.each([
    {
      name: 'executive leadership (coaching is part of it), only coaching session 1 attended',
      current: EL_CURRENT,
      future: [EL_NEXT],
      completed: ['coach-1'],
      outcome: 'allowed',
      row: engaged(1),
    },
    {
      name: 'executive leadership, both coaching sessions attended',
      current: EL_CURRENT,
      future: [EL_NEXT],
      completed: ['coach-1', 'coach-2'],
      outcome: 'allowed',
      row: engaged(2),
    },
    {
      name: 'senior leadership (no coaching), only coaching session 1 recorded',
      current: CURRENT,
      future: [NEXT],
      completed: ['coach-1'],
      outcome: 'refused',
      row: [
        'DEFERRAL.NO_ENGAGEMENT_YET',
        '2.3.2',
        false,
        'To defer, you need to have engaged with at least one module or attended one event.',
        { modulesEngaged: 0, eventsAttended: 0 },
      ],
    },
  ])(
    '2.3.2 coaching counts as an event only where the programme includes it: $name -> $outcome',
    ({ current, future, completed, outcome, row }) => {
      const d = evaluateDeferral(
        input({ currentCohort: current, futureCohorts: future, completedActivityIds: completed }),
      );
      expect(d.outcome).toBe(outcome);
      expect(rows(d.reasons)).toContainEqual(row);
      expect(d.reasons.find((r) => r.code === row[0])?.clause).toBe('2.3.2');
    },
  );

  it.each([
    { name: 'no description at all', description: undefined, outcome: 'refused' },
    { name: 'an empty description', description: '', outcome: 'refused' },
    { name: 'a whitespace-only description', description: ' \t\n ', outcome: 'refused' },
    { name: 'a description', description: 'Caring for a parent full-time', outcome: 'allowed' },
  ])('2.3.4 "other" with $name -> $outcome', ({ description, outcome }) => {
    const circumstance =
      description === undefined
        ? { kind: 'other' as const }
        : { kind: 'other' as const, description };
    const d = evaluateDeferral(input({ circumstance }));
    expect(d.outcome).toBe(outcome);
    expect(d.details.dfeReason).toBe('other');
    const r = d.reasons.find((x) => x.clause === '2.3.4' && x.code !== 'DEFERRAL.CONTACT');
    expect(r?.clause).toBe('2.3.4');
    expect(r && rows([r])[0]).toEqual(
      outcome === 'refused'
        ? [
            'DEFERRAL.CIRCUMSTANCE_NOT_DESCRIBED',
            '2.3.4',
            false,
            'Please describe the circumstances that mean you cannot continue with your cohort.',
            { circumstance: 'other' },
          ]
        : [
            'DEFERRAL.EXTENUATING_CIRCUMSTANCE',
            '2.3.4',
            true,
            'Your circumstances are ones where a deferral can be discussed.',
            { circumstance: 'other', dfeReason: 'other', description },
          ],
    );
  });
});

describe('2.3.3 which later cohort is offered, and the words that name it', () => {
  /** The SUITABLE_COHORT and REJOIN_DATE reasons for a plan with sl-2026 (starts 7 September 2026). */
  const offeredNext: unknown[][] = [
    [
      'DEFERRAL.SUITABLE_COHORT',
      '2.3.3',
      true,
      'There is a suitable later cohort for your programme, starting 7 September 2026.',
      { targetCohortId: 'sl-2026' },
    ],
    [
      'DEFERRAL.REJOIN_DATE',
      '2.3.5',
      true,
      `With one cohort a year, the next available cohort is usually about 12 months later. Your provisional re-joining date is 23 October 2026, to be agreed with ${HUB}.`,
      { rejoinOn: '2026-10-23', targetCohortId: 'sl-2026' },
    ],
  ];
  // Starts 8 September 2025 and reaches module 2, session 3 on 24 October 2025, before the
  // deferral is agreed on 31 October 2025.
  const started = cohort('sl-early', '2025-09-08');
  // Starts 5 January 2026 but runs until the end of 2028, past a contract ending 30 June 2027.
  const long = cohort('sl-2026-long', '2026-01-05', { endsOn: '2028-12-31' });

  it.each([
    {
      name: 'the earliest later cohort is already past the re-join point',
      futureCohorts: [started, NEXT],
      requestedOn: '2025-10-31',
      contractEndsOn: undefined,
    },
    {
      name: 'the same, listed the other way round',
      futureCohorts: [NEXT, started],
      requestedOn: '2025-10-31',
      contractEndsOn: undefined,
    },
    {
      name: 'the earliest later cohort runs past the end of the contract',
      futureCohorts: [long, NEXT],
      requestedOn: REQUESTED_ON,
      contractEndsOn: '2027-06-30',
    },
    {
      name: 'the same, listed the other way round',
      futureCohorts: [NEXT, long],
      requestedOn: REQUESTED_ON,
      contractEndsOn: '2027-06-30',
    },
  ])(
    '2.3.3 $name: the cohort offered is the one named, with its own start date',
    ({ futureCohorts, requestedOn, contractEndsOn }) => {
      const d = evaluateDeferral(input({ futureCohorts, requestedOn, contractEndsOn }));
      expect(d.outcome).toBe('allowed');
      expect(d.details.plan?.targetCohortId).toBe('sl-2026');
      const at = d.reasons.findIndex((r) => r.code === 'DEFERRAL.SUITABLE_COHORT');
      expect(rows(d.reasons.slice(at, at + 2))).toEqual(offeredNext);
      expect(d.reasons[at]?.clause).toBe('2.3.3');
    },
  );

  // The policy does not rank two later cohorts that start on the same day; the rule keeps the
  // order they are given in (a stable sort by start date), so the first one listed is offered.
  const sameDayA = cohort('sl-2026-a', '2026-09-07');
  const sameDayB = cohort('sl-2026-b', '2026-09-07');
  const later = cohort('sl-2027', '2027-09-06');
  const longB = cohort('sl-2026-b', '2026-09-07', { endsOn: '2028-12-31' });
  it.each([
    { list: [sameDayA, sameDayB], contractEndsOn: undefined, offered: 'sl-2026-a' },
    { list: [sameDayB, sameDayA], contractEndsOn: undefined, offered: 'sl-2026-b' },
    { list: [later, sameDayB, sameDayA], contractEndsOn: undefined, offered: 'sl-2026-b' },
    { list: [sameDayA, later, sameDayB], contractEndsOn: undefined, offered: 'sl-2026-a' },
    // When one of the two cannot be offered, the other is, whichever is listed first.
    { list: [longB, sameDayA], contractEndsOn: '2027-06-30', offered: 'sl-2026-a' },
    { list: [sameDayA, longB], contractEndsOn: '2027-06-30', offered: 'sl-2026-a' },
  ])(
    '2.3.3 two later cohorts starting the same day, listed $list.0.id first (contract end $contractEndsOn): $offered is offered',
    ({ list, contractEndsOn, offered }) => {
      const d = evaluateDeferral(input({ futureCohorts: list, contractEndsOn }));
      expect(d.outcome).toBe('allowed');
      expect(d.details.plan?.targetCohortId).toBe(offered);
      expect(rows(d.reasons.filter((r) => r.code === 'DEFERRAL.SUITABLE_COHORT'))).toEqual([
        [
          'DEFERRAL.SUITABLE_COHORT',
          '2.3.3',
          true,
          'There is a suitable later cohort for your programme, starting 7 September 2026.',
          { targetCohortId: offered },
        ],
      ]);
    },
  );
});

describe('2.3.3 a count of previous deferrals that is not a whole number is a programming error', () => {
  it.each([
    { previousDeferrals: -1, message: 'previousDeferrals must be a whole number; got -1' },
    { previousDeferrals: 0.5, message: 'previousDeferrals must be a whole number; got 0.5' },
    { previousDeferrals: NaN, message: 'previousDeferrals must be a whole number; got NaN' },
    {
      previousDeferrals: Infinity,
      message: 'previousDeferrals must be a whole number; got Infinity',
    },
  ])(
    'previousDeferrals $previousDeferrals: a RangeError that says so',
    ({ previousDeferrals, message }) => {
      let thrown: unknown;
      try {
        evaluateDeferral(input({ previousDeferrals }));
      } catch (e) {
        thrown = e;
      }
      expect(thrown).toBeInstanceOf(RangeError);
      expect((thrown as Error).message).toBe(message);
    },
  );
});
