import type { ApiModule } from './plugin.js';

/** School moves and transfers: routes under /api/v1. */
export const schoolMovesApi: ApiModule = () => undefined;
