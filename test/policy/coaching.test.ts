import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { COURSES } from '../../src/domain/catalogue.js';
import {
  POLICY_REGISTER,
  addDays,
  evaluateCoachingBooking,
  evaluateCoachingEntitlement,
  evaluateEngagement,
} from '../../src/policy/index.js';
import type { PolicyRegister } from '../../src/policy/index.js';

describe('2.2.1.3 coaching is applicable to NPQEL and EHCO only', () => {
  it.each(COURSES.map((c) => ({ code: c.code, identifier: c.identifier })))(
    '2.2.1.3 $code',
    ({ code, identifier }) => {
      const d = evaluateCoachingEntitlement({ course: identifier });
      const entitled = code === 'NPQEL' || code === 'EHCO';
      expect(d.outcome).toBe(entitled ? 'allowed' : 'refused');
      expect(d.details.entitled).toBe(entitled);
      expect(d.reasons[0]?.clause).toBe('2.2.1.3');
    },
  );

  it('2.2.1.3 the list of coaching courses lives in the register', () => {
    const register: PolicyRegister = {
      ...POLICY_REGISTER,
      parameters: { ...POLICY_REGISTER.parameters, coachingCourses: ['npq-headship'] },
    };
    expect(evaluateCoachingEntitlement({ course: 'npq-headship' }, register).outcome).toBe(
      'allowed',
    );
    expect(
      evaluateCoachingEntitlement({ course: 'npq-executive-leadership' }, register).outcome,
    ).toBe('refused');
  });

  it('2.2.1.3 coaching counts towards engagement only where the course includes it', () => {
    const activities = [
      { id: 's', kind: 'study_session' as const, sequence: 1, plannedMinutes: 90 },
      { id: 'c', kind: 'coaching' as const, sequence: 2, plannedMinutes: 60 },
    ];
    const base = {
      activities,
      completedActivityIds: ['s'],
      deadline: '2026-03-01',
      today: '2026-01-01',
    };
    expect(evaluateEngagement({ ...base, course: 'npq-headship' }).outcome).toBe('met');
    expect(
      evaluateEngagement({ ...base, course: 'npq-early-headship-coaching-offer' }).outcome,
    ).toBe('not_met');
  });
});

describe("2.2.1.3 coaching is scheduled on the participant's availability, in conjunction with their coach's", () => {
  const base = {
    course: 'npq-early-headship-coaching-offer' as const,
    today: '2026-01-05',
    participantAvailableOn: ['2026-01-12', '2026-01-14', '2026-01-16', '2026-01-02'],
    coachAvailableOn: ['2026-01-14', '2026-01-16', '2026-01-20', '2026-01-02'],
  };
  it.each([
    { proposedOn: '2026-01-14', outcome: 'allowed', code: 'COACHING.BOTH_AVAILABLE' },
    { proposedOn: '2026-01-12', outcome: 'refused', code: 'COACHING.COACH_UNAVAILABLE' },
    { proposedOn: '2026-01-20', outcome: 'refused', code: 'COACHING.PARTICIPANT_UNAVAILABLE' },
    { proposedOn: '2026-01-02', outcome: 'refused', code: 'COACHING.DATE_PASSED' },
  ])('2.2.1.3 proposing $proposedOn -> $outcome ($code)', ({ proposedOn, outcome, code }) => {
    const d = evaluateCoachingBooking({ ...base, proposedOn });
    expect(d.outcome).toBe(outcome);
    expect(d.reasons.at(-1)?.code).toBe(code);
    expect(d.details.sharedAvailability).toEqual(['2026-01-14', '2026-01-16']);
  });

  it('2.2.1.3 a course without coaching cannot book it, even on a shared day', () => {
    const d = evaluateCoachingBooking({
      ...base,
      course: 'npq-headship',
      proposedOn: '2026-01-14',
    });
    expect(d.outcome).toBe('refused');
    expect(d.reasons[0]?.code).toBe('COACHING.NOT_PART_OF_COURSE');
    expect(d.details.sharedAvailability).toEqual([]);
  });
});

