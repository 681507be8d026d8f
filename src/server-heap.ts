import v8 from 'node:v8';

/**
 * How far V8 lets the server's old generation grow past what the last full collection kept before
 * it collects again, in percent. V8 picks a factor of up to 4 on its own when the CPU is idle
 * enough, so a server whose live heap is about 50 MiB sat at 260–310 MiB resident after the HTTP
 * bench's load, nearly all of it garbage waiting for a collection that the heap's headroom never
 * forced. At 50% the same load leaves it at about 190 MiB (peak under 200) with no measurable
 * loss of throughput: the extra full collections are incremental and concurrent. Measured on the
 * 100,000-participant bench (issue 13, session 13; see the README).
 */
export const SERVER_HEAP_GROWING_PERCENT = 50;

/**
 * Called once by `serve` (and the HTTP bench's copy of it) before the app handles requests. The
 * flag is read at every collection, so setting it after start-up takes effect from the next one.
 */
export function tuneServerHeap(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${SERVER_HEAP_GROWING_PERCENT}`);
}
