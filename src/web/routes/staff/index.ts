import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from '../../api/plugin.js';

/** Pages for delivery-partner staff and the programmes team (dashboards, records, cases, set-up, imports). */
export async function staffRoutes(_app: FastifyInstance, _deps: ApiDeps): Promise<void> {}
