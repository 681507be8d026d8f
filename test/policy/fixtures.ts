/**
 * A small but realistic programme for the policy tests: three six-week modules of six 50-minute
 * study sessions, a clinic and a one-hour community session per module, an opening conference and
 * (for coaching courses) two coaching sessions. Two cohorts a year apart follow the same plan.
 */
import type { CourseIdentifier } from '../../src/domain/catalogue.js';
import { addDays } from '../../src/policy/dates.js';
import type { IsoDate } from '../../src/policy/dates.js';
import type { Cohort } from '../../src/policy/deferral.js';
import type { RequiredActivity } from '../../src/policy/engagement.js';
import type { StudyModule, StudySession } from '../../src/policy/access.js';

export const MODULE_COUNT = 3;
export const SESSIONS_PER_MODULE = 6;
export const MODULE_DAYS = 42;

/** Day offset from cohort start for each activity, and its plan. */
interface PlannedActivity {
  readonly activity: RequiredActivity;
  readonly offset: number;
}

function plan(): PlannedActivity[] {
  const out: PlannedActivity[] = [
    {
      offset: 0,
      activity: {
        id: 'conf-1',
        kind: 'conference',
        sequence: 0,
        plannedMinutes: 300,
        title: 'the opening conference',
      },
    },
  ];
  for (let m = 1; m <= MODULE_COUNT; m += 1) {
    const start = (m - 1) * MODULE_DAYS;
    for (let s = 1; s <= SESSIONS_PER_MODULE; s += 1) {
      out.push({
        offset: start + (s - 1) * 2,
        activity: {
          id: `m${m}-s${s}`,
          kind: 'study_session',
          sequence: m * 100 + s,
          plannedMinutes: 50,
          moduleId: `m${m}`,
          title: `Module ${m}, session ${s}`,
        },
      });
    }
    out.push({
      offset: start + 20,
      activity: {
        id: `clinic-${m}`,
        kind: 'clinic',
        sequence: m * 100 + 50,
        plannedMinutes: 60,
        title: `clinic ${m}`,
      },
    });
    out.push({
      offset: start + 30,
      activity: {
        id: `community-${m}`,
        kind: 'community_session',
        sequence: m * 100 + 60,
        plannedMinutes: 60,
        title: `community session ${m}`,
      },
    });
  }
  out.push(
    {
      offset: 35,
      activity: {
        id: 'coach-1',
        kind: 'coaching',
        sequence: 170,
        plannedMinutes: 60,
        title: 'coaching 1',
      },
    },
    {
      offset: 77,
      activity: {
        id: 'coach-2',
        kind: 'coaching',
        sequence: 270,
        plannedMinutes: 60,
        title: 'coaching 2',
      },
    },
  );
  return out;
}

/** The programme's required activities, dated for a cohort starting on `startsOn`. */
export function programmeActivities(startsOn: IsoDate): RequiredActivity[] {
  return plan().map(({ activity, offset }) => ({
    ...activity,
    scheduledOn: addDays(startsOn, offset),
  }));
}

export function cohortSchedule(startsOn: IsoDate): Record<string, IsoDate> {
  return Object.fromEntries(
    plan().map(({ activity, offset }) => [activity.id, addDays(startsOn, offset)]),
  );
}

export const PROGRAMME_DAYS = MODULE_COUNT * MODULE_DAYS;

export function cohort(
  id: string,
  startsOn: IsoDate,
  options: Partial<Omit<Cohort, 'id' | 'startsOn'>> & { course?: CourseIdentifier } = {},
): Cohort {
  return {
    id,
    course: options.course ?? 'npq-senior-leadership',
    startsOn,
    endsOn: options.endsOn ?? addDays(startsOn, PROGRAMME_DAYS + 30),
    isFinal: options.isFinal ?? false,
    delivery: options.delivery ?? {
      kind: 'delivery_partner',
      deliveryPartnerName: 'North Star Teaching School Hub',
    },
    schedule: options.schedule ?? cohortSchedule(startsOn),
    assessmentWindowOpensOn:
      options.assessmentWindowOpensOn ?? addDays(startsOn, PROGRAMME_DAYS + 7),
  };
}

export function studyModules(startsOn: IsoDate): StudyModule[] {
  return Array.from({ length: MODULE_COUNT }, (_, i) => ({
    id: `m${i + 1}`,
    sequence: i + 1,
    title: `Module ${i + 1}`,
    // Released a week ahead of the scheduled start (2.2.1.1).
    releasedOn: addDays(startsOn, i * MODULE_DAYS - 7),
    scheduledStartOn: addDays(startsOn, i * MODULE_DAYS),
  }));
}

export function studySessions(): StudySession[] {
  const out: StudySession[] = [];
  for (let m = 1; m <= MODULE_COUNT; m += 1) {
    for (let s = 1; s <= SESSIONS_PER_MODULE; s += 1) {
      out.push({
        id: `m${m}-s${s}`,
        moduleId: `m${m}`,
        sequence: s,
        title: `Module ${m}, session ${s}`,
      });
    }
  }
  return out;
}

/** Ids of every activity before (and not including) the given one, in programme order. */
export function idsBefore(activities: readonly RequiredActivity[], id: string): string[] {
  const sorted = [...activities].sort((a, b) => a.sequence - b.sequence);
  const at = sorted.findIndex((a) => a.id === id);
  return sorted.slice(0, at).map((a) => a.id);
}
