import type { ApiModule } from './plugin.js';

/** Withdrawals: routes under /api/v1. */
export const withdrawalsApi: ApiModule = () => undefined;
