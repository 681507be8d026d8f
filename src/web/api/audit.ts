import type { ApiModule } from './plugin.js';

/** The audit log for a participant and for a case: routes under /api/v1. */
export const auditApi: ApiModule = () => undefined;
