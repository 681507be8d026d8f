import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  CIRCUMSTANCE_DFE_REASON,
  EXTENUATING_CIRCUMSTANCES,
  POLICY_REGISTER,
  addDays,
  evaluateDeferral,
  evaluateIntentContact,
  evaluateReturnFromDeferral,
  firstUncompletedActivity,
  inProgrammeOrder,
  isBefore,
  planRejoin,
} from '../../src/policy/index.js';
import type { DeferralException, DeferralInput, PolicyRegister } from '../../src/policy/index.js';
import { cohort, idsBefore, programmeActivities } from './fixtures.js';
import { expectOutcome } from './expect-outcome.js';

const START = '2025-09-01';
const NEXT_START = '2026-09-07';
const ACTIVITIES = programmeActivities(START);
const CURRENT = cohort('sl-2025', START);
const NEXT = cohort('sl-2026', NEXT_START);
/** Conference, module 1, clinic 1, community session 1 and the first two sessions of module 2. */
const DONE = [...idsBefore(ACTIVITIES, 'm2-s3')].filter((id) => !id.startsWith('coach'));
const REQUESTED_ON = addDays(START, 54);

const programmeTeamException: DeferralException = {
  approvedBy: 'pt-3',
  approvedByRole: 'programme_team',
  approvedOn: REQUESTED_ON,
  rationale: 'Second period of serious illness; consultant letter on file.',
};

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

const codes = (d: { reasons: readonly { code: string }[] }) => d.reasons.map((r) => r.code);

describe('2.3.1 participants are expected to complete with their starting cohort; deferral only in extenuating circumstances', () => {
  it('2.3.1 we expect participants to complete with the cohort they started with: no circumstance, no deferral', () => {
    const d = evaluateDeferral(input({ circumstance: undefined }));
    expect(d.outcome).toBe('refused');
    const r = d.reasons.find((x) => x.code === 'DEFERRAL.NO_EXTENUATING_CIRCUMSTANCE');
    expect(r?.clause).toBe('2.3.1');
    expect(r?.message).toContain('cohort you started with');
  });

  it('2.3.1 in extenuating circumstances we support the individual, which may include the offer of a deferral', () => {
    const d = evaluateDeferral(input());
    expect(d.outcome).toBe('allowed');
    expect(codes(d)).toContain('DEFERRAL.SUPPORT_TO_COMPLETE');
    expect(d.details.options.map((o) => o.option)).toEqual([
      'defer',
      'continue_with_current_cohort',
      'withdraw',
    ]);
  });
});

describe('2.3.2 eligibility: accepted and formally commenced', () => {
  it.each([
    {
      name: 'applied, not yet accepted',
      change: { enrolmentStatus: 'applied' },
      code: 'DEFERRAL.NOT_COMMENCED',
    },
    {
      name: 'accepted but not commenced',
      change: { enrolmentStatus: 'accepted' },
      code: 'DEFERRAL.NOT_COMMENCED',
    },
    { name: 'withdrawn', change: { enrolmentStatus: 'withdrawn' }, code: 'DEFERRAL.NOT_ACTIVE' },
    {
      name: 'completed',
      change: { enrolmentStatus: 'completed_passed' },
      code: 'DEFERRAL.NOT_ACTIVE',
    },
    {
      name: 'not registered with the DfE',
      change: { dfeRegistered: false },
      code: 'DEFERRAL.NOT_DFE_REGISTERED',
    },
    {
      name: 'employment not confirmed',
      change: { employmentConfirmed: false },
      code: 'DEFERRAL.EMPLOYMENT_NOT_CONFIRMED',
    },
    {
      name: 'no module engaged and no event attended',
      change: { completedActivityIds: [] },
      code: 'DEFERRAL.NO_ENGAGEMENT_YET',
    },
  ] as { name: string; change: Partial<DeferralInput>; code: string }[])(
    '2.3.2 refused when $name',
    ({ change, code }) => {
      const d = evaluateDeferral(input(change));
      expect(d.outcome).toBe('refused');
      const r = d.reasons.find((x) => x.code === code);
      expect(r?.met).toBe(false);
      expect(r?.clause).toBe('2.3.2');
      expect(d.details.plan).toBeNull();
    },
  );

  it.each([
    { name: 'engaged with one module (one session)', completed: ['m1-s1'] },
    { name: 'attended one event (the conference)', completed: ['conf-1'] },
    { name: 'attended one clinic', completed: ['clinic-1'] },
  ])('2.3.2 eligible having $name', ({ completed }) => {
    const d = evaluateDeferral(input({ completedActivityIds: completed }));
    expect(d.outcome).toBe('allowed');
    expect(d.reasons.find((r) => r.code === 'DEFERRAL.ENGAGED')?.met).toBe(true);
  });
});

