/**
 * Calls to the DfE that may meet a timeout, a dropped connection, a 429 or a 5xx are tried again
 * after a growing pause; anything else (a 4xx: the DfE refused) is returned at once.
 */

export interface RetryOptions {
  /** Attempts in all, the first included (default 4). */
  attempts?: number;
  /** Pause before each retry, in ms (default 1 s, 4 s, 15 s; the last one repeats). */
  backoffMs?: readonly number[];
  /** For tests: how to wait (default setTimeout). */
  sleep?: (ms: number) => Promise<void>;
}

export const DEFAULT_BACKOFF_MS = [1_000, 4_000, 15_000] as const;

/** A DfE call that did not answer usefully: a transient failure after every retry, or a refusal. */
export class DfeCallError extends Error {
  constructor(
    message: string,
    /** The HTTP status, or null for a timeout or a connection that failed. */
    readonly status: number | null,
    readonly transient: boolean,
  ) {
    super(message);
  }
}

const sleepFor = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export function isTransientStatus(status: number): boolean {
  return status === 429 || status >= 500;
}

/** What went wrong with a fetch that threw, in words fit for the sync page and the logs. */
export function describeFetchFailure(error: unknown): string {
  const name = (error as { name?: string } | null)?.name;
  if (name === 'TimeoutError' || name === 'AbortError') return 'The DfE did not answer in time';
  return 'Could not reach the DfE';
}

/**
 * Runs `call` until it answers with a status that is not transient, up to `attempts` times.
 * Returns the answer and how many retries it took; throws DfeCallError when every attempt failed.
 */
export async function withRetry<T extends { response: Response }>(
  call: () => Promise<T>,
  options: RetryOptions = {},
): Promise<{ result: T; retries: number }> {
  const attempts = Math.max(1, options.attempts ?? 4);
  const backoff = options.backoffMs ?? DEFAULT_BACKOFF_MS;
  const sleep = options.sleep ?? sleepFor;
  let last: DfeCallError | undefined;
  for (let attempt = 1; attempt <= attempts; attempt += 1) {
    if (attempt > 1) await sleep(backoff[Math.min(attempt - 2, backoff.length - 1)] ?? 0);
    try {
      const result = await call();
      if (!isTransientStatus(result.response.status)) return { result, retries: attempt - 1 };
      last = new DfeCallError(
        `The DfE answered ${result.response.status}`,
        result.response.status,
        true,
      );
    } catch (error) {
      last = new DfeCallError(describeFetchFailure(error), null, true);
    }
  }
  throw new DfeCallError(
    `${last?.message ?? 'The DfE did not answer'} (${attempts} attempts)`,
    last?.status ?? null,
    true,
  );
}

/** The DfE's own words from an error body: `errors[].title: detail`, or `error`. */
export function dfeMessage(body: unknown): string {
  const b = body as { errors?: { title?: unknown; detail?: unknown }[]; error?: unknown } | null;
  if (b && Array.isArray(b.errors) && b.errors.length > 0)
    return b.errors
      .map((e) => [e.title, e.detail].filter((x) => typeof x === 'string' && x).join(': '))
      .join('; ');
  if (b && typeof b.error === 'string') return b.error;
  return 'No message';
}