describe('2.2.1.3 coaching bookings decided row by row', () => {
  const base = {
    course: 'npq-executive-leadership' as const,
    today: '2026-02-01',
    participantAvailableOn: ['2026-02-10', '2026-02-03', '2026-01-20', '2026-02-03'],
    coachAvailableOn: ['2026-02-03', '2026-02-12', '2026-01-20', '2026-02-10'],
  };
  it.each([
    {
      proposedOn: '2026-02-03',
      outcome: 'allowed',
      code: 'COACHING.BOTH_AVAILABLE',
      message: 'You and your coach are both available on 3 February 2026.',
    },
    {
      proposedOn: '2026-01-20',
      outcome: 'refused',
      code: 'COACHING.DATE_PASSED',
      message: '20 January 2026 has passed; please choose a later date.',
    },
    {
      proposedOn: '2026-02-12',
      outcome: 'refused',
      code: 'COACHING.PARTICIPANT_UNAVAILABLE',
      message:
        'Coaching is scheduled around your availability, and you have not said you are free on 12 February 2026.',
    },
    {
      proposedOn: '2026-02-11',
      outcome: 'refused',
      code: 'COACHING.PARTICIPANT_UNAVAILABLE',
      message:
        'Coaching is scheduled around your availability, and you have not said you are free on 11 February 2026.',
    },
  ])(
    '2.2.1.3 proposing $proposedOn -> $outcome ($code)',
    ({ proposedOn, outcome, code, message }) => {
      const d = evaluateCoachingBooking({ ...base, proposedOn });
      expect(d.outcome).toBe(outcome);
      const last = d.reasons[d.reasons.length - 1];
      expect(last?.code).toBe(code);
      expect(last?.clause).toBe('2.2.1.3');
      expect(last?.met).toBe(outcome === 'allowed');
      expect(last?.message).toBe(message);
      // Shared days: both free, from today on, once each, earliest first.
      expect(d.details.sharedAvailability).toEqual(['2026-02-03', '2026-02-10']);
    },
  );

  it('2.2.1.3 the coach being busy names the days both are free', () => {
    const d = evaluateCoachingBooking({
      ...base,
      proposedOn: '2026-02-05',
      participantAvailableOn: ['2026-02-05', '2026-02-10', '2026-02-01'],
      coachAvailableOn: ['2026-02-10', '2026-02-01'],
    });
    expect(d.outcome).toBe('refused');
    const r = d.reasons[d.reasons.length - 1];
    expect(r?.code).toBe('COACHING.COACH_UNAVAILABLE');
    expect(r?.clause).toBe('2.2.1.3');
    expect(r?.message).toBe(
      'Your coach is not available on 5 February 2026; choose one of the days you are both free.',
    );
    // Today counts as still available.
    expect(r?.evidence).toEqual({
      proposedOn: '2026-02-05',
      today: '2026-02-01',
      sharedAvailability: ['2026-02-01', '2026-02-10'],
    });
  });

  it('2.2.1.3 a course without coaching cannot book it, even on a shared day, and is offered no days', () => {
    const d = evaluateCoachingBooking({
      ...base,
      course: 'npq-headship',
      proposedOn: '2026-02-03',
    });
    expect(d.outcome).toBe('refused');
    expect(d.reasons[0]?.clause).toBe('2.2.1.3');
    expect(d.reasons[0]?.met).toBe(false);
    expect(d.details.sharedAvailability).toEqual([]);
  });
});

