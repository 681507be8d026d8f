import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';
import type { Actor } from '../../../services/actor.js';
import { ValidationError } from '../../../services/errors.js';
import { getParticipant } from '../../../services/participants.js';
import { eraseParticipantOnRequest, requireEraser } from '../../../services/privacy/erasure.js';
import { idParam, notFound, page, requireStaffPage, submit, type FormFailure } from './support.js';

/**
 * "Erase personal data" on a participant's record (programme team, admin): one page that is the
 * confirmation step (what happens, what stays, a reason, a tick to confirm), then the record with
 * a success banner.
 */
export function participantErasureRoutes(app: FastifyInstance, deps: ApiDeps): void {
  const render = async (
    reply: FastifyReply,
    actor: Actor,
    participantId: number,
    options: { reason?: string; failure?: FormFailure },
    status = 200,
  ) => {
    await requireEraser(deps.db, actor, participantId);
    const participant = await getParticipant(deps, actor, participantId);
    return reply.code(status).view('staff/participant-erase.njk', {
      participant,
      alreadyErased: participant.dfeRegistrationId === `erased-${participantId}`,
      reason: options.reason ?? '',
      errors: options.failure?.errors,
    });
  };

  app.get<{ Params: { id: string } }>('/participants/:id/erase', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const participantId = idParam(request.params.id);
    if (participantId === undefined) return notFound(reply);
    return page(reply, () => render(reply, actor, participantId, {}));
  });

  app.post<{ Params: { id: string } }>('/participants/:id/erase', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    const participantId = idParam(request.params.id);
    if (participantId === undefined) return notFound(reply);
    const body = (request.body ?? {}) as Record<string, unknown>;
    const reason = typeof body.reason === 'string' ? body.reason : '';
    return page(reply, () =>
      submit(
        reply,
        async () => {
          if (body.confirm !== 'yes') {
            await requireEraser(deps.db, actor, participantId);
            throw new ValidationError([
              {
                path: 'confirm',
                message: 'Confirm that you understand the personal data cannot be recovered',
              },
            ]);
          }
          await eraseParticipantOnRequest(deps, actor, participantId, { reason });
          return `/participants/${participantId}?updated=erased`;
        },
        (failure, status) => render(reply, actor, participantId, { reason, failure }, status),
      ),
    );
  });
}
