import type { ApiModule } from './plugin.js';

/** Bookings: routes under /api/v1. */
export const bookingsApi: ApiModule = () => undefined;
