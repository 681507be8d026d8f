import type { FastifyInstance } from 'fastify';
import { ping, type Db } from '../../db/client.js';
import { RETRY_AFTER_SECONDS } from '../../db/connection-errors.js';

/**
 * Liveness with a real database round trip, so a load balancer stops sending traffic when it is
 * down and sends it again once the pool has reconnected (the process itself keeps running).
 */
export function healthRoutes(app: FastifyInstance, db: Db): void {
  app.get('/healthz', async (request, reply) => {
    try {
      await ping(db);
      return reply.send({ status: 'UP', checks: { database: 'UP' } });
    } catch (error) {
      const code = (error as { cause?: { code?: unknown }; code?: unknown }).cause?.code;
      request.log.error(
        { dbError: typeof code === 'string' ? code : undefined },
        'health check: database unreachable',
      );
      return reply
        .code(503)
        .header('retry-after', String(RETRY_AFTER_SECONDS))
        .send({ status: 'DOWN', checks: { database: 'DOWN' } });
    }
  });
}