describe('2.3.3 participants may only defer once; deferral depends on a suitable future cohort', () => {
  it('2.3.3 a second deferral without an exception is not allowed', () => {
    const d = evaluateDeferral(input({ previousDeferrals: 1 }));
    expect(d.outcome).toBe('needs_exception');
    expect(codes(d)).toContain('DEFERRAL.ALREADY_DEFERRED_ONCE');
    expect(d.reasons.find((r) => r.code === 'DEFERRAL.ALREADY_DEFERRED_ONCE')?.clause).toBe(
      '2.3.3',
    );
  });

  it('2.3.3 a participant whose place is already deferred cannot defer again', () => {
    const d = evaluateDeferral(input({ enrolmentStatus: 'deferred' }));
    expect(d.outcome).toBe('refused');
    expect(codes(d)).toContain('DEFERRAL.ALREADY_DEFERRED');
  });

  it.each([
    { name: 'no future cohorts at all', future: [] },
    {
      name: 'only a cohort of another programme',
      future: [cohort('h-2026', NEXT_START, { course: 'npq-headship' })],
    },
    { name: 'only an earlier cohort', future: [cohort('sl-2024', '2024-09-02')] },
    {
      name: 'a cohort that never reaches the re-join point',
      future: [cohort('sl-2026-short', NEXT_START, { schedule: { 'conf-1': NEXT_START } })],
    },
  ])('2.3.3 refused when there is no suitable future cohort: $name', ({ future }) => {
    const d = evaluateDeferral(input({ futureCohorts: future }));
    expect(d.outcome).toBe('refused');
    expect(d.reasons.find((r) => r.code === 'DEFERRAL.NO_SUITABLE_COHORT')?.clause).toBe('2.3.3');
    expect(d.details.options.map((o) => o.option)).toEqual([
      'continue_with_current_cohort',
      'withdraw',
    ]);
  });

  it('2.3.3 the earliest suitable cohort is chosen', () => {
    const later = cohort('sl-2027', '2027-09-06');
    const d = evaluateDeferral(input({ futureCohorts: [later, NEXT] }));
    expect(d.details.plan?.targetCohortId).toBe('sl-2026');
  });

  it('2.3.3 the deferral limit comes from the register', () => {
    const register: PolicyRegister = {
      ...POLICY_REGISTER,
      parameters: { ...POLICY_REGISTER.parameters, deferralsAllowed: 2 },
    };
    expect(evaluateDeferral(input({ previousDeferrals: 1 }), register).outcome).toBe('allowed');
  });
});

describe('2.3.4 extenuating circumstances (an open list) and who to contact', () => {
  it.each(EXTENUATING_CIRCUMSTANCES.filter((k) => k !== 'other').map((kind) => ({ kind })))(
    '2.3.4 $kind may be discussed and maps to a DfE deferral reason',
    ({ kind }) => {
      const d = evaluateDeferral(input({ circumstance: { kind } }));
      expect(d.outcome).toBe('allowed');
      expect(d.details.dfeReason).toBe(CIRCUMSTANCE_DFE_REASON[kind]);
    },
  );

  it.each([
    { kind: 'illness_or_health', dfe: 'long-term-sickness' },
    { kind: 'maternity_leave', dfe: 'parental-leave' },
    { kind: 'paternity_leave', dfe: 'parental-leave' },
    { kind: 'shared_parental_leave', dfe: 'parental-leave' },
    { kind: 'adoption_leave', dfe: 'parental-leave' },
    { kind: 'parental_leave', dfe: 'parental-leave' },
    { kind: 'bereavement', dfe: 'bereavement' },
    { kind: 'change_in_personal_circumstances', dfe: 'other' },
    { kind: 'career_break', dfe: 'career-break' },
    { kind: 'other', dfe: 'other' },
  ] as const)('2.3.4 $kind is reported to the DfE as $dfe', ({ kind, dfe }) => {
    expect(CIRCUMSTANCE_DFE_REASON[kind]).toBe(dfe);
  });

  it('2.3.4 the list is not limited: "other" is accepted with a description, refused without one', () => {
    const described = evaluateDeferral(
      input({ circumstance: { kind: 'other', description: 'Caring for a parent full-time' } }),
    );
    expect(described.outcome).toBe('allowed');
    expect(described.details.dfeReason).toBe('other');
    const blank = evaluateDeferral(input({ circumstance: { kind: 'other', description: ' ' } }));
    expect(blank.outcome).toBe('refused');
    expect(codes(blank)).toContain('DEFERRAL.CIRCUMSTANCE_NOT_DESCRIBED');
  });

  it.each([
    {
      name: 'a delivery-partner cohort contacts their Delivery Partner',
      delivery: {
        kind: 'delivery_partner' as const,
        deliveryPartnerName: 'North Star Teaching School Hub',
      },
      contact: { kind: 'delivery_partner', name: 'North Star Teaching School Hub' },
    },
    {
      name: 'a national cohort contacts Ambition',
      delivery: { kind: 'national' as const },
      contact: { kind: 'lead_provider', name: 'Ambition Programmes Team' },
    },
  ])('2.3.4 $name', ({ delivery, contact }) => {
    const d = evaluateDeferral(input({ currentCohort: cohort('sl-2025', START, { delivery }) }));
    expect(d.details.contact).toEqual(contact);
    const r = d.reasons.find((x) => x.code === 'DEFERRAL.CONTACT');
    expect(r?.clause).toBe('2.3.4');
    expect(r?.message).toContain(contact.name);
  });

  it('2.3.4 deferral is discussed alongside options to continue with the current cohort', () => {
    const d = evaluateDeferral(input());
    expect(d.reasons.find((r) => r.code === 'DEFERRAL.CONTACT')?.message).toContain(
      'continue with your current cohort',
    );
    expect(d.details.options.some((o) => o.option === 'continue_with_current_cohort')).toBe(true);
  });
});

