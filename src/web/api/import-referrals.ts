import { z } from 'zod';
import { listImportReferrals } from '../../services/import-referrals.js';
import { actorOf, ErrorBody, type ApiModule } from './plugin.js';

const ImportReferral = z
  .object({
    id: z.number(),
    occurredAt: z.string(),
    importedBy: z.string(),
    deliveryPartner: z.string().nullable(),
    line: z.number(),
    field: z.string(),
    reason: z.string(),
    participantId: z.number().nullable(),
  })
  .meta({ id: 'ImportReferral' });

/** What delivery partners' imports could not add, for the programme team (newest first). */
export const importReferralsApi: ApiModule = (app, deps) => {
  app.get(
    '/import-referrals',
    {
      schema: {
        tags: ['Imports'],
        summary:
          "Rows a delivery partner's participant import could not add because they clashed with another partner's participant or an account (programme team and admins; the partner was told only that the programme team has been told)",
        querystring: z.object({ limit: z.coerce.number().int().min(1).max(1000).optional() }),
        response: { 200: z.array(ImportReferral), 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) =>
      listImportReferrals(deps, actorOf(request), { limit: request.query.limit ?? 200 }),
  );
};
