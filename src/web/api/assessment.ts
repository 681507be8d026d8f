import type { ApiModule } from './plugin.js';

/** Assessment windows, submissions and assessment deferrals: routes under /api/v1. */
export const assessmentApi: ApiModule = () => undefined;
