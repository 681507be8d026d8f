import type { FastifyInstance } from 'fastify';
import type { ApiDeps } from './api/plugin.js';

/** xAPI statements from the learning platform: POST /xapi/statements (outside /api/v1, as xAPI clients expect). */
export function xapiRoutes(_app: FastifyInstance, _deps: ApiDeps): void {}
