/**
 * The reminders and notices participants are sent (issue 14): which the participant may turn off
 * (nudges) and which the policy requires, and when in the day a message goes out. Pure.
 */
import { londonDateTime, londonInstant } from './london-time.js';
import type { NoticeTemplateKey } from './notice-templates.js';

export interface NoticeKind {
  readonly template: NoticeTemplateKey;
  /** A nudge the participant may turn off; false: a notice the policy requires. */
  readonly nudge: boolean;
  /** The clause that asks for it, if any. */
  readonly clause: string | null;
  /** What it is, as the settings page and the docs list it. */
  readonly label: string;
}

export const NOTICE_KINDS = {
  module_released: {
    template: 'notice_module_released',
    nudge: false,
    clause: '2.2.1.1',
    label: 'A module is released',
  },
  behind_window: {
    template: 'notice_behind_window',
    nudge: true,
    clause: '2.2.1.1',
    label: 'You are behind the ideal two weeks of a module (at most once a fortnight)',
  },
  event_published: {
    template: 'notice_event_published',
    nudge: false,
    clause: '2.2.1.2',
    label: 'Clinic, community session and conference dates are published',
  },
  event_upcoming: {
    template: 'notice_event_upcoming',
    nudge: false,
    clause: '2.2.1.4',
    label: 'A community session or conference is two weeks away',
  },
  booking: {
    template: 'notice_booking',
    nudge: false,
    clause: '2.2.1.2',
    label: 'Your booking is confirmed, changed or cancelled',
  },
  event_reminder: {
    template: 'notice_event_reminder',
    nudge: true,
    clause: null,
    label: 'The day before something you booked',
  },
  coaching: {
    template: 'notice_coaching',
    nudge: false,
    clause: '2.2.1.3',
    label: 'Your coaching is booked, changed or cancelled',
  },
  coaching_reminder: {
    template: 'notice_coaching_reminder',
    nudge: true,
    clause: null,
    label: 'The day before your coaching',
  },
  deadline: {
    template: 'notice_deadline',
    nudge: false,
    clause: '2.1.1',
    label: 'The engagement deadline is four weeks and one week away',
  },
  unreachable: {
    template: 'notice_unreachable',
    nudge: false,
    clause: '2.1.1',
    label: 'The engagement requirement can no longer be reached',
  },
  window_opening: {
    template: 'notice_window_opening',
    nudge: false,
    clause: '2.2.1.5',
    label: 'Your assessment window opens',
  },
  window_closing: {
    template: 'notice_window_closing',
    nudge: false,
    clause: '2.2.1.5',
    label: 'Two days before your assessment window closes, if you have not submitted',
  },
  decision: {
    template: 'notice_decision',
    nudge: false,
    clause: null,
    label: 'A decision on your requests (deferral, assessment deferral, school move, transfer)',
  },
  assessment_outcome: {
    template: 'notice_assessment_outcome',
    nudge: false,
    clause: '2.5.1',
    label: 'Your assessment is marked, with a link to your feedback',
  },
  intent_request: {
    template: 'notice_intent_request',
    nudge: false,
    clause: '2.3.7',
    label: 'Before your restart date: are you returning?',
  },
} as const satisfies Record<string, NoticeKind>;

export type NoticeKindKey = keyof typeof NOTICE_KINDS;

/** Messages go out between 8am and 8pm in England; outside those hours, at the next 8am. */
export const SEND_FROM = '08:00';
export const SEND_UNTIL = '20:00';

/** When a message queued at `at` should be sent: now if it is daytime in London, else the next 8am. */
export function sensibleSendTime(at: Date): Date {
  const { date, time } = londonDateTime(at.getTime());
  if (time >= SEND_FROM && time < SEND_UNTIL) return at;
  if (time < SEND_FROM) return londonInstant(date, SEND_FROM);
  const next = new Date(`${date}T12:00:00Z`);
  next.setUTCDate(next.getUTCDate() + 1);
  return londonInstant(next.toISOString().slice(0, 10), SEND_FROM);
}

/** An engagement figure in basis points as people read it: 7250 → "72.5%". */
export function percentText(basisPoints: number): string {
  const tenths = Math.floor(basisPoints / 10);
  return `${Math.floor(tenths / 10)}${tenths % 10 === 0 ? '' : `.${tenths % 10}`}%`;
}

/** A link in an email: the app's public address and the page's path. */
export function absoluteLink(publicUrl: string | undefined, path: string): string {
  return `${(publicUrl ?? '').replace(/\/+$/, '')}${path}`;
}

const DAY = new Intl.DateTimeFormat('en-GB', {
  timeZone: 'Europe/London',
  weekday: 'long',
  day: 'numeric',
  month: 'long',
  year: 'numeric',
});

/** "Tuesday 3 March 2026" in England. */
export function londonDay(at: Date): string {
  return DAY.format(at).replace(',', '');
}

/** "3:30pm", "9am", "midday" in England (GOV.UK style). */
export function londonClock(at: Date): string {
  const [hh, mm] = londonDateTime(at.getTime()).time.split(':').map(Number) as [number, number];
  if (hh === 12 && mm === 0) return 'midday';
  if (hh === 0 && mm === 0) return 'midnight';
  const hour = hh % 12 === 0 ? 12 : hh % 12;
  return `${hour}${mm === 0 ? '' : `:${String(mm).padStart(2, '0')}`}${hh < 12 ? 'am' : 'pm'}`;
}

/** "Tuesday 3 March 2026, 3:30pm to 4:30pm". */
export function eventWhen(startsAt: Date, endsAt: Date): string {
  return `${londonDay(startsAt)}, ${londonClock(startsAt)} to ${londonClock(endsAt)}`;
}
