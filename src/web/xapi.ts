import type { FastifyError, FastifyInstance } from 'fastify';
import { recordXapiStatements } from '../services/engagement/xapi.js';
import { ServiceError, UnauthenticatedError, ValidationError } from '../services/errors.js';
import type { ApiDeps } from './api/plugin.js';
import { replyIfUnavailable } from './unavailable.js';
import {
  BODY_TOO_LARGE,
  BULK_LIMITS,
  BULK_RATE_LIMIT,
  registerBulkRateLimit,
  tooManyRows,
} from './limits.js';

const XAPI_VERSION = '1.0.3';

/**
 * xAPI statements from the learning platform: POST /xapi/statements (outside /api/v1, as xAPI
 * clients expect). A machine client sends one statement or an array with a bearer token of a staff
 * role; the answer is 200 with the statement ids, as an LRS gives.
 *
 * Mapping: the actor is `mbox: mailto:<participant email>`; `object.id` is an activity IRI ending
 * in `/activities/<programme activity id>` (we publish `https://npq-ops.example/activities/<id>`);
 * the verb is `http://adlnet.gov/expapi/verbs/completed` (study sessions) or
 * `http://adlnet.gov/expapi/verbs/attended` (clinics, community sessions, conferences, coaching);
 * `timestamp` is when it happened. The statement id is stored as the source event id with source
 * `xapi`, so re-sending a statement changes nothing. A batch is all or nothing: any bad statement
 * answers 400 with the reasons and nothing is stored.
 */
export function xapiRoutes(app: FastifyInstance, deps: ApiDeps): void {
  void app.register(async (xapi) => {
    await registerBulkRateLimit(xapi);
    xapi.addHook('onRequest', async (request, reply) => {
      reply.header('X-Experience-API-Version', XAPI_VERSION);
      // Machine clients only: a browser session cannot post statements.
      if (!request.actor || request.authMethod !== 'token') {
        return reply.code(401).send({
          error: 'Send a bearer API token to post xAPI statements',
          code: 'UNAUTHENTICATED',
        });
      }
    });

    xapi.setErrorHandler((error: FastifyError, request, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE')
        return reply.code(413).send({ error: BODY_TOO_LARGE, code: 'PAYLOAD_TOO_LARGE' });
      if (error instanceof ValidationError) {
        return reply.code(400).send({
          error: 'The statements are not valid',
          code: 'BAD_REQUEST',
          errors: error.errors,
        });
      }
      if (error instanceof ServiceError) {
        return reply.code(error.status).send({ error: error.message, code: error.code });
      }
      if (typeof error.statusCode === 'number' && error.statusCode < 500) {
        return reply
          .code(error.statusCode)
          .send({ error: error.message, code: error.code ?? 'BAD_REQUEST' });
      }
      if (replyIfUnavailable(error, request, reply, 'json')) return reply;
      request.log.error({ err: error }, 'xAPI request failed');
      return reply
        .code(500)
        .send({ error: 'Internal Server Error', code: 'INTERNAL', reference: request.id });
    });

    const options = {
      bodyLimit: BULK_LIMITS.bodyBytes,
      config: { rateLimit: BULK_RATE_LIMIT },
    };
    xapi.post('/xapi/statements', options, async (request) => {
      const body = request.body;
      if (body === null || typeof body !== 'object') {
        throw new ValidationError([
          { path: 'body', message: 'Send a statement object or an array of statements' },
        ]);
      }
      const statements = Array.isArray(body) ? (body as unknown[]) : [body];
      if (statements.length === 0) {
        throw new ValidationError([{ path: 'body', message: 'Send at least one statement' }]);
      }
      if (statements.length > BULK_LIMITS.statements)
        throw tooManyRows(statements.length, BULK_LIMITS.statements, 'statements');
      if (!request.actor) throw new UnauthenticatedError();
      return recordXapiStatements(deps, request.actor, statements);
    });
  });
}
