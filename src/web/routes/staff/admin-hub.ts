import type { FastifyInstance } from 'fastify';
import { notFound, requireStaffPage } from './support.js';

/** The administration hub (admins and the programme team): one entry in the navigation for set-up pages. */
export function adminHubRoutes(app: FastifyInstance): void {
  app.get('/admin', async (request, reply) => {
    const actor = requireStaffPage(request, reply);
    if (!actor) return reply;
    if (actor.role !== 'admin' && actor.role !== 'programme_team') return notFound(reply);
    return reply.view('admin/index.njk', {});
  });
}
