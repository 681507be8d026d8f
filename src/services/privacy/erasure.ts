/**
 * Erasure on request (UK GDPR article 17): the programme team or an administrator anonymises one
 * participant before their retention ends, exactly as the retention schedule would (anonymise.ts),
 * from the participant's record page, the API or the command line.
 *
 * Refused while the participant has an enrolment still applied, accepted, active or deferred:
 * withdraw it first (the withdrawal is recorded, and the DfE told, with the person still
 * identifiable). An already-erased participant is refused too, so the reason recorded is the one
 * given when it happened. Audited as PARTICIPANT_ERASED with the reason, by the person who did it.
 */
import { sql } from 'drizzle-orm';
import { z } from 'zod';
import { arrayParam, queryRows, type Db } from '../../db/client.js';
import { ENDED_ENROLMENT_STATUSES, erasedRegistrationId } from '../../policy/retention.js';
import { SYSTEM, type Actor } from '../actor.js';
import { audit } from '../audit.js';
import { requireParticipant } from '../authorisation.js';
import { ForbiddenError, NotFoundError, ValidationError } from '../errors.js';
import type { ServiceDeps } from '../participants.js';
import { anonymiseParticipants } from './anonymise.js';

export const ERASERS: readonly Actor['role'][] = ['admin', 'programme_team'];

export const ErasureRequestSchema = z.object({
  reason: z
    .string({ message: 'Enter why the participant’s data is being erased' })
    .trim()
    .min(1, 'Enter why the participant’s data is being erased')
    .max(1000, 'The reason must be 1,000 characters or fewer'),
});

export interface ErasureResult {
  participantId: number;
  erasedAt: Date;
  auditEventsRedacted: number;
  emailsDeleted: number;
}

/** Whether the actor may erase this participant: 404 if they cannot see them, 403 if not theirs to erase. */
export async function requireEraser(
  db: Pick<Db, 'execute'>,
  actor: Actor,
  participantId: number,
): Promise<void> {
  await requireParticipant(db, actor, participantId, 'read');
  if (!ERASERS.includes(actor.role))
    throw new ForbiddenError('Only the programme team or an administrator can erase a participant');
}

/**
 * `by` is a signed-in actor (page, API) or SYSTEM for an operator at the command line, who already
 * holds the database and so is not checked.
 */
export async function eraseParticipantOnRequest(
  deps: ServiceDeps,
  by: Actor | typeof SYSTEM,
  participantId: number,
  raw: unknown,
): Promise<ErasureResult> {
  const parsed = ErasureRequestSchema.safeParse(raw);
  if (!parsed.success)
    throw new ValidationError(
      parsed.error.issues.map((i) => ({ path: String(i.path[0] ?? 'reason'), message: i.message })),
    );
  const { reason } = parsed.data;
  const at = deps.clock.now();
  return deps.db.transaction(async (tx) => {
    if (by !== SYSTEM) await requireEraser(tx, by, participantId);
    const [row] = await queryRows<{ erased: boolean; open_enrolments: number }>(
      tx,
      sql`select p.dfe_registration_id is not distinct from 'erased-' || p.id::text as erased,
                 (select count(*)::int from enrolment e where e.participant_id = p.id
                    and e.status <> all(${arrayParam(ENDED_ENROLMENT_STATUSES)}::text[])) as open_enrolments
          from participant p where p.id = ${participantId} for update of p`,
    );
    if (!row) throw new NotFoundError('Participant not found');
    if (row.erased)
      throw new ValidationError([
        {
          path: 'participant',
          message: 'This participant’s personal data has already been erased',
        },
      ]);
    if (row.open_enrolments > 0)
      throw new ValidationError([
        {
          path: 'enrolments',
          message: `Withdraw the participant first: ${row.open_enrolments === 1 ? '1 enrolment is' : `${row.open_enrolments} enrolments are`} still applied, accepted, active or deferred`,
        },
      ]);
    const { auditEventsRedacted, emailsDeleted } = await anonymiseParticipants(
      tx,
      [participantId],
      at,
    );
    await audit(tx, {
      what: 'PARTICIPANT_ERASED',
      who: by,
      subjectType: 'participant',
      subjectId: participantId,
      details: {
        redacted: 'request',
        reason,
        via: by === SYSTEM ? 'command line' : 'request',
        dfeRegistrationId: erasedRegistrationId(participantId),
      },
      at,
    });
    return { participantId, erasedAt: at, auditEventsRedacted, emailsDeleted };
  });
}