describe('2.3.5 the expected re-joining date, about 12 months later, sooner to cover missed content', () => {
  it('2.3.5 the provisional re-joining date is when the next cohort reaches the re-join point', () => {
    const d = evaluateDeferral(input());
    const plan = d.details.plan;
    expect(plan?.targetCohortId).toBe('sl-2026');
    expect(plan?.rejoinActivityId).toBe('m2-s3');
    expect(plan?.rejoinOn).toBe(NEXT.schedule['m2-s3']);
    const r = d.reasons.find((x) => x.code === 'DEFERRAL.REJOIN_DATE');
    expect(r?.clause).toBe('2.3.5');
    expect(r?.message).toContain('about 12 months');
    expect(r?.message).toContain('North Star Teaching School Hub');
  });

  it('2.3.5 content missed before the deferral was formalised means returning sooner', () => {
    const plan = evaluateDeferral(input()).details.plan;
    // The cohort had reached clinic 2 when the deferral was agreed; sessions 3-6 of module 2 were missed.
    expect(plan?.catchUpActivityIds).toEqual(['m2-s3', 'm2-s4', 'm2-s5', 'm2-s6']);
    expect(plan?.returnWithoutCatchUpOn).toBe(NEXT.schedule['clinic-2']);
    expect(plan?.returnSooner).toBe(true);
  });

  it('2.3.5 a participant who is up to date when the deferral is agreed does not need to return sooner', () => {
    const plan = evaluateDeferral(input({ requestedOn: addDays(START, 45) })).details.plan;
    expect(plan?.catchUpActivityIds).toEqual([]);
    expect(plan?.returnSooner).toBe(false);
    expect(plan?.rejoinOn).toBe(NEXT.schedule['m2-s3']);
  });
  it('2.3.5 an activity scheduled on the day the deferral is agreed is not content missed before it', () => {
    const agreedOn = CURRENT.schedule['m2-s3'] as string;
    const plan = evaluateDeferral(input({ requestedOn: agreedOn })).details.plan;
    expect(plan?.catchUpActivityIds).toEqual([]);
    expect(plan?.returnWithoutCatchUpOn).toBe(NEXT.schedule['m2-s3']);
    const dayLater = evaluateDeferral(input({ requestedOn: addDays(agreedOn, 1) })).details.plan;
    expect(dayLater?.catchUpActivityIds).toEqual(['m2-s3']);
  });
});

describe('2.3.6 restart with a new cohort at the point last engaged', () => {
  it('2.3.6 the re-join point is the first required activity not completed, in programme order', () => {
    const point = firstUncompletedActivity(ACTIVITIES, ['conf-1', 'm1-s1', 'm1-s3']);
    expect(point?.id).toBe('m1-s2');
  });

  it('2.3.6 with everything done the participant re-joins at the next assessment window', () => {
    const all = ACTIVITIES.map((a) => a.id);
    const plan = planRejoin({
      course: 'npq-senior-leadership',
      activities: ACTIVITIES,
      completedActivityIds: all,
      currentCohort: CURRENT,
      targetCohort: NEXT,
      formalisedOn: REQUESTED_ON,
    });
    expect(plan?.rejoinActivityId).toBeNull();
    expect(plan?.rejoinOn).toBe(NEXT.assessmentWindowOpensOn);
  });

  it('2.3.6 the message says they do not restart in full and can revisit content', () => {
    const r = evaluateDeferral(input()).reasons.find((x) => x.code === 'DEFERRAL.REJOIN_POINT');
    expect(r?.clause).toBe('2.3.6');
    expect(r?.message).toContain('Module 2, session 3');
    expect(r?.message).toContain('not from the beginning');
  });

  it('2.3.6 property: the re-join point never skips an uncompleted activity', () => {
    const ids = ACTIVITIES.map((a) => a.id);
    fc.assert(
      fc.property(fc.subarray(ids), (completed) => {
        const point = firstUncompletedActivity(ACTIVITIES, completed);
        const done = new Set(completed);
        const ordered = inProgrammeOrder(ACTIVITIES);
        if (point === null) {
          expect(ordered.every((a) => done.has(a.id))).toBe(true);
          return;
        }
        expect(done.has(point.id)).toBe(false);
        for (const a of ordered) {
          if (a.id === point.id) break;
          expect(done.has(a.id)).toBe(true);
        }
      }),
    );
  });
});

