import type { EnrolmentFacts } from '../db/queries/enrolment-facts.js';
import { evaluateEngagement, type PolicyRegister } from '../policy/index.js';

/**
 * Where an enrolment stands against 2.1.1 under a version of the policy, from its loaded facts:
 * one mapping for the engagement page and API, the participant record and school moves.
 */
export function engagementDecisionOf(
  facts: EnrolmentFacts,
  today: string,
  register: PolicyRegister,
): ReturnType<typeof evaluateEngagement> {
  return evaluateEngagement(
    {
      course: facts.cohort.course,
      activities: facts.activities,
      completedActivityIds: facts.completedActivityIds,
      deadline: facts.cohort.engagementDeadline,
      today,
    },
    register,
  );
}
