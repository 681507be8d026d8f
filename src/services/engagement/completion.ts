import type { Db } from '../../db/client.js';
import { loadEnrolmentFacts, type EnrolmentFacts } from '../../db/queries/enrolment-facts.js';
import {
  evaluateStudySessionAccess,
  londonDateOf,
  type AccessInput,
  type SessionAccessDecision,
} from '../../policy/index.js';
import type { Actor } from '../actor.js';
import { audit } from '../audit.js';
import { requireEnrolment } from '../authorisation.js';
import { commenceIfDue } from '../commencement.js';
import { NotFoundError, PolicyRefusalError } from '../errors.js';
import type { ServiceDeps } from '../participants.js';
import { registerInForce } from '../policy-register.js';
import { insertRecords } from './ingest-rows.js';

type Executor = Pick<Db, 'execute'>;

/** The source event id of a platform completion: the same session completed twice lands once. */
export const sessionEventId = (participantId: number, activityId: number) =>
  `session-${participantId}-${activityId}`;

export async function loadFacts(db: Executor, enrolmentId: number): Promise<EnrolmentFacts> {
  const facts = await loadEnrolmentFacts(db, enrolmentId);
  if (!facts) throw new NotFoundError('Enrolment not found');
  return facts;
}

/** The access rule's input: content stays open to the end of a re-joined cohort after a deferral. */
export function accessInput(facts: EnrolmentFacts, today: string): AccessInput {
  return {
    modules: facts.modules,
    sessions: facts.sessions,
    completedSessionIds: facts.completedActivityIds,
    today,
    enrolmentStatus: facts.enrolment.status,
    programmeEndsOn: facts.cohort.endDate,
    ...(facts.rejoinCohortEndsOn ? { rejoinCohortEndsOn: facts.rejoinCohortEndsOn } : {}),
  };
}

export interface CompletionResult {
  enrolmentId: number;
  activityId: number;
  /** False when the session was already complete: nothing was written. */
  changed: boolean;
  decision: SessionAccessDecision;
}

/**
 * A participant completes a study session (or staff who may change the record do so for them).
 * Refused, with the access rule's reasons, when an earlier session is not done or the content is
 * not open; completing a completed session changes nothing.
 */
export async function completeStudySession(
  deps: ServiceDeps,
  actor: Actor,
  input: { enrolmentId: number; activityId: number },
): Promise<CompletionResult> {
  return deps.db.transaction(async (tx) => {
    await requireEnrolment(tx, actor, input.enrolmentId, 'write', { participantMayWrite: true });
    const facts = await loadFacts(tx, input.enrolmentId);
    const sessionId = String(input.activityId);
    if (!facts.sessions.some((s) => s.id === sessionId)) {
      throw new NotFoundError('Study session not found');
    }
    const now = deps.clock.now();
    const today = londonDateOf(now);
    const decision = evaluateStudySessionAccess(
      accessInput(facts, today),
      sessionId,
      await registerInForce(tx, today),
    );
    const base = { enrolmentId: input.enrolmentId, activityId: input.activityId, decision };
    if (decision.details.state === 'done') return { ...base, changed: false };
    if (decision.outcome !== 'allowed') throw new PolicyRefusalError(decision);

    const participantId = facts.participant.id;
    const inserted = await insertRecords(
      tx,
      [
        {
          participantId,
          activityId: input.activityId,
          kind: 'study_session',
          occurredAt: now,
          source: 'platform',
          sourceEventId: sessionEventId(participantId, input.activityId),
        },
      ],
      now,
    );
    if (inserted === 0) return { ...base, changed: false };
    await audit(tx, {
      what: 'STUDY_SESSION_COMPLETED',
      who: actor,
      subjectType: 'enrolment',
      subjectId: input.enrolmentId,
      details: { activityId: input.activityId, participantId, decision },
      at: now,
    });
    // The first engagement may complete the start of the programme (2.3.2).
    await commenceIfDue(tx, {
      participantIds: [participantId],
      who: actor,
      at: now,
      trigger: 'study_session_completed',
    });
    return { ...base, changed: true };
  });
}