describe('2.3.7 intent-to-return contact before the agreed restart date', () => {
  it('2.3.7 the deferral plan sets the contact date the register lead time before the restart', () => {
    const d = evaluateDeferral(input());
    const plan = d.details.plan;
    expect(plan?.intentContactDueOn).toBe(
      addDays(plan?.rejoinOn ?? '', -POLICY_REGISTER.parameters.intentContactLeadDays),
    );
    expect(d.reasons.find((r) => r.code === 'DEFERRAL.INTENT_CONTACT')?.message).toContain(
      'reasonable adjustments',
    );
  });

  const restartOn = '2026-10-23';
  const dueOn = addDays(restartOn, -28);
  it.each([
    {
      name: 'before the contact is due',
      today: addDays(dueOn, -1),
      contactedOn: undefined,
      status: 'not_yet_due',
      outcome: 'met',
    },
    {
      name: 'on the day it is due',
      today: dueOn,
      contactedOn: undefined,
      status: 'due',
      outcome: 'met',
    },
    {
      name: 'after it was due, no contact',
      today: addDays(dueOn, 1),
      contactedOn: undefined,
      status: 'overdue',
      outcome: 'not_met',
    },
    {
      name: 'contact made before the restart',
      today: addDays(dueOn, 5),
      contactedOn: addDays(dueOn, 2),
      status: 'done',
      outcome: 'met',
    },
    {
      name: 'contact only on the restart date',
      today: restartOn,
      contactedOn: restartOn,
      status: 'too_late',
      outcome: 'not_met',
    },
  ])('2.3.7 $name -> $status', ({ today, contactedOn, status, outcome }) => {
    const d = evaluateIntentContact({ restartOn, today, contactedOn });
    expect(d.details).toEqual({ dueOn, status });
    expect(d.outcome).toBe(outcome);
    expect(d.reasons[0]?.clause).toBe('2.3.7');
  });
});

describe('2.3.8 not returning to the programme is a withdrawal', () => {
  const restartOn = '2026-10-23';
  it.each([
    {
      name: 'returned on the restart date',
      today: restartOn,
      intent: 'confirmed',
      returnedOn: restartOn,
      event: 'resume',
      outcome: 'met',
    },
    {
      name: 'returned early to catch up',
      today: '2026-10-01',
      intent: 'confirmed',
      returnedOn: '2026-10-01',
      event: 'resume',
      outcome: 'met',
    },
    {
      name: 'confirmed and waiting',
      today: '2026-10-01',
      intent: 'confirmed',
      returnedOn: undefined,
      event: null,
      outcome: 'met',
    },
    {
      name: 'declined to return',
      today: '2026-10-01',
      intent: 'declined',
      returnedOn: undefined,
      event: 'withdraw',
      outcome: 'not_met',
    },
    {
      name: 'no response, restart date passed',
      today: '2026-10-24',
      intent: 'no_response',
      returnedOn: undefined,
      event: 'withdraw',
      outcome: 'not_met',
    },
    {
      name: 'confirmed but did not come back by the restart date',
      today: '2026-11-01',
      intent: 'confirmed',
      returnedOn: undefined,
      event: 'withdraw',
      outcome: 'not_met',
    },
  ] as const)('2.3.8 $name -> $event', ({ today, intent, returnedOn, event, outcome }) => {
    const d = evaluateReturnFromDeferral({ restartOn, today, intent, returnedOn });
    expect(d.details.lifecycleEvent).toBe(event);
    expect(d.outcome).toBe(outcome);
    expect(d.reasons[0]?.clause).toBe('2.3.8');
    if (event === 'withdraw') expect(d.reasons[0]?.message).toContain('NPQ Withdrawal policy');
  });

  it('2.3.8 the deferral decision tells the participant that not returning means withdrawal', () => {
    const r = evaluateDeferral(input()).reasons.find(
      (x) => x.code === 'DEFERRAL.NOT_RETURNING_MEANS_WITHDRAWAL',
    );
    expect(r?.clause).toBe('2.3.8');
    expect(r?.message).toContain('NPQ Withdrawal policy');
  });
});

