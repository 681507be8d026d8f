import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/client.js';
import { listCohortSummaries } from '../../db/queries/cohorts.js';

export function homeRoutes(app: FastifyInstance, db: Db): void {
  app.get('/', async (_request, reply) => {
    const cohorts = await listCohortSummaries(db);
    return reply.view('home.njk', { cohorts });
  });
}
