/**
 * Calendar dates for the policy. Every deadline in the policy is a calendar day in England
 * ("an 8-day window", "the agreed restart date"), so rules take ISO dates ('YYYY-MM-DD'), never
 * instants. Callers turn an instant into the day it falls on in England with `londonDateOf`.
 */

/** A calendar date written 'YYYY-MM-DD'. */
export type IsoDate = string;

const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const MS_PER_DAY = 86_400_000;

/** Days since 1970-01-01; throws on anything that is not a real calendar date. */
export function dayNumber(date: IsoDate): number {
  const match = ISO_DATE.exec(date);
  if (!match)
    throw new RangeError(`Not an ISO calendar date (YYYY-MM-DD): ${JSON.stringify(date)}`);
  const [, y, m, d] = match;
  const ms = Date.UTC(Number(y), Number(m) - 1, Number(d));
  const day = ms / MS_PER_DAY;
  if (fromDayNumber(day) !== date) throw new RangeError(`No such calendar date: ${date}`);
  return day;
}

export function fromDayNumber(day: number): IsoDate {
  return new Date(day * MS_PER_DAY).toISOString().slice(0, 10);
}

export function isIsoDate(value: string): boolean {
  try {
    dayNumber(value);
    return true;
  } catch {
    return false;
  }
}

export function addDays(date: IsoDate, days: number): IsoDate {
  return fromDayNumber(dayNumber(date) + days);
}

/** Whole days from `from` to `to` (negative when `to` is earlier). */
export function daysBetween(from: IsoDate, to: IsoDate): number {
  return dayNumber(to) - dayNumber(from);
}

export function compareDates(a: IsoDate, b: IsoDate): number {
  return dayNumber(a) - dayNumber(b);
}

export function isBefore(a: IsoDate, b: IsoDate): boolean {
  return compareDates(a, b) < 0;
}

export function isOnOrBefore(a: IsoDate, b: IsoDate): boolean {
  return compareDates(a, b) <= 0;
}

export function maxDate(a: IsoDate, b: IsoDate): IsoDate {
  return isBefore(a, b) ? b : a;
}

// The two formatters are built once, at module load, so Stryker cannot switch their locale and
// time-zone strings per test and reports them as survived. Applied by hand (sessions 10 and 11),
// each '' makes the constructor throw a RangeError and the module fail to load, so every test of
// it fails: they are killed, not equivalent. What the strings decide is tested through
// londonDateOf (days across BST) and formatLongDate (the words).
// Stryker disable next-line StringLiteral: built at module load; '' throws a RangeError (see above)
const LONDON_DAY = new Intl.DateTimeFormat('en-CA', {
  // Stryker disable next-line StringLiteral: built at module load; '' throws a RangeError (see above)
  timeZone: 'Europe/London',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
});

/** The calendar day in England on which an instant falls (a submission at 00:30 BST counts for that day). */
export function londonDateOf(instant: Date): IsoDate {
  // Since 1848 England's clocks differ from UTC by whole hours, so its days change only on the
  // hour (UTC): the day of the last hour asked about is kept, and most calls (every API request
  // asks for today) skip the formatter, which cost more than the rest of a stored answer's read.
  const ms = instant.getTime();
  const hour = Math.floor(ms / MS_PER_HOUR);
  if (hour === lastHour) return lastDay;
  const day = londonDateByFormatter(instant);
  if (ms >= WHOLE_HOURS_SINCE) [lastHour, lastDay] = [hour, day];
  return day;
}

const MS_PER_HOUR = 3_600_000;
/** 1848-01-01: before it London kept local mean time, 1 minute 15 seconds behind Greenwich. */
const WHOLE_HOURS_SINCE = Date.UTC(1848, 0, 1);
let lastHour = Number.NaN;
let lastDay = '';

/** londonDateOf without the kept hour (the tests hold the two equal). */
export function londonDateByFormatter(instant: Date): IsoDate {
  const parts = Object.fromEntries(LONDON_DAY.formatToParts(instant).map((p) => [p.type, p.value]));
  return `${parts['year']}-${parts['month']}-${parts['day']}`;
}

// Stryker disable next-line StringLiteral: built at module load; '' throws a RangeError (see above)
const LONG_DATE = new Intl.DateTimeFormat('en-GB', {
  // Stryker disable next-line StringLiteral: built at module load; '' throws a RangeError (see above)
  timeZone: 'UTC',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});

/** '2026-03-05' -> '5 March 2026', for messages a participant reads. */
export function formatLongDate(date: IsoDate): string {
  return LONG_DATE.format(new Date(dayNumber(date) * MS_PER_DAY));
}