describe('2.3.9 one deferral opportunity; a further one only in extenuating circumstances', () => {
  it.each([
    {
      name: 'approved by the programme team',
      exception: programmeTeamException,
      outcome: 'allowed',
      code: 'DEFERRAL.EXCEPTION_APPROVED',
    },
    {
      name: 'approved by delivery-partner staff',
      exception: { ...programmeTeamException, approvedByRole: 'delivery_partner_staff' as const },
      outcome: 'needs_exception',
      code: 'DEFERRAL.EXCEPTION_NOT_BY_PROGRAMME_TEAM',
    },
    {
      name: 'with no recorded rationale',
      exception: { ...programmeTeamException, rationale: '' },
      outcome: 'needs_exception',
      code: 'DEFERRAL.EXCEPTION_NOT_BY_PROGRAMME_TEAM',
    },
    {
      name: 'with no exception',
      exception: undefined,
      outcome: 'needs_exception',
      code: 'DEFERRAL.EXCEPTION_REQUIRED',
    },
  ])('2.3.9 a second deferral $name -> $outcome', ({ exception, outcome, code }) => {
    const d = evaluateDeferral(input({ previousDeferrals: 1, exception }));
    expect(d.outcome).toBe(outcome);
    expect(codes(d)).toContain(code);
    expect(d.details.exceptionUsed).toBe(outcome === 'allowed');
  });

  it('2.3.9 even with an exception, a further deferral needs extenuating circumstances', () => {
    const d = evaluateDeferral(
      input({ previousDeferrals: 1, exception: programmeTeamException, circumstance: undefined }),
    );
    expect(d.outcome).toBe('refused');
  });

  it('2.3.3 2.3.9 property: never two deferrals without a programme-team exception', () => {
    const arb = fc.record({
      previousDeferrals: fc.integer({ min: 1, max: 4 }),
      role: fc.constantFrom(
        'participant',
        'delivery_partner_staff',
        'programme_team',
        'coach',
        'admin' as const,
      ),
      rationale: fc.constantFrom('', 'Serious illness'),
      hasException: fc.boolean(),
      status: fc.constantFrom('active', 'accepted', 'deferred' as const),
      kind: fc.constantFrom(...EXTENUATING_CIRCUMSTANCES),
    });
    fc.assert(
      fc.property(arb, ({ previousDeferrals, role, rationale, hasException, status, kind }) => {
        const exception = hasException
          ? { ...programmeTeamException, approvedByRole: role, rationale }
          : undefined;
        const d = evaluateDeferral(
          input({
            previousDeferrals,
            exception,
            enrolmentStatus: status,
            circumstance: { kind, description: 'x' },
          }),
        );
        const validException = hasException && role === 'programme_team' && rationale !== '';
        if (!validException) expect(d.outcome).not.toBe('allowed');
        if (d.outcome === 'allowed') expect(d.details.exceptionUsed).toBe(true);
      }),
    );
  });
});

describe('2.3.10 deferral is not always available: final cohort or end of contract', () => {
  it('2.3.10 refused when this is the final cohort of the programme, with the options outlined', () => {
    const d = evaluateDeferral(
      input({ currentCohort: cohort('sl-2025', START, { isFinal: true }) }),
    );
    expect(d.outcome).toBe('refused');
    expect(d.reasons.find((r) => r.code === 'DEFERRAL.FINAL_COHORT')?.clause).toBe('2.3.10');
    expect(d.details.options.map((o) => o.option)).toEqual([
      'continue_with_current_cohort',
      'withdraw',
    ]);
    expect(d.details.options.find((o) => o.option === 'withdraw')?.description).toContain(
      'NPQ Withdrawal policy',
    );
    expect(d.reasons.find((r) => r.code === 'DEFERRAL.OPTIONS')?.clause).toBe('2.3.10');
  });

  it.each([
    {
      name: 'the contract ends before the next cohort finishes',
      contractEndsOn: addDays(NEXT.endsOn, -1),
      outcome: 'refused',
    },
    {
      name: 'the contract ends the day the next cohort finishes',
      contractEndsOn: NEXT.endsOn,
      outcome: 'allowed',
    },
    { name: 'no contract end known', contractEndsOn: undefined, outcome: 'allowed' },
  ])('2.3.10 $name -> $outcome', ({ contractEndsOn, outcome }) => {
    const d = evaluateDeferral(input({ contractEndsOn }));
    expect(d.outcome).toBe(outcome);
    if (outcome === 'refused') expect(codes(d)).toContain('DEFERRAL.CONTRACT_ENDS_FIRST');
  });
});

describe('1.1.1 1.1.2 the programme is flexible for those who need to defer to a later cohort', () => {
  it('1.1.1 1.1.2 an eligible participant who defers gets a complete plan to continue engaging later', () => {
    const d = evaluateDeferral(input());
    expect(d.outcome).toBe('allowed');
    expect(d.details.plan).not.toBeNull();
    expect(d.policyVersion).toBe(POLICY_REGISTER.version);
    expect(d.reasons.every((r) => r.message.length > 0 && r.clause.length > 0)).toBe(true);
  });
});

