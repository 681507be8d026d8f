import type { BookingView, CoachingSessionView } from '../../../services/bookings.js';
import type { ModuleSchedule } from './queries.js';

/**
 * The summary at the top of My programme: the next three things to do or attend, and which module
 * is "current" (shown open while the others are folded to one line).
 */

export interface ProgrammeSession {
  activityId: number;
  moduleId: number | null;
  title: string;
  state: 'done' | 'open' | 'locked';
  href: string;
}

export interface NextThing {
  kind: 'study_session' | 'clinic' | 'community_session' | 'conference' | 'coaching';
  /** "Study session", "Clinic", … */
  label: string;
  title: string;
  href: string;
  /** When it takes place (events) or, for a study session, the end of its module's ideal window. */
  on: string;
  /** Events: their start time; study sessions have none. */
  startsAt: string | null;
}

const LABELS: Record<NextThing['kind'], string> = {
  study_session: 'Study session',
  clinic: 'Clinic',
  community_session: 'Community session',
  conference: 'Conference',
  coaching: 'Coaching',
};

/**
 * Open study sessions (dated by the end of their module's ideal two-week window, 2.2.1.1) and the
 * booked events and coaching still to come, soonest first; the first `limit` of them. Ties keep
 * programme order (sessions in sequence, then events by start time).
 */
export function nextThings(
  input: {
    sessions: readonly ProgrammeSession[];
    modules: readonly ModuleSchedule[];
    bookings: { events: readonly BookingView[]; coaching: readonly CoachingSessionView[] };
    now: Date;
  },
  limit = 3,
): NextThing[] {
  const windowEnd = new Map(input.modules.map((m) => [m.id, m.idealWindowEnd]));
  const londonDay = (iso: string) =>
    new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/London' }).format(new Date(iso));
  const things: NextThing[] = [];
  for (const s of input.sessions) {
    if (s.state !== 'open') continue;
    things.push({
      kind: 'study_session',
      label: LABELS.study_session,
      title: s.title,
      href: s.href,
      on: (s.moduleId !== null ? windowEnd.get(s.moduleId) : undefined) ?? '',
      startsAt: null,
    });
  }
  const upcoming = (startsAt: string, status: string) =>
    status === 'booked' && new Date(startsAt).getTime() > input.now.getTime();
  for (const b of input.bookings.events) {
    if (!upcoming(b.startsAt, b.status) || !(b.kind in LABELS)) continue;
    const kind = b.kind as NextThing['kind'];
    things.push({
      kind,
      label: LABELS[kind],
      title: b.title,
      href: '/events',
      on: londonDay(b.startsAt),
      startsAt: b.startsAt,
    });
  }
  for (const c of input.bookings.coaching) {
    if (!upcoming(c.startsAt, c.status)) continue;
    things.push({
      kind: 'coaching',
      label: LABELS.coaching,
      title: `${c.title} with ${c.coachName}`,
      href: '/coaching/book',
      on: londonDay(c.startsAt),
      startsAt: c.startsAt,
    });
  }
  // A stable sort: sessions stay in sequence, events in time order, within each day.
  return things
    .map((t, i) => ({ t, i }))
    .sort((a, b) => (a.t.on < b.t.on ? -1 : a.t.on > b.t.on ? 1 : a.i - b.i))
    .slice(0, limit)
    .map(({ t }) => t);
}

/**
 * The module to show open: the one holding the next open session; otherwise the latest released
 * module (everything released is done, or the participant waits for the next release); otherwise
 * the first.
 */
export function currentModuleId(
  sessions: readonly ProgrammeSession[],
  modules: readonly (ModuleSchedule & { released: boolean })[],
): number | null {
  const next = sessions.find((s) => s.state === 'open');
  if (next?.moduleId != null) return next.moduleId;
  const released = modules.filter((m) => m.released);
  return (released.at(-1) ?? modules[0])?.id ?? null;
}
