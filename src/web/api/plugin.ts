import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type {
  FastifyBaseLogger,
  FastifyError,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  RawServerDefault,
} from 'fastify';
import fastifySwagger from '@fastify/swagger';
import {
  hasZodFastifySchemaValidationErrors,
  jsonSchemaTransform,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import { and, eq } from 'drizzle-orm';
import { z } from 'zod';
import { ErrorBody } from './schemas.js';
import type { Db } from '../../db/client.js';
import { idempotencyKey } from '../../db/schema.js';
import type { Clock } from '../../clock.js';
import type { Actor } from '../../services/actor.js';
import {
  ConflictError,
  PolicyRefusalError,
  ServiceError,
  UnauthenticatedError,
  ValidationError,
} from '../../services/errors.js';

/** A Fastify instance whose routes are typed from their Zod schemas. */
export type ApiApp = FastifyInstance<
  RawServerDefault,
  IncomingMessage,
  ServerResponse,
  FastifyBaseLogger,
  ZodTypeProvider
>;
export interface ApiDeps {
  db: Db;
  clock: Clock;
  /** The address people reach the app at, for links in emails (config.publicUrl). */
  publicUrl?: string;
  /** Emails really go out (a Notify key is set): account links are then never shown to staff. */
  notifyConfigured?: boolean;
}
export type ApiModule = (app: ApiApp, deps: ApiDeps) => void | Promise<void>;

export const API_PREFIX = '/api/v1';

export { ErrorBody } from './schemas.js';

export function actorOf(request: FastifyRequest): Actor {
  if (!request.actor) throw new UnauthenticatedError();
  return request.actor;
}

/**
 * The JSON API: Zod schemas validate requests and responses and generate the OpenAPI document
 * at /api/v1/openapi.json. Authentication is the session cookie (browsers; unsafe methods need
 * the CSRF header) or a bearer token. POSTs may carry an Idempotency-Key: a replay gets the
 * first response, and the same key with a different body is refused.
 */
export async function registerApi(
  app: FastifyInstance,
  deps: ApiDeps,
  modules: readonly ApiModule[],
): Promise<void> {
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'npq-ops API',
        version: '1.0.0',
        description:
          'Participants, enrolments, engagement, bookings and the cases of the NPQ Part-Time, Deferral and Portability Policy. Every decision carries the policy reasons with clause numbers.',
      },
      components: {
        securitySchemes: {
          bearer: {
            type: 'http',
            scheme: 'bearer',
            description: 'Token from `npq-ops token create`',
          },
          session: { type: 'apiKey', in: 'cookie', name: 'npq_session' },
        },
      },
      security: [{ bearer: [] }, { session: [] }],
    },
    transform: jsonSchemaTransform,
    hideUntagged: true,
  });

  await app.register(
    async (api) => {
      api.setValidatorCompiler(validatorCompiler);
      api.setSerializerCompiler(serializerCompiler);
      api.setErrorHandler(apiErrorHandler);
      api.setNotFoundHandler((request, reply) =>
        reply
          .code(404)
          .send({ error: `No route ${request.method} ${request.url}`, code: 'NOT_FOUND' }),
      );

      api.get('/openapi.json', async () => app.swagger());

      // Browser clients using the session cookie read the CSRF token for unsafe requests here.
      api.get(
        '/session',
        {
          schema: {
            tags: ['Session'],
            summary: 'Who is signed in, and the CSRF token to send as x-csrf-token',
            response: {
              200: z.object({
                user: z.object({
                  id: z.number(),
                  email: z.string(),
                  displayName: z.string(),
                  role: z.string(),
                }),
                csrfToken: z.string().nullable(),
              }),
              401: ErrorBody,
            },
          },
        },
        async (request, reply) => {
          const actor = actorOf(request);
          return {
            user: {
              id: actor.userId,
              email: actor.email,
              displayName: actor.displayName,
              role: actor.role,
            },
            csrfToken: request.authMethod === 'session' ? reply.generateCsrf() : null,
          };
        },
      );

      // Before body validation, so a signed-out caller learns nothing about the route's schema.
      api.addHook('onRequest', async (request) => {
        if (request.routeOptions.url === `${API_PREFIX}/openapi.json`) return;
        actorOf(request);
      });
      registerIdempotency(api, deps);

      for (const module of modules) await module(api.withTypeProvider<ZodTypeProvider>(), deps);
    },
    { prefix: API_PREFIX },
  );
}

function apiErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.map((v) => ({
      path: [error.validationContext, ...v.instancePath.split('/').filter(Boolean)].join('.'),
      message: v.message ?? 'Invalid value',
    }));
    return reply.code(400).send({ error: 'The request is not valid', code: 'BAD_REQUEST', errors });
  }
  if (error instanceof PolicyRefusalError) {
    return reply.code(error.status).send({
      error: error.message,
      code: error.code,
      reasons: error.decision.reasons,
      policyVersion: error.decision.policyVersion,
    });
  }
  if (error instanceof ValidationError) {
    return reply
      .code(error.status)
      .send({ error: 'The request is not valid', code: error.code, errors: error.errors });
  }
  if (error instanceof ServiceError) {
    return reply.code(error.status).send({ error: error.message, code: error.code });
  }
  if (typeof error.statusCode === 'number' && error.statusCode < 500) {
    // Fastify's own refusals (malformed or empty JSON, a body too large, a bad content type) in
    // the same shape as ours.
    return reply.code(error.statusCode).send({
      error: error.message,
      code: error.code ?? 'BAD_REQUEST',
      errors: [{ path: 'body', message: error.message }],
    });
  }
  request.log.error({ err: error }, 'API request failed');
  return reply
    .code(500)
    .send({ error: 'Internal Server Error', code: 'INTERNAL', reference: request.id });
}

declare module 'fastify' {
  interface FastifyRequest {
    idempotency?: { key: string; hash: string; userId: number };
  }
}

/** A key reserved by a request still running: replays wait for its answer rather than run twice. */
const IN_PROGRESS = 0;

function registerIdempotency(api: FastifyInstance, deps: ApiDeps) {
  api.addHook('preHandler', async (request, reply) => {
    const key = request.headers['idempotency-key'];
    if (request.method !== 'POST' || typeof key !== 'string' || !request.actor) return;
    if (key.length < 1 || key.length > 200) {
      throw new ValidationError([
        { path: 'headers.idempotency-key', message: 'Idempotency-Key must be 1 to 200 characters' },
      ]);
    }
    const hash = createHash('sha256')
      .update(`${request.method} ${request.url}\n${JSON.stringify(request.body ?? null)}`)
      .digest('hex');
    const userId = request.actor.userId;
    // Reserve the key before doing the work, so two concurrent requests with one key cannot both run.
    const reserved = await deps.db
      .insert(idempotencyKey)
      .values({ userId, key, requestHash: hash, responseStatus: IN_PROGRESS, responseBody: {} })
      .onConflictDoNothing()
      .returning({ key: idempotencyKey.key });
    if (reserved.length > 0) {
      request.idempotency = { key, hash, userId };
      return;
    }
    const [stored] = await deps.db
      .select()
      .from(idempotencyKey)
      .where(and(eq(idempotencyKey.userId, userId), eq(idempotencyKey.key, key)));
    if (!stored) return; // released by a failed first attempt a moment ago: run this one
    if (stored.requestHash !== hash) {
      throw new ValidationError([
        {
          path: 'headers.idempotency-key',
          message: 'This Idempotency-Key was already used for a different request',
        },
      ]);
    }
    if (stored.responseStatus === IN_PROGRESS) {
      throw new ConflictError(
        'A request with this Idempotency-Key is still being processed. Try again shortly.',
      );
    }
    // The stored body is the response as first sent: replay it as is, not through the route's schema again.
    return reply
      .code(stored.responseStatus)
      .header('idempotent-replay', 'true')
      .type('application/json; charset=utf-8')
      .serializer((body: unknown) => body as string)
      .send(JSON.stringify(stored.responseBody));
  });

  api.addHook('onSend', async (request, reply, payload) => {
    const idem = request.idempotency;
    if (!idem) return payload;
    const mine = and(eq(idempotencyKey.userId, idem.userId), eq(idempotencyKey.key, idem.key));
    if (reply.statusCode < 300 && typeof payload === 'string') {
      await deps.db
        .update(idempotencyKey)
        .set({ responseStatus: reply.statusCode, responseBody: JSON.parse(payload) as unknown })
        .where(mine);
    } else {
      // A refused or failed request changed nothing: release the key so a corrected retry can run.
      await deps.db.delete(idempotencyKey).where(mine);
    }
    return payload;
  });
}
