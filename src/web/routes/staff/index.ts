import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';
import { assignedWorkRoutes } from './assigned-work.js';
import { coachingPageRoutes } from './coaching.js';
import { markingRoutes } from './marking.js';
import { assignmentRoutes } from './assignments.js';
import { adminHubRoutes } from './admin-hub.js';
import { caseRoutes } from './cases.js';
import { cohortDashboardRoutes } from './cohorts.js';
import { importRoutes } from './imports.js';
import { participantRecordRoutes } from './participant-record.js';
import { participantErasureRoutes } from './participant-erasure.js';
import { registerRoutes } from './registers.js';
import { cohortEventRoutes } from './cohort-events.js';
import { cohortLeadTimeRoutes } from './cohort-lead-time.js';
import { actionRoutes } from './participant-actions.js';
import { participantRoutes } from './participants.js';
import { cohortSetupRoutes } from './setup.js';
import { organisationRoutes } from './organisation.js';
import { schoolRoutes } from './schools.js';
import { transferRoutes } from './transfers.js';
import { reportRoutes } from './reports.js';
import { policyRegisterRoutes } from './policy-register.js';

/** Pages for delivery-partner staff and the programmes team (dashboards, records, cases, set-up, imports). */
export async function staffRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  adminHubRoutes(app);
  cohortSetupRoutes(app, deps);
  cohortDashboardRoutes(app, deps);
  participantRoutes(app, deps);
  participantRecordRoutes(app, deps);
  participantErasureRoutes(app, deps);
  actionRoutes(app, deps);
  registerRoutes(app, deps);
  cohortEventRoutes(app, deps);
  cohortLeadTimeRoutes(app, deps);
  await importRoutes(app, deps);
  caseRoutes(app, deps);
  assignmentRoutes(app, deps);
  assignedWorkRoutes(app, deps);
  coachingPageRoutes(app, deps);
  markingRoutes(app, deps);
  organisationRoutes(app, deps);
  await schoolRoutes(app, deps);
  await transferRoutes(app, deps);
  reportRoutes(app, deps);
  policyRegisterRoutes(app, deps);
}
