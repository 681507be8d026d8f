import { z } from 'zod';
import {
  AUDITABLE_CASE_TYPES,
  participantAuditLog,
  subjectAuditLog,
} from '../../services/audit-log.js';
import { actorOf, ErrorBody, type ApiModule } from './plugin.js';
import { IdParam, IdString } from './schemas.js';

const AuditEvent = z
  .object({
    id: z.number(),
    what: z.string(),
    who: z.string(),
    whoName: z.string(),
    subjectType: z.string(),
    subjectId: z.string(),
    occurredAt: z.string(),
    details: z.unknown(),
    correlationId: z.string().nullable(),
  })
  .meta({ id: 'AuditEvent' });

/** The audit log for a participant and for a case (staff who run cases: admin, programme team, delivery partners). */
export const auditApi: ApiModule = (app, deps) => {
  app.get(
    '/participants/:id/audit-events',
    {
      schema: {
        tags: ['Audit log'],
        summary: "A participant's audit trail: enrolments, bookings, cases, moves and withdrawals",
        params: IdParam,
        response: { 200: z.array(AuditEvent), 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) => participantAuditLog(deps, actorOf(request), request.params.id),
  );

  app.get(
    '/audit-events',
    {
      schema: {
        tags: ['Audit log'],
        summary: 'The audit trail of one case or record',
        querystring: z.object({
          subjectType: z.enum(AUDITABLE_CASE_TYPES as [string, ...string[]]),
          subjectId: IdString,
        }),
        response: { 200: z.array(AuditEvent), 401: ErrorBody, 404: ErrorBody },
      },
    },
    async (request) =>
      subjectAuditLog(deps, actorOf(request), request.query.subjectType, request.query.subjectId),
  );
};