describe('2.2.1.3 coaching decisions in full: the words the participant reads and the evidence', () => {
  const COACHING_COURSES = ['npq-executive-leadership', 'npq-early-headship-coaching-offer'];
  const entitled = {
    code: 'COACHING.ENTITLED',
    clause: '2.2.1.3',
    met: true,
    message: 'Coaching is part of the Early Headship Coaching Offer.',
    evidence: { course: 'npq-early-headship-coaching-offer', coachingCourses: COACHING_COURSES },
  };

  it.each([
    {
      course: 'npq-executive-leadership' as const,
      outcome: 'allowed',
      reason: {
        code: 'COACHING.ENTITLED',
        clause: '2.2.1.3',
        met: true,
        message: 'Coaching is part of the NPQ for Executive Leadership.',
      },
    },
    {
      course: 'npq-headship' as const,
      outcome: 'refused',
      reason: {
        code: 'COACHING.NOT_PART_OF_COURSE',
        clause: '2.2.1.3',
        met: false,
        message:
          'Coaching is not part of the NPQ for Headship; it is offered on NPQEL and EHCO only.',
      },
    },
  ])('2.2.1.3 $course -> $outcome, in the words shown', ({ course, outcome, reason }) => {
    const d = evaluateCoachingEntitlement({ course });
    expect(d.outcome).toBe(outcome);
    expect(d.reasons).toEqual([
      { ...reason, evidence: { course, coachingCourses: COACHING_COURSES } },
    ]);
  });

  const base = {
    course: 'npq-early-headship-coaching-offer' as const,
    today: '2026-02-01',
    participantAvailableOn: ['2026-02-10', '2026-02-03'],
    coachAvailableOn: ['2026-02-03'],
  };
  it.each([
    {
      proposedOn: '2026-01-31',
      outcome: 'refused',
      reason: {
        code: 'COACHING.DATE_PASSED',
        met: false,
        message: '31 January 2026 has passed; please choose a later date.',
        evidence: { proposedOn: '2026-01-31', today: '2026-02-01' },
      },
    },
    {
      proposedOn: '2026-02-04',
      outcome: 'refused',
      reason: {
        code: 'COACHING.PARTICIPANT_UNAVAILABLE',
        met: false,
        message:
          'Coaching is scheduled around your availability, and you have not said you are free on 4 February 2026.',
        evidence: { proposedOn: '2026-02-04', today: '2026-02-01' },
      },
    },
    {
      proposedOn: '2026-02-10',
      outcome: 'refused',
      reason: {
        code: 'COACHING.COACH_UNAVAILABLE',
        met: false,
        message:
          'Your coach is not available on 10 February 2026; choose one of the days you are both free.',
        evidence: {
          proposedOn: '2026-02-10',
          today: '2026-02-01',
          sharedAvailability: ['2026-02-03'],
        },
      },
    },
    {
      proposedOn: '2026-02-03',
      outcome: 'allowed',
      reason: {
        code: 'COACHING.BOTH_AVAILABLE',
        met: true,
        message: 'You and your coach are both available on 3 February 2026.',
        evidence: { proposedOn: '2026-02-03', today: '2026-02-01' },
      },
    },
  ])(
    '2.2.1.3 proposing $proposedOn -> $outcome: the entitlement, then the day, in the words shown',
    ({ proposedOn, outcome, reason }) => {
      const d = evaluateCoachingBooking({ ...base, proposedOn });
      expect(d.outcome).toBe(outcome);
      expect(d.reasons).toEqual([entitled, { ...reason, clause: '2.2.1.3' }]);
      expect(d.details).toEqual({ sharedAvailability: ['2026-02-03'] });
    },
  );

  it('2.2.1.3 property: a booking is allowed exactly when the course has coaching, the day has not passed and both are free; the shared days are the days both are free from today, once each, earliest first', () => {
    const day = (n: number) => addDays('2026-02-01', n);
    const days = fc.array(fc.integer({ min: -5, max: 15 }), { maxLength: 10 });
    fc.assert(
      fc.property(
        fc.constantFrom(...COURSES.map((c) => c.identifier)),
        days,
        days,
        fc.integer({ min: -5, max: 15 }),
        (course, participant, coach, proposed) => {
          const d = evaluateCoachingBooking({
            course,
            today: day(0),
            proposedOn: day(proposed),
            participantAvailableOn: participant.map(day),
            coachAvailableOn: coach.map(day),
          });
          const hasCoaching = COACHING_COURSES.includes(course);
          const allowed =
            hasCoaching &&
            proposed >= 0 &&
            participant.includes(proposed) &&
            coach.includes(proposed);
          expect(d.outcome).toBe(allowed ? 'allowed' : 'refused');
          const shared = [...new Set(participant)]
            .filter((n) => n >= 0 && coach.includes(n))
            .sort((a, b) => a - b)
            .map(day);
          expect(d.details.sharedAvailability).toEqual(hasCoaching ? shared : []);
          expect(d.reasons.map((r) => r.clause)).toEqual(['2.2.1.3', '2.2.1.3']);
          expect(d.reasons.every((r) => r.met)).toBe(allowed);
        },
      ),
    );
  });
});
