import type { ApiModule } from './plugin.js';
import { participantsApi } from './participants.js';

/** Every API area, in the order their routes appear in the OpenAPI document. */
export const API_MODULES: readonly ApiModule[] = [participantsApi];
