import { z } from 'zod';
import { DEFAULT_RETENTION_YEARS_AFTER_END } from '../../policy/retention.js';
import { mySubjectAccessRecord } from '../../services/privacy/subject-access.js';
import { actorOf, ErrorBody, type ApiModule } from './plugin.js';

const Rows = z.array(z.record(z.string(), z.unknown()));

/** Everything held about the signed-in participant (subject access). */
const MyDataBody = z.object({
  generatedAt: z.string(),
  profile: z.record(z.string(), z.unknown()),
  accounts: Rows,
  employment: Rows,
  enrolments: Rows,
  engagement: Rows,
  bookings: Rows,
  coaching: Rows,
  deferralCases: Rows,
  assessmentSubmissions: Rows,
  assessmentResults: Rows,
  assessmentDeferralCases: Rows,
  schoolMoves: Rows,
  transferCases: Rows,
  withdrawals: Rows,
  emails: Rows,
  auditTrail: Rows,
  retention: z.array(z.object({ record: z.string(), kept: z.string(), then: z.string() })),
});

export const myDataApi: ApiModule = (app, deps) => {
  app.get(
    '/me/data',
    {
      schema: {
        tags: ['Your data'],
        summary:
          'Everything held about you, the signed-in participant: profile, enrolments, engagement, bookings, coaching, cases, decisions, emails and the audit trail (participants only; 404 for staff)',
        querystring: z.object({
          download: z
            .enum(['1', 'true'])
            .optional()
            .describe('Set to send the record as a file (Content-Disposition: attachment)'),
        }),
        response: { 200: MyDataBody, 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request, reply) => {
      const record = await mySubjectAccessRecord(deps, actorOf(request), {
        retentionYearsAfterEnd: deps.retentionYearsAfterEnd ?? DEFAULT_RETENTION_YEARS_AFTER_END,
      });
      reply.header('cache-control', 'no-store');
      if (request.query.download) {
        const day = record.generatedAt.slice(0, 10);
        reply.header('content-disposition', `attachment; filename="npq-my-data-${day}.json"`);
      }
      return record;
    },
  );
};
