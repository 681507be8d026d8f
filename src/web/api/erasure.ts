import { z } from 'zod';
import { eraseParticipantOnRequest } from '../../services/privacy/erasure.js';
import { actorOf, type ApiModule } from './plugin.js';
import { IdParam, writeErrors } from './schemas.js';

const Erasure = z
  .object({
    participantId: z.number(),
    erasedAt: z.string().describe('When the personal data was erased'),
    auditEventsRedacted: z
      .number()
      .describe('Audit events about the participant whose personal content was redacted'),
    emailsDeleted: z
      .number()
      .describe('Emails to or about the participant deleted from the outbox'),
  })
  .meta({ id: 'Erasure' });

/** Erasure on request: a participant anonymised before their retention ends. */
export const erasureApi: ApiModule = (app, deps) => {
  app.post(
    '/participants/:id/erasure',
    {
      schema: {
        tags: ['Personal data'],
        summary:
          'Erase (anonymise) a participant on request, as the retention schedule would; refused (422) while an enrolment is still applied, accepted, active or deferred, and for one already erased (programme team, admin)',
        params: IdParam,
        // Checked in the service, so a missing reason answers 422 on `reason`.
        body: z.object({
          reason: z
            .string()
            .describe(
              'Why, e.g. "Erasure request received 3 March 2026, ticket 1234" (kept in the audit trail: do not write the person’s name)',
            ),
        }),
        response: { 200: Erasure, ...writeErrors },
      },
    },
    async (request) => {
      const result = await eraseParticipantOnRequest(
        deps,
        actorOf(request),
        request.params.id,
        request.body,
      );
      return { ...result, erasedAt: result.erasedAt.toISOString() };
    },
  );
};
