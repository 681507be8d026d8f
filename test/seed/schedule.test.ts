import { describe, expect, it } from 'vitest';
import { PROGRAMME_PLANS } from '../../src/db/seed/catalogue.js';
import { cohortSchedule } from '../../src/db/seed/schedule.js';
import { londonDateTime } from '../../src/domain/london-time.js';

describe('seeded event times', () => {
  it('keep their London wall-clock time on both sides of a clock change', () => {
    const plan = PROGRAMME_PLANS.find((p) => p.course.identifier === 'npq-senior-leadership')!;
    const schedule = cohortSchedule(plan, 2025, 30);
    const firstClinicSlots = schedule.activities
      .filter((a) => a.activity.kind === 'clinic')
      .map((a) => a.slots[0]!.startsAt);
    const local = firstClinicSlots.map((ms) => londonDateTime(ms));
    // Clinics fall in both winter time (November to February) and summer time (April to September).
    const months = local.map((l) => Number(l.date.slice(5, 7)));
    expect(months.some((m) => m >= 11 || m <= 2)).toBe(true);
    expect(months.some((m) => m >= 4 && m <= 9)).toBe(true);
    expect(new Set(local.map((l) => l.time))).toEqual(new Set(['15:30']));
  });
});
