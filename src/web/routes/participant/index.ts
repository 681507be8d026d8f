import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';

/** The participant's pages (My programme, study sessions, events, calendar, assessment, changes). */
export async function participantRoutes(_app: FastifyInstance, _deps: ApiDeps): Promise<void> {}
