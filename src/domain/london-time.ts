/**
 * Wall-clock time in England. Programme events happen at a London time (a clinic at 3:30pm), and
 * the instant that means moves by an hour with the clocks; these convert between the two.
 */
const LONDON_PARTS = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
});

/** An instant as the London date (YYYY-MM-DD) and time (HH:MM). */
export function londonDateTime(ms: number): { date: string; time: string } {
  const p = Object.fromEntries(
    LONDON_PARTS.formatToParts(new Date(ms)).map((x) => [x.type, x.value]),
  );
  return { date: `${p.year}-${p.month}-${p.day}`, time: `${p.hour}:${p.minute}` };
}

/** A London date and time back to the instant, whatever the clocks were doing that day. */
export function londonInstant(date: string, time: string): Date {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  const [hh, mm] = time.split(':').map(Number) as [number, number];
  const asUtc = Date.UTC(y, m - 1, d, hh, mm);
  const shown = londonDateTime(asUtc);
  const [sy, sm, sd] = shown.date.split('-').map(Number) as [number, number, number];
  const [sh, smin] = shown.time.split(':').map(Number) as [number, number];
  const offset = Date.UTC(sy, sm - 1, sd, sh, smin) - asUtc;
  return new Date(asUtc - offset);
}

/**
 * Reads an instant built as "midnight UTC of a day + hours" as that wall time in London: the
 * seed's and the cohort set-up's pattern ("day 22 at 15:30") means 3:30pm local, summer or winter.
 */
export function asLondonWallTime(ms: number): number {
  const iso = new Date(ms).toISOString();
  return londonInstant(iso.slice(0, 10), iso.slice(11, 16)).getTime();
}
