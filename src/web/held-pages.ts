/**
 * Pages held ready to send (issue 13): My programme renders from one snapshot of the enrolment,
 * but rendering it (GOV.UK task lists, summary lists and dates for every module) took about 5 ms of
 * CPU, twenty times the rest of the request. A page is held here, rendered with holes for what
 * differs per request (the CSRF token and the CSP nonce), under:
 *
 * - a key of everything else the page is worked out from that the request brings: who is signed
 *   in (as the session read them), the enrolment as the request found it, the lead provider's name;
 * - the version of the enrolment's engagement answer stored for today (its xmin), read in the same
 *   statement as the snapshot the page was worked out from. Triggers delete that row with any
 *   change to what the page shows (drizzle/0028 and 0030), so while a request finds the same
 *   version, the page is the one it would render;
 * - the London day, and the first instant after which the page would say something else (a booked
 *   event or coaching session starting: it leaves "what is next").
 *
 * A request with a flash message renders live. At most HELD_BYTES bytes in all, the least
 * recently used dropped. A page is held as the bytes between its holes (PreparedPage).
 */
import { randomBytes } from 'node:crypto';
import { LRUCache } from 'lru-cache';

/** Where the request's own values go: random per process, so no page text can look like one. */
export const HELD_PAGE_HOLES = {
  csrf: `csrf${randomBytes(12).toString('hex')}`,
  nonce: `nonce${randomBytes(12).toString('hex')}`,
} as const;

/**
 * The page without the indentation of its template lines: each run of white space that starts a
 * line becomes that line break, outside <pre> and <textarea> (where white space is shown). Shown
 * the same (HTML collapses such white space), a quarter fewer bytes to send on My programme. Not
 * for pages that show text with `white-space: pre-wrap` (the app-pre class) outside those elements.
 */
export function compactHtml(html: string): string {
  return html
    .split(/(<(?:pre|textarea)\b[\s\S]*?<\/(?:pre|textarea)>)/i)
    .map((part, i) => (i % 2 === 1 ? part : part.replace(/\n\s+/g, '\n')))
    .join('');
}

type Hole = keyof typeof HELD_PAGE_HOLES;
const HOLE_PATTERN = new RegExp(`(${HELD_PAGE_HOLES.csrf}|${HELD_PAGE_HOLES.nonce})`);

/** A page with holes, as the bytes between them: filled without searching or re-encoding it. */
export interface PreparedPage {
  /** One more than `holes`: the bytes before each hole, then the rest. */
  readonly chunks: readonly Buffer[];
  readonly holes: readonly Hole[];
  readonly bytes: number;
}

export function prepareHeldPage(html: string): PreparedPage {
  const parts = html.split(HOLE_PATTERN);
  const chunks: Buffer[] = [];
  const holes: Hole[] = [];
  parts.forEach((part, i) => {
    if (i % 2 === 0) chunks.push(Buffer.from(part));
    else holes.push(part === HELD_PAGE_HOLES.csrf ? 'csrf' : 'nonce');
  });
  return { chunks, holes, bytes: chunks.reduce((n, c) => n + c.length, 0) };
}

/** A held page with its holes filled: each filler is called once, only if its hole is there. */
export function fillHeldPage(
  page: PreparedPage,
  fill: { csrf: () => string; nonce: () => string },
): Buffer {
  // The nonce is drawn whether or not the page uses it, as a live render does (the CSP header).
  const values: Partial<Record<Hole, Buffer>> = { nonce: Buffer.from(fill.nonce()) };
  const out: Buffer[] = [];
  let bytes = page.bytes;
  page.chunks.forEach((chunk, i) => {
    out.push(chunk);
    const hole = page.holes[i];
    if (hole === undefined) return;
    const value = (values[hole] ??= Buffer.from(fill[hole]()));
    out.push(value);
    bytes += value.length;
  });
  return Buffer.concat(out, bytes);
}

export interface HeldPage {
  /** The engagement answer's version the page was worked out beside (see above). */
  version: string;
  /** The London day it was worked out for. */
  day: string;
  /** Held until this instant (ms since the epoch), when the page would say something else. */
  until: number;
  page: PreparedPage;
}

const HELD_BYTES = 8 * 1024 * 1024;

export type HeldPages = LRUCache<string, HeldPage>;

export function createHeldPages(maxBytes = HELD_BYTES): HeldPages {
  return new LRUCache<string, HeldPage>({
    maxSize: maxBytes,
    sizeCalculation: (p) => Math.max(1, p.page.bytes),
  });
}

/** The held page for `key` if it is still the one to send on `day` at `now` for `version`. */
export function stillHeld(page: HeldPage | undefined, day: string, now: Date): page is HeldPage {
  return page !== undefined && page.day === day && now.getTime() < page.until;
}

/**
 * The first instant after `now` at which something dated (a booking's start or end) passes, or
 * Infinity: pages compare such instants with the time, so they may change then.
 */
export function heldUntil(now: Date, instants: Iterable<string>): number {
  const t = now.getTime();
  let until = Number.POSITIVE_INFINITY;
  for (const iso of instants) {
    const at = Date.parse(iso);
    if (!Number.isNaN(at) && at > t && at < until) until = at;
  }
  return until;
}
