import { z } from 'zod';
import { DFE_WITHDRAWAL_REASONS } from '../../domain/catalogue.js';
import { getWithdrawal, recordWithdrawal, type Withdrawal } from '../../services/withdrawals.js';
import { actorOf, ErrorBody, type ApiModule } from './plugin.js';
import { Id, IdParam } from './schemas.js';

const WithdrawalBody = z
  .object({
    id: z.number(),
    enrolmentId: z.number(),
    reason: z.string(),
    withdrawnOn: z.string(),
    recordedBy: z.string().describe("'system' or 'user:<id>'"),
    note: z.string().nullable(),
    // An ISO string, not a Date: an idempotent replay sends the stored JSON through this schema.
    createdAt: z.string(),
  })
  .meta({ id: 'Withdrawal' });

const toBody = (w: Withdrawal) => ({
  id: w.id,
  enrolmentId: w.enrolmentId,
  reason: w.reason,
  withdrawnOn: w.withdrawnOn,
  recordedBy: w.recordedBy,
  note: w.note,
  createdAt: w.createdAt.toISOString(),
});

const tags = ['Withdrawals'];

export const withdrawalsApi: ApiModule = (app, deps) => {
  app.post(
    '/withdrawals',
    {
      schema: {
        tags,
        summary: 'Withdraw an enrolment with a DfE API v3 withdrawal reason (staff)',
        body: z.object({
          enrolmentId: Id,
          // Checked by the service so that a wrong reason answers 422 listing the allowed values.
          reason: z.string().describe(`One of: ${DFE_WITHDRAWAL_REASONS.join(', ')}`),
          withdrawnOn: z.string().describe('YYYY-MM-DD, not in the future'),
          note: z.string().max(4000).optional(),
          expectedVersion: z
            .number()
            .int()
            .positive()
            .optional()
            .describe('The enrolment version you read (409 if stale)'),
        }),
        response: {
          201: WithdrawalBody,
          401: ErrorBody,
          403: ErrorBody,
          404: ErrorBody,
          409: ErrorBody,
          422: ErrorBody,
        },
      },
    },
    async (request, reply) => {
      const created = await recordWithdrawal(deps, actorOf(request), request.body);
      return reply.code(201).send(toBody(created));
    },
  );

  app.get(
    '/enrolments/:id/withdrawal',
    {
      schema: {
        tags,
        summary: 'The withdrawal recorded for an enrolment',
        params: IdParam,
        response: { 200: WithdrawalBody, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => toBody(await getWithdrawal(deps, actorOf(request), request.params.id)),
  );
};
