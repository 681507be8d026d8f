import type { FastifyInstance } from 'fastify';
import { ping, type Db } from '../../db/client.js';

/** Liveness with a real database round trip, so a load balancer stops sending traffic when it is down. */
export function healthRoutes(app: FastifyInstance, db: Db): void {
  app.get('/healthz', async (request, reply) => {
    try {
      await ping(db);
      return reply.send({ status: 'UP', checks: { database: 'UP' } });
    } catch (error) {
      request.log.error({ err: error }, 'health check: database unreachable');
      return reply.code(503).send({ status: 'DOWN', checks: { database: 'DOWN' } });
    }
  });
}
