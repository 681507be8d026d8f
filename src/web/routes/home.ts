import type { FastifyInstance } from 'fastify';
import type { Clock } from '../../clock.js';
import type { Db } from '../../db/client.js';
import { londonDateOf } from '../../policy/index.js';
import { cohortOverview } from '../../services/staff-dashboard.js';
import { openAlertCounts } from '../../services/engagement-alerts.js';
import { registerInForce } from '../../services/policy-register.js';

/**
 * "/" is the staff's cohorts overview. Signed-out visitors are sent to sign in (cohort figures are
 * not public) and participants to their own programme. The alerts' words say the threshold of the
 * version in force today (2.1.1), which the daily job raised them against.
 */
export function homeRoutes(app: FastifyInstance, { db, clock }: { db: Db; clock: Clock }): void {
  app.get('/', async (request, reply) => {
    const actor = request.actor;
    if (!actor) return reply.redirect('/sign-in', 303);
    if (actor.role === 'participant') return reply.redirect('/my-programme', 303);
    const [overview, alerts, register] = await Promise.all([
      cohortOverview({ db }, actor),
      openAlertCounts(db, actor),
      registerInForce(db, londonDateOf(clock.now())),
    ]);
    const cohorts = overview.map((c) => ({ ...c, alerts: alerts.byCohort.get(c.id) ?? 0 }));
    return reply.view('home.njk', {
      cohorts,
      alertTotal: alerts.total,
      threshold: register.parameters.engagementThresholdBp,
    });
  });
}
