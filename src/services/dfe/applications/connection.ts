import { createDfeClient, type DfeApiSettings, type DfeClient } from '../client.js';

/** The DfE client for these settings, or null when DfE sync is off (no DFE_API_URL and token). */
export function dfeClientFor(settings: DfeApiSettings | null | undefined): DfeClient | null {
  return settings ? createDfeClient(settings) : null;
}
