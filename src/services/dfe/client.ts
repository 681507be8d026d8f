import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './contract.js';

/** The DfE lead provider API v3, typed from the contract (see contracts/). */
export type DfeClient = Client<paths>;
export type { paths as DfePaths, components as DfeComponents } from './contract.js';

export interface DfeApiSettings {
  /** The API's base address, e.g. https://sandbox.npq.education.gov.uk (no /api/v3). */
  readonly url: string;
  /** The lead provider's bearer token. */
  readonly token: string;
}

export interface DfeClientOptions {
  /** Gives up on a request after this long (the caller retries with backoff). */
  readonly timeoutMs?: number;
  /** For tests: a fetch to use instead of the global one. */
  readonly fetch?: (request: Request, init?: RequestInit) => Promise<Response>;
  /**
   * Outside production only: sent as `X-With-Server-Date`, the DfE sandbox's way of acting as
   * of another date.
   */
  readonly serverDate?: string;
}

const DEFAULT_TIMEOUT_MS = 15_000;

/** A typed client for the DfE API; every request carries the bearer token and a timeout. */
export function createDfeClient(
  settings: DfeApiSettings,
  options: DfeClientOptions = {},
): DfeClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const baseFetch =
    options.fetch ?? ((request: Request, init?: RequestInit) => fetch(request, init));
  return createClient<paths>({
    baseUrl: settings.url.replace(/\/+$/, ''),
    headers: {
      Authorization: `Bearer ${settings.token}`,
      Accept: 'application/json',
      ...(options.serverDate ? { 'X-With-Server-Date': options.serverDate } : {}),
    },
    fetch: (request: Request) => baseFetch(request, { signal: AbortSignal.timeout(timeoutMs) }),
  });
}