describe('2.3 deferral: what each clause decides, row by row', () => {
  it('2.3.3 a later cohort whose re-join date has already passed is not suitable', () => {
    // The target cohort reaches module 2, session 3 before the deferral is agreed.
    const started = cohort('sl-early', addDays(START, 7));
    const passed = evaluateDeferral(
      input({ futureCohorts: [started], requestedOn: addDays(START, 60) }),
    );
    expect(isBefore(started.schedule['m2-s3'] as string, addDays(START, 60))).toBe(true);
    expect(passed.outcome).toBe('refused');
    const r = passed.reasons.find((x) => x.code === 'DEFERRAL.NO_SUITABLE_COHORT');
    expect(r?.clause).toBe('2.3.3');
    expect(r?.met).toBe(false);
    expect(r?.evidence).toEqual({ course: CURRENT.course, cohortsConsidered: ['sl-early'] });
    // With the next cohort also on offer, the one still ahead is chosen.
    const both = evaluateDeferral(
      input({ futureCohorts: [started, NEXT], requestedOn: addDays(START, 60) }),
    );
    expect(both.outcome).toBe('allowed');
    expect(both.details.plan?.targetCohortId).toBe(NEXT.id);
  });

  it('2.3.3 a re-join on the very day the deferral is agreed is not in the future', () => {
    const target = cohort('sl-same-day', '2025-09-15');
    const day = target.schedule['m2-s3'] as string;
    const d = evaluateDeferral(
      input({ futureCohorts: [target], requestedOn: day, completedActivityIds: DONE }),
    );
    expect(d.reasons.find((x) => x.code === 'DEFERRAL.NO_SUITABLE_COHORT')?.clause).toBe('2.3.3');
    expect(d.outcome).toBe('refused');
  });

  it('2.3.3 the current cohort itself, or one starting the same day, is not a later cohort', () => {
    const sameDay = cohort('sl-2025-b', START);
    const d = evaluateDeferral(input({ futureCohorts: [CURRENT, sameDay] }));
    expect(d.outcome).toBe('refused');
    const r = d.reasons.find((x) => x.code === 'DEFERRAL.NO_SUITABLE_COHORT');
    expect(r?.clause).toBe('2.3.3');
    expect(r?.evidence['cohortsConsidered']).toEqual([]);
  });

  it('2.3.3 candidates are tried earliest first, whatever order they are listed in', () => {
    const a = cohort('sl-2026', NEXT_START);
    const b = cohort('sl-2027', '2027-09-06');
    const c = cohort('sl-2028', '2028-09-04');
    for (const list of [
      [c, b, a],
      [b, a, c],
      [a, c, b],
    ]) {
      const d = evaluateDeferral(input({ futureCohorts: list }));
      expect(d.details.plan?.targetCohortId).toBe('sl-2026');
      expect(d.reasons.find((x) => x.code === 'DEFERRAL.SUITABLE_COHORT')?.clause).toBe('2.3.3');
    }
    // When the contract blocks the earliest, the refusal names the earliest, not a later one.
    const blocked = evaluateDeferral(
      input({ futureCohorts: [c, b, a], contractEndsOn: addDays(a.endsOn, -1) }),
    );
    const r = blocked.reasons.find((x) => x.code === 'DEFERRAL.CONTRACT_ENDS_FIRST');
    expect(r?.clause).toBe('2.3.10');
    expect(r?.evidence).toEqual({ contractEndsOn: addDays(a.endsOn, -1), cohortId: 'sl-2026' });
  });

  it.each([
    { name: 'only a community session', completed: ['community-1'], outcome: 'allowed' },
    { name: 'only a conference', completed: ['conf-1'], outcome: 'allowed' },
    { name: 'only a clinic', completed: ['clinic-1'], outcome: 'allowed' },
    { name: 'one study session of module 3', completed: ['m3-s2'], outcome: 'allowed' },
    // Coaching is not part of a senior-leadership programme, so it is not an event for it.
    { name: 'only a coaching session', completed: ['coach-1'], outcome: 'refused' },
    { name: 'an activity that is not in the programme', completed: ['x-1'], outcome: 'refused' },
  ])('2.3.2 engaged with $name -> $outcome', ({ completed, outcome }) => {
    const d = evaluateDeferral(input({ completedActivityIds: completed }));
    expect(d.outcome).toBe(outcome);
    const r = d.reasons.find(
      (x) => x.code.startsWith('DEFERRAL.ENGAGED') || x.code === 'DEFERRAL.NO_ENGAGEMENT_YET',
    );
    expect(r?.clause).toBe('2.3.2');
    expect(r?.met).toBe(outcome === 'allowed');
  });

  it('2.3.2 the evidence counts modules engaged and events attended', () => {
    const d = evaluateDeferral(
      input({ completedActivityIds: ['m1-s1', 'm1-s2', 'm2-s1', 'clinic-1', 'community-1'] }),
    );
    const r = d.reasons.find((x) => x.code === 'DEFERRAL.ENGAGED');
    expect(r?.clause).toBe('2.3.2');
    expect(r?.evidence).toEqual({ modulesEngaged: 2, eventsAttended: 2 });
  });

  it('2.3.2 a suspended participant (not active) cannot defer', () => {
    const d = evaluateDeferral(input({ enrolmentStatus: 'deferred' }));
    const r = d.reasons.find((x) => x.code === 'DEFERRAL.ALREADY_DEFERRED');
    expect(r?.clause).toBe('2.3.3');
    expect(r?.met).toBe(false);
    expect(codes(d)).not.toContain('DEFERRAL.NOT_ACTIVE');
    expect(codes(d)).not.toContain('DEFERRAL.NOT_COMMENCED');
    const active = evaluateDeferral(input());
    expect(codes(active)).not.toContain('DEFERRAL.NOT_ACTIVE');
  });

  it.each([
    { name: 'an empty rationale', rationale: '', outcome: 'needs_exception' },
    { name: 'a whitespace-only rationale', rationale: ' \n\t ', outcome: 'needs_exception' },
    { name: 'a written rationale', rationale: 'Consultant letter on file.', outcome: 'allowed' },
  ])('2.3.9 a programme-team exception with $name -> $outcome', ({ rationale, outcome }) => {
    const d = evaluateDeferral(
      input({ previousDeferrals: 1, exception: { ...programmeTeamException, rationale } }),
    );
    expect(d.outcome).toBe(outcome);
    expect(d.details.exceptionUsed).toBe(outcome === 'allowed');
    const r = d.reasons.find((x) => x.clause === '2.3.9');
    expect(r?.clause).toBe('2.3.9');
    expect(r?.met).toBe(outcome === 'allowed');
    expect(r?.code).toBe(
      outcome === 'allowed'
        ? 'DEFERRAL.EXCEPTION_APPROVED'
        : 'DEFERRAL.EXCEPTION_NOT_BY_PROGRAMME_TEAM',
    );
    expect(r?.evidence).toMatchObject({ previousDeferrals: 1, approvedBy: 'pt-3' });
  });

  it('2.3.9 the first deferral needs no exception and says how many are allowed', () => {
    const d = evaluateDeferral(input({ previousDeferrals: 0 }));
    const r = d.reasons.find((x) => x.code === 'DEFERRAL.FIRST_DEFERRAL');
    expect(r?.clause).toBe('2.3.3');
    expect(r?.message).toBe('You may defer once; you have not used this yet.');
    expect(d.details.exceptionUsed).toBe(false);
    expect(() => evaluateDeferral(input({ previousDeferrals: -1 }))).toThrow(RangeError);
    expect(() => evaluateDeferral(input({ previousDeferrals: 0.5 }))).toThrow(RangeError);
  });

  it.each([
    { requestedOn: addDays(START, 45), returnSooner: false },
    { requestedOn: addDays(START, 54), returnSooner: true },
  ])(
    '2.3.5 deferral agreed on $requestedOn: return sooner $returnSooner, said only when true',
    ({ requestedOn, returnSooner }) => {
      const d = evaluateDeferral(input({ requestedOn }));
      expect(d.details.plan?.returnSooner).toBe(returnSooner);
      const r = d.reasons.find((x) => x.code === 'DEFERRAL.RETURN_SOONER_TO_CATCH_UP');
      if (returnSooner) {
        expect(r?.clause).toBe('2.3.5');
        expect(r?.evidence).toEqual({
          catchUpActivityIds: ['m2-s3', 'm2-s4', 'm2-s5', 'm2-s6'],
          returnWithoutCatchUpOn: NEXT.schedule['clinic-2'],
        });
        expect(r?.message).toContain('You missed 4 activities');
      } else {
        expect(r).toBeUndefined();
      }
    },
  );

  it('2.3.5 missed content does not mean returning sooner when the cohort returns later anyway', () => {
    // Missed module 2 session 3 but the target cohort schedules it after where the cohort was.
    const odd = cohort('sl-2026-odd', NEXT_START, {
      schedule: { ...NEXT.schedule, 'm2-s3': addDays(NEXT.schedule['clinic-2'] as string, 1) },
    });
    const plan = evaluateDeferral(input({ futureCohorts: [odd] })).details.plan;
    expect(plan?.catchUpActivityIds.length).toBeGreaterThan(0);
    expect(plan?.returnSooner).toBe(false);
  });

  it('2.3.6 the re-join point is found in programme order even when the activities come shuffled', () => {
    const shuffled = [...ACTIVITIES].reverse();
    const d = evaluateDeferral(input({ activities: shuffled }));
    const r = d.reasons.find((x) => x.code === 'DEFERRAL.REJOIN_POINT');
    expect(r?.clause).toBe('2.3.6');
    expect(r?.evidence['rejoinActivityId']).toBe('m2-s3');
    expect(d.details.plan).toEqual(evaluateDeferral(input()).details.plan);
  });

  it('2.3.6 property: a generated history, shuffled, gives the same re-join point as the arithmetic', () => {
    const counted = ACTIVITIES.filter((a) => a.kind !== 'coaching');
    fc.assert(
      fc.property(
        fc.subarray(counted.map((a) => a.id)),
        fc.integer({ min: 1, max: 120 }),
        fc.nat(),
        (completed, day, seed) => {
          const shuffle = <T>(xs: readonly T[]): T[] =>
            xs
              .map((x, i) => ({ x, k: (i * 7919 + seed) % 101 }))
              .sort((a, b) => a.k - b.k)
              .map((y) => y.x);
          const requestedOn = addDays(START, day);
          const base = planRejoin({
            course: 'npq-senior-leadership',
            activities: ACTIVITIES,
            completedActivityIds: completed,
            currentCohort: CURRENT,
            targetCohort: NEXT,
            formalisedOn: requestedOn,
          });
          const mixed = planRejoin({
            course: 'npq-senior-leadership',
            activities: shuffle(ACTIVITIES),
            completedActivityIds: shuffle(completed),
            currentCohort: CURRENT,
            targetCohort: NEXT,
            formalisedOn: requestedOn,
          });
          expect(mixed).toEqual(base);
          // The arithmetic: the uncompleted activity with the lowest sequence.
          const done = new Set(completed);
          const expected = counted
            .filter((a) => !done.has(a.id))
            .reduce<(typeof counted)[number] | null>(
              (best, a) => (best === null || a.sequence < best.sequence ? a : best),
              null,
            );
          expect(base?.rejoinActivityId ?? null).toBe(expected?.id ?? null);
          expect(base?.rejoinOn).toBe(
            expected === null ? NEXT.assessmentWindowOpensOn : NEXT.schedule[expected.id],
          );
          // Missed before the deferral: not done and scheduled for the current cohort before that day.
          expect(base?.catchUpActivityIds).toEqual(
            inProgrammeOrder(counted)
              .filter(
                (a) => !done.has(a.id) && isBefore(CURRENT.schedule[a.id] as string, requestedOn),
              )
              .map((a) => a.id),
          );
          // A participant is never told to return sooner without content to catch up on.
          if (base?.returnSooner) expect(base.catchUpActivityIds.length).toBeGreaterThan(0);
        },
      ),
    );
  });

  it('1.1.1 1.1.2 the programme is flexible for those who need to defer: a plan to continue engaging', () => {
    const d = evaluateDeferral(input());
    expectOutcome(d, '1.1.1', 'allowed');
    expectOutcome(d, '1.1.2', 'allowed');
    expect(d.details.plan?.rejoinOn).toBe(NEXT.schedule['m2-s3']);
    expect(d.details.options.map((o) => o.option)).toContain('defer');
  });
});

