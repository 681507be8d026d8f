import type { FastifyInstance } from 'fastify';
import type { Db } from '../../db/client.js';
import { cohortOverview } from '../../services/staff-dashboard.js';
import { openAlertCounts } from '../../services/engagement-alerts.js';

/**
 * "/" is the staff's cohorts overview. Signed-out visitors are sent to sign in (cohort figures are
 * not public) and participants to their own programme.
 */
export function homeRoutes(app: FastifyInstance, db: Db): void {
  app.get('/', async (request, reply) => {
    const actor = request.actor;
    if (!actor) return reply.redirect('/sign-in', 303);
    if (actor.role === 'participant') return reply.redirect('/my-programme', 303);
    const [overview, alerts] = await Promise.all([
      cohortOverview({ db }, actor),
      openAlertCounts(db, actor),
    ]);
    const cohorts = overview.map((c) => ({ ...c, alerts: alerts.byCohort.get(c.id) ?? 0 }));
    return reply.view('home.njk', { cohorts, alertTotal: alerts.total });
  });
}
