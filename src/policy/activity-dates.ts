/**
 * Every required activity's own dates (policy 2.1.1, 2.1.3, 2.2.1.1, 2.2.1.2, 2.2.1.4). Study
 * sessions become available when their module is released, and the ideal pace spreads a module's
 * sessions across its two-week window session by session. Clinics, community sessions and
 * conferences happen on the day of the slot the participant booked or, with no booking, on the
 * cohort's scheduled slots: the cohort does them on the first slot and the last slot on or before
 * the engagement deadline is the last chance. Coaching is on the day booked with the coach; not yet
 * booked, it is open from its module's release and ideally done by the end of the module's window.
 *
 * The set-based engagement query (src/db/queries/cohort-engagement.ts) computes the same dates in
 * SQL; a property test holds the two equal.
 */
import type { ActivityKind } from '../domain/catalogue.js';
import { addDays, compareDates, isOnOrBefore } from './dates.js';
import type { IsoDate } from './dates.js';
import type { RequiredActivity } from './engagement.js';
import type { StudyModule } from './access.js';
import { POLICY_REGISTER } from './register.js';
import type { PolicyRegister } from './register.js';

/** A required activity before it has dates. */
export type UndatedActivity = Omit<RequiredActivity, 'scheduledOn' | 'dueOn'> & {
  readonly kind: ActivityKind;
};

export interface ActivityDatesInput {
  readonly activities: readonly UndatedActivity[];
  /** The cohort's module releases and ideal windows. */
  readonly modules: readonly StudyModule[];
  /** The London days of the cohort's scheduled slots, by activity id. */
  readonly slotDays: Readonly<Record<string, readonly IsoDate[]>>;
  /** The London days of the participant's live bookings (events and coaching), by activity id. */
  readonly bookedDays?: Readonly<Record<string, readonly IsoDate[]>>;
  readonly deadline: IsoDate;
}

/**
 * The day session k of n of a module is ideally done by: the window is split into n equal slices
 * and session k is due at the end of slice k, so the last session is due on the window's last day.
 */
export function sessionDueOn(
  windowStartsOn: IsoDate,
  k: number,
  n: number,
  register: PolicyRegister = POLICY_REGISTER,
): IsoDate {
  const days = register.parameters.idealModuleWindowDays;
  return addDays(windowStartsOn, Math.floor((k * days + n - 1) / n) - 1);
}

const sorted = (days: readonly IsoDate[]) => [...days].sort(compareDates);

/** Each activity with `scheduledOn` (when it happens or opens) and `dueOn` (ideal pace / last chance). */
export function datedActivities(
  input: ActivityDatesInput,
  register: PolicyRegister = POLICY_REGISTER,
): RequiredActivity[] {
  const modules = new Map(input.modules.map((m) => [m.id, m]));
  // Session k of n within its module, in programme order.
  const byModule = new Map<string, UndatedActivity[]>();
  for (const a of input.activities) {
    if (a.kind !== 'study_session' || a.moduleId === undefined) continue;
    byModule.set(a.moduleId, [...(byModule.get(a.moduleId) ?? []), a]);
  }
  const position = new Map<string, { k: number; n: number }>();
  for (const sessions of byModule.values()) {
    const ordered = [...sessions].sort(
      // Stryker disable next-line ConditionalExpression,EqualityOperator: `a.id > b.id` only picks 1 or 0 for a pair not in order, and V8's sort only asks whether the result is < 0 (ids are unique). The same mutators on `a.id < b.id` are killed by test/policy/activity-dates.test.ts (programme order).
      (a, b) => a.sequence - b.sequence || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
    ordered.forEach((s, i) => position.set(s.id, { k: i + 1, n: ordered.length }));
  }

  return input.activities.map((a): RequiredActivity => {
    if (a.kind === 'study_session') {
      const module = a.moduleId === undefined ? undefined : modules.get(a.moduleId);
      const at = position.get(a.id);
      if (!module || !at) return { ...a };
      return {
        ...a,
        scheduledOn: module.releasedOn,
        dueOn: sessionDueOn(module.scheduledStartOn, at.k, at.n, register),
      };
    }
    const booked = sorted(input.bookedDays?.[a.id] ?? []);
    const lastBooked = booked[booked.length - 1];
    if (lastBooked !== undefined) return { ...a, scheduledOn: lastBooked, dueOn: lastBooked };
    const slots = sorted(input.slotDays[a.id] ?? []);
    const first = slots[0];
    if (first === undefined) {
      // Coaching not yet booked (2.2.1.3): open from its module's release, ideally done by the end
      // of the module's ideal window.
      const module = a.moduleId === undefined ? undefined : modules.get(a.moduleId);
      if (a.kind !== 'coaching' || !module) return { ...a };
      return {
        ...a,
        scheduledOn: module.releasedOn,
        dueOn: addDays(module.scheduledStartOn, register.parameters.idealModuleWindowDays - 1),
      };
    }
    const lastChance = slots.filter((d) => isOnOrBefore(d, input.deadline)).pop() ?? first;
    return { ...a, scheduledOn: first, dueOn: lastChance };
  });
}
