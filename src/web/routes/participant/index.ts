import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';
import { assessmentRoutes } from './assessment.js';
import { assessmentUploadRoutes } from './assessment-upload.js';
import { assessmentDeferralRoutes } from './assessment-deferral.js';
import { calendarRoutes } from './calendar.js';
import { changesRoutes } from './changes.js';
import { deferralRoutes } from './deferral.js';
import { schoolMoveRoutes } from './school-move.js';
import { transferRoutes } from './transfer.js';
import { eventRoutes } from './events.js';
import { coachingRoutes } from './coaching.js';
import { programmeRoutes } from './programme.js';
import { myDataRoutes } from './my-data.js';
import { messageRoutes } from './messages.js';

/** The participant's pages (My programme, study sessions, events, calendar, assessment, changes). */
export async function participantRoutes(app: FastifyInstance, deps: ApiDeps): Promise<void> {
  programmeRoutes(app, deps);
  eventRoutes(app, deps);
  coachingRoutes(app, deps);
  calendarRoutes(app, deps);
  changesRoutes(app, deps);
  deferralRoutes(app, deps);
  schoolMoveRoutes(app, deps);
  transferRoutes(app, deps);
  await assessmentUploadRoutes(app, deps, assessmentRoutes(app, deps));
  assessmentDeferralRoutes(app, deps);
  myDataRoutes(app, deps);
  messageRoutes(app, deps);
}
