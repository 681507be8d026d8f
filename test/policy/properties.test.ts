/**
 * Cross-cutting properties: whatever the input, a refusal explains itself with at least one unmet
 * reason citing a clause of the register, and every decision carries the policy version.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  ASSESSMENT_CIRCUMSTANCES,
  EXTENUATING_CIRCUMSTANCES,
  POLICY_REGISTER,
  addDays,
  evaluateAssessmentDeferral,
  evaluateAssessmentSubmission,
  evaluateClinicBooking,
  evaluateCoachingBooking,
  evaluateDeferral,
  evaluateEventNotice,
  evaluatePreWindowDeferral,
  evaluateProgrammeAccess,
  evaluateSchoolMove,
  isClauseNumber,
} from '../../src/policy/index.js';
import type { Decision } from '../../src/policy/index.js';
import { COURSE_IDENTIFIERS, ENROLMENT_STATUSES, ROLES } from '../../src/domain/catalogue.js';
import { cohort, programmeActivities, studyModules, studySessions } from './fixtures.js';

function explainsItself(d: Decision): void {
  expect(d.policyVersion).toBe(POLICY_REGISTER.version);
  expect(d.reasons.length).toBeGreaterThan(0);
  for (const r of d.reasons) {
    expect(isClauseNumber(r.clause)).toBe(true);
    expect(r.message.trim()).not.toBe('');
  }
  if (d.outcome === 'refused' || d.outcome === 'not_met' || d.outcome === 'needs_exception') {
    expect(d.reasons.some((r) => !r.met && isClauseNumber(r.clause))).toBe(true);
  }
}

const day = fc.integer({ min: 0, max: 800 }).map((n) => addDays('2025-06-01', n));
const START = '2025-09-01';
const ACTIVITIES = programmeActivities(START);
const ids = ACTIVITIES.map((a) => a.id);

describe('every refusal has at least one reason with a clause (2.3.2 2.3.3 2.3.10 2.2.1.2 2.5.2)', () => {
  it('2.3.2 2.3.3 2.3.4 2.3.10 deferral decisions', () => {
    fc.assert(
      fc.property(
        fc.record({
          status: fc.constantFrom(...ENROLMENT_STATUSES),
          dfeRegistered: fc.boolean(),
          employmentConfirmed: fc.boolean(),
          previousDeferrals: fc.integer({ min: 0, max: 3 }),
          circumstance: fc.option(fc.constantFrom(...EXTENUATING_CIRCUMSTANCES), {
            nil: undefined,
          }),
          completed: fc.subarray(ids),
          isFinal: fc.boolean(),
          hasNext: fc.boolean(),
          contract: fc.option(day, { nil: undefined }),
          requestedOn: day,
          role: fc.option(fc.constantFrom(...ROLES), { nil: undefined }),
        }),
        (x) => {
          const d = evaluateDeferral({
            requestedOn: x.requestedOn,
            enrolmentStatus: x.status,
            dfeRegistered: x.dfeRegistered,
            employmentConfirmed: x.employmentConfirmed,
            previousDeferrals: x.previousDeferrals,
            circumstance: x.circumstance === undefined ? undefined : { kind: x.circumstance },
            exception:
              x.role === undefined
                ? undefined
                : {
                    approvedBy: 's',
                    approvedByRole: x.role,
                    approvedOn: x.requestedOn,
                    rationale: 'r',
                  },
            activities: ACTIVITIES,
            completedActivityIds: x.completed,
            currentCohort: cohort('c1', START, { isFinal: x.isFinal }),
            futureCohorts: x.hasNext ? [cohort('c2', '2026-09-07')] : [],
            contractEndsOn: x.contract,
          });
          explainsItself(d);
          if (d.outcome === 'allowed') expect(d.details.plan).not.toBeNull();
        },
      ),
      { numRuns: 300 },
    );
  });

  it('2.2.1.2 clinic bookings', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        day,
        day,
        fc.array(
          fc.record({
            clinicNumber: fc.integer({ min: 1, max: 5 }),
            status: fc.constantFrom('booked', 'attended' as const),
            on: day,
          }),
        ),
        fc.constantFrom('full_time', 'part_time' as const),
        fc.option(fc.constantFrom(...ROLES), { nil: undefined }),
        (clinicNumber, sessionOn, today, history, workingPattern, role) => {
          explainsItself(
            evaluateClinicBooking({
              clinicNumber,
              sessionOn,
              today,
              history,
              workingPattern,
              accommodation:
                role === undefined
                  ? undefined
                  : { grantedBy: 's', grantedByRole: role, recordedOn: today, note: 'n' },
            }),
          );
        },
      ),
    );
  });

  it('2.5.1 2.5.2 2.2.1.5 assessment decisions', () => {
    fc.assert(
      fc.property(
        day,
        day,
        fc.integer({ min: 0, max: 2 }),
        fc.integer({ min: 0, max: 1000 }),
        fc.boolean(),
        fc.option(fc.constantFrom(...ASSESSMENT_CIRCUMSTANCES), { nil: undefined }),
        fc.constantFrom('not_requested', 'requested', 'provided' as const),
        (opensOn, on, attempts, completed, entered, circumstance, evidence) => {
          const window = { id: 'w', opensOn, engagementDeadline: addDays(opensOn, -17) };
          const engagementAtDeadline = { completedWeight: completed, totalWeight: 1000 };
          explainsItself(
            evaluateAssessmentSubmission({
              window,
              submittedOn: on,
              engagementAtDeadline,
              attemptsRemaining: attempts,
            }),
          );
          explainsItself(
            evaluatePreWindowDeferral({ window, requestedOn: on, attemptsRemaining: attempts }),
          );
          explainsItself(
            evaluateAssessmentDeferral({
              window,
              requestedOn: on,
              engagementAtDeadline,
              attemptsRemaining: attempts,
              enteredWindow: entered,
              circumstance:
                circumstance === undefined ? undefined : { kind: circumstance, description: 'd' },
              evidence,
              nextWindow: {
                id: 'n',
                opensOn: addDays(opensOn, 180),
                engagementDeadline: addDays(opensOn, 160),
              },
            }),
          );
        },
      ),
    );
  });

  it('2.2.1.1 2.2.1.3 2.1.3 2.6.2 access, coaching, notice and school moves', () => {
    fc.assert(
      fc.property(
        day,
        fc.constantFrom(...ENROLMENT_STATUSES),
        fc.subarray(studySessions().map((s) => s.id)),
        fc.constantFrom(...COURSE_IDENTIFIERS),
        fc.constantFrom('clinic', 'community_session', 'conference', 'assessment_window' as const),
        fc.option(day, { nil: undefined }),
        (today, status, completed, course, kind, publishedOn) => {
          for (const d of evaluateProgrammeAccess({
            modules: studyModules(START),
            sessions: studySessions(),
            completedSessionIds: completed,
            today,
            enrolmentStatus: status,
            programmeEndsOn: '2026-07-31',
          })) {
            explainsItself(d);
          }
          explainsItself(
            evaluateCoachingBooking({
              course,
              proposedOn: today,
              today: '2026-01-01',
              participantAvailableOn: [today],
              coachAvailableOn: publishedOn === undefined ? [] : [publishedOn],
            }),
          );
          explainsItself(evaluateEventNotice({ kind, eventOn: today, publishedOn }));
          explainsItself(
            evaluateSchoolMove({
              enrolmentStatus: status,
              employmentHistory: [],
              newSchool: {
                urn: '1',
                name: 'A School',
                region: course.length % 2 === 0 ? 'North West' : 'London',
              },
              movedOn: today,
              notifiedOn: publishedOn,
              coveredRegions: ['North West'],
              delivery: { kind: 'national' },
            }),
          );
        },
      ),
    );
  });
});
