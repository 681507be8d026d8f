import type { ApiModule } from './plugin.js';

/** Deferral cases: routes under /api/v1. */
export const deferralCasesApi: ApiModule = () => undefined;
