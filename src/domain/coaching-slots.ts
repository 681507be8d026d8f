/**
 * A coach's availability slot (policy 2.2.1.3: coaching is booked around the participant's and the
 * coach's availability): what makes one sensible, checked before anything is stored. Pure.
 */
import { londonDateTime, londonInstant } from './london-time.js';

/** The lengths a coach can offer, in minutes. */
export const SLOT_MINUTES = ['30', '45', '60', '90'] as const;
export type SlotMinutes = (typeof SLOT_MINUTES)[number];

export const SLOT_MODES = ['online', 'in_person'] as const;
export type SlotMode = (typeof SLOT_MODES)[number];

/** Coaching happens in a working day: from 7am, finishing by 9pm (London time). */
export const EARLIEST_START = '07:00';
export const LATEST_END = '21:00';

export interface SlotFields {
  day: string;
  month: string;
  year: string;
  startTime: string;
  minutes: string;
  mode: string;
  place: string;
}

export interface SlotCheck {
  /** Today in London (YYYY-MM-DD). */
  today: string;
  /** The first and last day of the coach's participants' coaching programmes (cohort dates). */
  from: string | null;
  to: string | null;
}

export interface ValidSlot {
  date: string;
  startsAt: Date;
  endsAt: Date;
  mode: SlotMode;
  place: string;
}

export interface SlotFieldError {
  field: 'date' | 'startTime' | 'minutes' | 'mode' | 'place';
  message: string;
}

const pad = (s: string) => s.trim().padStart(2, '0');

function realDate(y: string, m: string, d: string): string | null {
  if (!/^\d{4}$/.test(y.trim()) || !/^\d{1,2}$/.test(m.trim()) || !/^\d{1,2}$/.test(d.trim())) {
    return null;
  }
  const iso = `${y.trim()}-${pad(m)}-${pad(d)}`;
  const t = new Date(`${iso}T12:00:00Z`);
  return !Number.isNaN(t.getTime()) && t.toISOString().slice(0, 10) === iso ? iso : null;
}

const longDate = (iso: string) =>
  new Date(`${iso}T12:00:00Z`).toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });

/** Checks a slot as typed; either the slot or the problems, one per field, in page order. */
export function checkSlot(
  fields: SlotFields,
  check: SlotCheck,
): { ok: true; slot: ValidSlot } | { ok: false; errors: SlotFieldError[] } {
  const errors: SlotFieldError[] = [];
  const date = realDate(fields.year, fields.month, fields.day);
  if (!fields.day.trim() && !fields.month.trim() && !fields.year.trim()) {
    errors.push({ field: 'date', message: 'Enter the date of the slot' });
  } else if (!date) {
    errors.push({ field: 'date', message: 'The date must be a real date, like 27 4 2026' });
  } else if (date <= check.today) {
    errors.push({ field: 'date', message: 'The date must be in the future (from tomorrow)' });
  } else if (check.from === null || check.to === null) {
    errors.push({
      field: 'date',
      message: 'You have no NPQEL or EHCO participants yet, so there is no programme to coach in',
    });
  } else if (date < check.from || date > check.to) {
    errors.push({
      field: 'date',
      message: `The date must be within your participants' programmes, ${longDate(check.from)} to ${longDate(check.to)}`,
    });
  }
  const time = fields.startTime.trim().replace('.', ':');
  const timeOk = /^([01]?\d|2[0-3]):[0-5]\d$/.test(time);
  const minutes = (SLOT_MINUTES as readonly string[]).includes(fields.minutes)
    ? Number(fields.minutes)
    : null;
  if (!time) {
    errors.push({ field: 'startTime', message: 'Enter a start time, like 16:30' });
  } else if (!timeOk) {
    errors.push({
      field: 'startTime',
      message: 'Enter a start time in the 24-hour clock, like 16:30',
    });
  } else {
    const start = time.padStart(5, '0');
    const endMinutes = Number(start.slice(0, 2)) * 60 + Number(start.slice(3, 5)) + (minutes ?? 30);
    const latest = Number(LATEST_END.slice(0, 2)) * 60;
    if (start < EARLIEST_START || endMinutes > latest) {
      errors.push({
        field: 'startTime',
        message: 'Coaching starts from 7:00 and finishes by 21:00',
      });
    }
  }
  if (minutes === null) errors.push({ field: 'minutes', message: 'Choose how long the slot is' });
  const mode = (SLOT_MODES as readonly string[]).includes(fields.mode)
    ? (fields.mode as SlotMode)
    : null;
  if (!mode) errors.push({ field: 'mode', message: 'Choose online or in person' });
  const place = fields.place.trim().replace(/\s+/g, ' ');
  if (mode && !place) {
    errors.push({
      field: 'place',
      message:
        mode === 'online' ? 'Enter the link to the online meeting' : 'Enter where you will meet',
    });
  } else if (place.length > 200) {
    errors.push({ field: 'place', message: 'The place must be 200 characters or fewer' });
  } else if (mode === 'online' && place && !/^https:\/\/\S+$/.test(place)) {
    errors.push({
      field: 'place',
      message: 'Enter the meeting link starting with https://, like https://meet.example.org/abc',
    });
  }
  if (errors.length > 0 || !date || !mode || minutes === null) return { ok: false, errors };
  const startsAt = londonInstant(date, time.padStart(5, '0'));
  // A time the clocks skip (1:30am in March) never passes the hours check above.
  const shown = londonDateTime(startsAt.getTime());
  if (shown.date !== date) {
    return { ok: false, errors: [{ field: 'startTime', message: 'Enter a real time' }] };
  }
  return {
    ok: true,
    slot: {
      date,
      startsAt,
      endsAt: new Date(startsAt.getTime() + minutes * 60_000),
      mode,
      place,
    },
  };
}

/** How a slot's place reads: "Online (https://…)" or "In person: Room 4, …". */
export function placeText(mode: string, place: string): string {
  return mode === 'online' ? `Online: ${place}` : `In person: ${place}`;
}
