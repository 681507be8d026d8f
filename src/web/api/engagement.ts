import type { ApiModule } from './plugin.js';

/** Engagement (helper: engagement and bookings): routes under /api/v1. */
export const engagementApi: ApiModule = () => undefined;
