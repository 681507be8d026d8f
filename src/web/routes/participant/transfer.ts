/**
 * A transfer to another lead provider (policy 2.6.4), the participant's side: after a move to a
 * school outside our network, they tell us which lead provider they are moving to and whether we
 * may share their record with it. Question → check your answers → sent once → the transfer's page
 * with its reference and what happens next. Once they have answered, or the transfer is past the
 * point where the answer matters, the page says where it stands instead of showing the form.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { isFormToken, newFormToken, submitOnce } from '../../../services/form-submissions.js';
import { ConflictError, NotFoundError } from '../../../services/errors.js';
import { contactDetailsFor } from '../../../services/organisations/contacts.js';
import {
  chooseReceivingProvider,
  getTransfer,
  recordConsent,
  type TransferView,
} from '../../../services/school-moves.js';
import { parseForm, type FormErrors } from '../../forms.js';
import {
  formFailureOf,
  parseId,
  participantPage,
  renderNotFound,
  type PageDeps,
  type ParticipantContext,
} from './helpers.js';
import { schoolMoveReference, transferReference } from './references.js';

const TransferForm = z.object({
  receivingLeadProvider: z
    .string({ message: 'Enter the name of the lead provider you are moving to' })
    .trim()
    .min(1, 'Enter the name of the lead provider you are moving to')
    .max(200, 'The name must be 200 characters or fewer'),
  consent: z.enum(['yes', 'no'], {
    message: 'Select yes if we may share your programme record with them',
  }),
});

/** The participant can answer while the transfer is being arranged and before they have. */
export function transferAnswerable(t: Pick<TransferView, 'status' | 'dataSharingConsent'>) {
  return (t.status === 'opened' || t.status === 'provider_chosen') && t.dataSharingConsent === null;
}

export function transferRoutes(app: FastifyInstance, deps: PageDeps): void {
  /** The transfer, or null when it is not this participant's (answered as not found). */
  const load = async (ctx: ParticipantContext, raw: string) => {
    const id = parseId(raw);
    if (id === null) return null;
    try {
      return await getTransfer(deps, ctx.actor, id);
    } catch (error) {
      if (error instanceof NotFoundError) return null;
      throw error;
    }
  };

  const page = async (
    reply: FastifyReply,
    ctx: ParticipantContext,
    transfer: TransferView & { schoolMove: { id: number } },
    extra: {
      errors?: FormErrors;
      values?: Record<string, unknown>;
      sent?: boolean;
      notSent?: string;
    } = {},
  ) => {
    const values = extra.values ?? {
      receivingLeadProvider: transfer.receivingLeadProvider ?? '',
    };
    return reply.view('participant/transfer.njk', {
      ...extra,
      values,
      transfer,
      answerable: transferAnswerable(transfer),
      reference: transferReference(transfer.id),
      moveReference: schoolMoveReference(transfer.schoolMove.id),
      token: isFormToken(values['token']) ? values['token'] : newFormToken(),
      contact: await contactDetailsFor(deps, ctx.actor, transfer.enrolmentId),
    });
  };

  app.get<{ Params: { transferId: string } }>('/changes/transfer/:transferId', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const transfer = await load(ctx, request.params.transferId);
      if (!transfer) return renderNotFound(reply);
      const sent = (request.query as { sent?: string } | undefined)?.sent === '1';
      return page(reply, ctx, transfer, { sent });
    }),
  );

  // The answers → check your answers (or back to the question to change them).
  app.post<{ Params: { transferId: string } }>('/changes/transfer/:transferId', (request, reply) =>
    participantPage(deps, request, reply, async (ctx) => {
      const transfer = await load(ctx, request.params.transferId);
      if (!transfer) return renderNotFound(reply);
      const body = (request.body ?? {}) as Record<string, unknown>;
      if (!transferAnswerable(transfer)) return page(reply.code(422), ctx, transfer);
      if (body['change'] !== undefined) return page(reply, ctx, transfer, { values: body });
      const form = parseForm(TransferForm, body);
      if (!form.ok)
        return page(reply.code(422), ctx, transfer, { errors: form.errors, values: body });
      return reply.view('participant/transfer-check.njk', {
        transfer,
        reference: transferReference(transfer.id),
        answers: form.data,
        token: isFormToken(body['token']) ? body['token'] : newFormToken(),
      });
    }),
  );

  app.post<{ Params: { transferId: string } }>(
    '/changes/transfer/:transferId/send',
    (request, reply) =>
      participantPage(deps, request, reply, async (ctx) => {
        const transfer = await load(ctx, request.params.transferId);
        if (!transfer) return renderNotFound(reply);
        const body = (request.body ?? {}) as Record<string, unknown>;
        const form = parseForm(TransferForm, body);
        if (!form.ok)
          return page(reply.code(422), ctx, transfer, { errors: form.errors, values: body });
        const where = `/changes/transfer/${transfer.id}?sent=1`;
        try {
          const sent = await submitOnce(
            deps,
            ctx.actor,
            String(body['token'] ?? ''),
            async (tx) => {
              // Read again inside the reserving transaction: a page left open may be out of date.
              const now = await getTransfer(tx, ctx.actor, transfer.id);
              if (!transferAnswerable(now)) {
                throw new ConflictError(
                  'You have already told us about this transfer. To change your answer, contact your delivery partner.',
                );
              }
              let version = now.version;
              if (now.receivingLeadProvider !== form.data.receivingLeadProvider) {
                version = (
                  await chooseReceivingProvider(tx, ctx.actor, transfer.id, {
                    name: form.data.receivingLeadProvider,
                    expectedVersion: version,
                  })
                ).version;
              }
              await recordConsent(tx, ctx.actor, transfer.id, {
                consent: form.data.consent === 'yes',
                expectedVersion: version,
              });
              return where;
            },
          );
          return reply.redirect(sent.location, 303);
        } catch (error) {
          const failure = formFailureOf(error, 'receivingLeadProvider');
          if (!failure) throw error;
          // Answered already, or moved on: the page says where it stands (no form).
          const fresh = (await load(ctx, request.params.transferId)) ?? transfer;
          return page(reply.code(422), ctx, fresh, {
            ...(transferAnswerable(fresh)
              ? { errors: failure.errors, values: body }
              : { notSent: failure.errors.list[0]?.text ?? 'Your answers were not sent.' }),
          });
        }
      }),
  );
}
