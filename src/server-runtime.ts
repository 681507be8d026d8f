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
 * How much a WebAssembly function runs (V8's rough count of bytes executed) before V8 compiles it
 * again with its optimising compiler; V8's default is 1,800,000. The embedded database (PGlite) is
 * one large WebAssembly module, and at the default its start-up code was re-compiled on both cores
 * while it ran once, competing with the start itself. At 50,000,000 only code that keeps running
 * is optimised: the first page came 0.2–0.5 s sooner, and queries run once warm took as long as
 * with the default (measured side by side, issue 13, session 13). No effect on PostgreSQL servers.
 */
export const WASM_TIERING_BUDGET = 50_000_000;

/**
 * Called by `serve` (and the HTTP bench's copy of it) first, before the embedded database is
 * compiled and before the app handles requests. The heap flag is read at every collection and the
 * tiering budget when a WebAssembly module is instantiated, so both take effect when set here.
 */
export function tuneServerRuntime(): void {
  v8.setFlagsFromString(`--heap-growing-percent=${SERVER_HEAP_GROWING_PERCENT}`);
  v8.setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
}
