/**
 * The dated schedule of a cohort, computed from its programme plan and year: module releases per
 * half term, event slots, assessment windows. Pure functions over UTC epoch milliseconds.
 */
import type { PlannedActivity, ProgrammePlan } from './catalogue.js';
import { asLondonWallTime } from '../../domain/london-time.js';

export const MINUTE = 60_000;
export const HOUR = 60 * MINUTE;
export const DAY = 24 * HOUR;

export function utc(year: number, month: number, day: number, hour = 0, minute = 0): number {
  return Date.UTC(year, month - 1, day, hour, minute);
}

/** 'YYYY-MM-DD' of an instant (UTC). */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

export function mondayOnOrAfter(ms: number): number {
  const dow = new Date(ms).getUTCDay(); // 0 = Sunday
  return ms + ((8 - dow) % 7) * DAY;
}

/** Ideal window: two weeks from release (release day plus 13 days). */
export const IDEAL_WINDOW_DAYS = 13;
/** Module content is released this many days before its ideal window (2.2.1.1; a cohort setting). */
export const RELEASE_LEAD_DAYS = 7;
/** Assessment windows last 8 days: closes_on = opens_on + 7. */
export const ASSESSMENT_WINDOW_DAYS = 8;

export interface EventSlot {
  startsAt: number;
  endsAt: number;
  location: string;
  /** Clinics have a capacity; community sessions and conferences do not. */
  capacity: number | null;
}

export interface ScheduledActivity {
  activity: PlannedActivity;
  /** When an on-track participant would complete it (for self-paced activities). */
  idealAt: number;
  /** Dated slots for clinics, community sessions and conferences; empty for self-paced ones. */
  slots: EventSlot[];
}

export interface CohortSchedule {
  startDate: string;
  engagementDeadline: string;
  endDate: string;
  /** Release instant per module position (index 0 = module 1). */
  releases: number[];
  assessmentWindows: { opensOn: string; closesOn: string }[];
  activities: ScheduledActivity[];
  /** Published ahead of the start so part-time participants can plan (policy 2.2.1.2, 2.2.1.4). */
  publishedOn: string;
}

/** Half-term starts of the academic year beginning in September of `year` (approximate). */
function halfTermStarts(year: number): number[] {
  return [
    utc(year, 10, 6),
    utc(year, 11, 3),
    utc(year + 1, 1, 5),
    utc(year + 1, 2, 23),
    utc(year + 1, 4, 20),
    utc(year + 1, 6, 8),
  ].map(mondayOnOrAfter);
}

const CONFERENCE_VENUES = ['The ICC, Birmingham', 'Manchester Central'] as const;

export function cohortSchedule(
  plan: ProgrammePlan,
  year: number,
  clinicCapacity: number,
): CohortSchedule {
  const terms = halfTermStarts(year);
  if (plan.modules.length > terms.length) {
    throw new Error(`${plan.course.code} has more modules than half terms`);
  }
  const releases = plan.modules.map((_, i) => terms[i]!);
  const start = releases[0]!;
  const leadership = plan.course.group === 'leadership';
  const engagementDeadline = leadership ? utc(year + 1, 9, 11) : utc(year + 1, 5, 15);
  const windowOpens = leadership
    ? [utc(year + 1, 9, 22), utc(year + 1, 11, 24)]
    : [utc(year + 1, 6, 2), utc(year + 1, 7, 7)];
  const endDate = leadership ? utc(year + 2, 2, 25) : utc(year + 1, 8, 21);
  const midpoint = Math.ceil(plan.modules.length / 2);

  // Which coaching conversation of its module an activity is (EHCO has two per module).
  const coachingIndex = new Map<PlannedActivity, number>();
  const seen = new Map<number, number>();
  for (const a of plan.activities) {
    if (a.kind !== 'coaching' || a.modulePosition === null) continue;
    const n = seen.get(a.modulePosition) ?? 0;
    coachingIndex.set(a, n);
    seen.set(a.modulePosition, n + 1);
  }

  const activities = plan.activities.map((activity): ScheduledActivity => {
    const release = activity.modulePosition ? releases[activity.modulePosition - 1]! : start;
    // Pattern times are London wall-clock times: 3:30pm stays 3:30pm when the clocks change.
    const slot = (pattern: number, minutes: number, location: string, capacity: number | null) => {
      const at = asLondonWallTime(pattern);
      return { startsAt: at, endsAt: at + minutes * MINUTE, location, capacity };
    };
    switch (activity.kind) {
      case 'study_session':
        // Six sessions inside the two-week ideal window, every other day from release.
        return {
          activity,
          idealAt: release + ((activity.sessionNumber ?? 1) - 1) * 2 * DAY + 17 * HOUR,
          slots: [],
        };
      case 'community_session': {
        const slots = [
          slot(release + 15 * DAY + 16 * HOUR, activity.plannedMinutes, 'Online', null),
          slot(release + 17 * DAY + 19 * HOUR, activity.plannedMinutes, 'Online', null),
        ];
        return { activity, idealAt: slots[0]!.startsAt, slots };
      }
      case 'clinic': {
        const slots = [
          slot(
            release + 22 * DAY + 15 * HOUR + 30 * MINUTE,
            activity.plannedMinutes,
            'Online',
            clinicCapacity,
          ),
          slot(release + 23 * DAY + 16 * HOUR, activity.plannedMinutes, 'Online', clinicCapacity),
          slot(
            release + 24 * DAY + 7 * HOUR + 30 * MINUTE,
            activity.plannedMinutes,
            'Online',
            clinicCapacity,
          ),
        ];
        return { activity, idealAt: slots[0]!.startsAt, slots };
      }
      case 'coaching':
        // Scheduled with the coach after the module's clinic; EHCO's second conversation a week later.
        return {
          activity,
          idealAt: release + (25 + 2 * (coachingIndex.get(activity) ?? 0)) * DAY + 16 * HOUR,
          slots: [],
        };
      case 'conference': {
        const day = activity.sequenceNumber === 1 ? start : releases[midpoint - 1]! + 30 * DAY;
        const venue = CONFERENCE_VENUES[(activity.sequenceNumber - 1) % CONFERENCE_VENUES.length]!;
        const slots = [slot(day + 9 * HOUR, activity.plannedMinutes, venue, null)];
        return { activity, idealAt: slots[0]!.startsAt, slots };
      }
    }
  });

  return {
    startDate: isoDate(start),
    engagementDeadline: isoDate(engagementDeadline),
    endDate: isoDate(endDate),
    releases,
    assessmentWindows: windowOpens.map((opens) => ({
      opensOn: isoDate(opens),
      closesOn: isoDate(opens + (ASSESSMENT_WINDOW_DAYS - 1) * DAY),
    })),
    activities,
    publishedOn: isoDate(start - 42 * DAY),
  };
}
