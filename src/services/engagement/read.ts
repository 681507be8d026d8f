import { queryRows } from '../../db/client.js';
import {
  enrolmentFactsStatement,
  factsFromRow,
  type EnrolmentFacts,
  type FactsRow,
} from '../../db/queries/enrolment-facts.js';
import type { ActivityKind } from '../../domain/catalogue.js';
import {
  evaluateProgrammeAccess,
  isCoachingCourse,
  londonDateOf,
  type evaluateEngagement,
  type PolicyRegister,
  type SessionAccessDecision,
} from '../../policy/index.js';
import type { Actor } from '../actor.js';
import { enrolmentVisibleTo } from '../authorisation.js';
import { engagementDecisionOf } from '../engagement-decision.js';
import { NotFoundError } from '../errors.js';
import type { ServiceDeps } from '../participants.js';
import { registerInForce } from '../policy-register.js';
import { accessInput } from './completion.js';

export interface KindBreakdown {
  kind: ActivityKind;
  activities: number;
  completed: number;
  totalWeight: number;
  completedWeight: number;
  /** Coaching counts only on courses that include it (2.2.1.3). */
  countsTowardsEngagement: boolean;
}

export interface SessionAccessView {
  activityId: number;
  moduleId: number;
  title: string;
  state: 'done' | 'open' | 'locked';
  advice: string | null;
  decision: SessionAccessDecision;
}

export interface EnrolmentEngagement {
  enrolmentId: number;
  participantId: number;
  course: string;
  decision: ReturnType<typeof evaluateEngagement>;
  /** The policy version in force today, which decided (its threshold is what the page shows). */
  register: PolicyRegister;
  byKind: KindBreakdown[];
  sessions: SessionAccessView[];
}

/**
 * The required activities by kind, in programme order of each kind's first activity: how many,
 * how many done, and their weights (an activity's weight, else its planned minutes).
 */
function breakdownByKind(facts: EnrolmentFacts): Omit<KindBreakdown, 'countsTowardsEngagement'>[] {
  const byKind = new Map<ActivityKind, Omit<KindBreakdown, 'countsTowardsEngagement'>>();
  const ordered = [...facts.activities].sort((a, b) => a.sequence - b.sequence);
  for (const a of ordered) {
    const k = byKind.get(a.kind) ?? {
      kind: a.kind,
      activities: 0,
      completed: 0,
      totalWeight: 0,
      completedWeight: 0,
    };
    const weight = a.weight ?? a.plannedMinutes;
    const done = facts.completedActivityIds.has(a.id);
    k.activities += 1;
    k.totalWeight += weight;
    if (done) {
      k.completed += 1;
      k.completedWeight += weight;
    }
    byKind.set(a.kind, k);
  }
  return [...byKind.values()];
}

/** Where an enrolment stands against 2.1.1, by kind of activity, and which study sessions are open. */
export async function getEnrolmentEngagement(
  { db, clock }: ServiceDeps,
  actor: Actor,
  enrolmentId: number,
): Promise<EnrolmentEngagement> {
  // One statement: the facts of an enrolment the actor may see (else not found); and the
  // version of the policy in force today, which decides.
  const today = londonDateOf(clock.now());
  const [[row], register] = await Promise.all([
    queryRows<FactsRow>(
      db,
      enrolmentFactsStatement(enrolmentId, { where: enrolmentVisibleTo(actor) }),
    ),
    registerInForce(db, today),
  ]);
  const facts = row ? factsFromRow(row) : null;
  if (!facts) throw new NotFoundError('Enrolment not found');
  return engagementOf(facts, today, register);
}

/** An enrolment's engagement from its facts already loaded (a participant snapshot, say). */
export function engagementOf(
  facts: EnrolmentFacts,
  today: string,
  register: PolicyRegister,
): EnrolmentEngagement {
  const enrolmentId = facts.enrolment.id;
  const decision = engagementDecisionOf(facts, today, register);
  const kinds = breakdownByKind(facts);
  const coaching = isCoachingCourse(facts.cohort.course, register);
  const titles = new Map(facts.sessions.map((s) => [s.id, s.title ?? '']));
  const access = evaluateProgrammeAccess(accessInput(facts, today), register);
  return {
    enrolmentId,
    participantId: facts.participant.id,
    course: facts.cohort.course,
    decision,
    register,
    byKind: kinds.map((k) => ({
      ...k,
      countsTowardsEngagement: k.kind !== 'coaching' || coaching,
    })),
    sessions: access.map((d) => ({
      activityId: Number(d.details.sessionId),
      moduleId: Number(d.details.moduleId),
      title: titles.get(d.details.sessionId) ?? '',
      state: d.details.state,
      advice: d.details.advice,
      decision: d,
    })),
  };
}