describe('2.3.4 who the participant contacts, in words', () => {
  it.each([
    {
      delivery: { kind: 'delivery_partner' as const, deliveryPartnerName: 'Oak Hub' },
      words: 'your Delivery Partner, Oak Hub',
    },
    {
      delivery: { kind: 'national' as const },
      words: 'the Ambition Programmes Team (you are on a national cohort)',
    },
  ])('2.3.4 a $delivery.kind cohort is told to contact $words', ({ delivery, words }) => {
    const d = evaluateDeferral(input({ currentCohort: cohort('sl-2025', START, { delivery }) }));
    const r = d.reasons.find((x) => x.code === 'DEFERRAL.CONTACT');
    expect(r?.clause).toBe('2.3.4');
    expect(r?.message).toBe(
      `To discuss a deferral, contact ${words}. We will also talk through the options that would let you continue with your current cohort.`,
    );
    expect(d.reasons.find((x) => x.code === 'DEFERRAL.INTENT_CONTACT')?.message).toContain(
      `${words} will contact you`,
    );
  });
});

describe('2.3.5 returning sooner is for content missed before the deferral was agreed', () => {
  it('2.3.5 an unfinished activity the current cohort never dated is not missed content: no "return sooner"', () => {
    // Module 1, session 6 was never dated for this cohort and the participant has not done it.
    const undated = ACTIVITIES.map((a) =>
      a.id === 'm1-s6' ? { ...a, scheduledOn: undefined } : a,
    );
    const schedule = Object.fromEntries(
      Object.entries(CURRENT.schedule).filter(([id]) => id !== 'm1-s6'),
    );
    const current = cohort('sl-2025', START, { schedule });
    const d = evaluateDeferral(
      input({
        activities: undated,
        currentCohort: current,
        completedActivityIds: DONE.filter((id) => id !== 'm1-s6'),
        requestedOn: addDays(START, 45),
      }),
    );
    const plan = d.details.plan;
    expect(plan?.rejoinActivityId).toBe('m1-s6');
    expect(plan?.catchUpActivityIds).toEqual([]);
    expect(plan && isBefore(plan.rejoinOn, plan.returnWithoutCatchUpOn ?? plan.rejoinOn)).toBe(
      true,
    );
    expect(plan?.returnSooner).toBe(false);
    expect(codes(d)).not.toContain('DEFERRAL.RETURN_SOONER_TO_CATCH_UP');
    expect(d.reasons.find((r) => r.code === 'DEFERRAL.REJOIN_DATE')?.clause).toBe('2.3.5');
  });
});
