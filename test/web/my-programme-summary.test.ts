import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'drizzle-orm';
import { queryRows } from '../../src/db/client.js';
import type { BookingView, CoachingSessionView } from '../../src/services/bookings.js';
import {
  currentModuleId,
  nextThings,
  type ProgrammeSession,
} from '../../src/web/routes/participant/programme-summary.js';
import type { ModuleSchedule } from '../../src/web/routes/participant/queries.js';
import { createDemoWorld, pageText, type DemoWorld } from '../support/demo-world.js';

/** My programme's summary (engagement bar, deadline, next three things) and folded modules. */

const mod = (id: number, end: string): ModuleSchedule & { released: boolean } => ({
  id,
  position: id,
  title: `Module ${id}`,
  releaseDate: '2025-09-01',
  idealWindowStart: '2025-09-01',
  idealWindowEnd: end,
  released: true,
});
const session = (
  activityId: number,
  moduleId: number,
  state: ProgrammeSession['state'],
): ProgrammeSession => ({
  activityId,
  moduleId,
  title: `Session ${activityId}`,
  state,
  href: `/sessions/${activityId}`,
});
const booking = (id: number, startsAt: string, status = 'booked'): BookingView => ({
  id,
  enrolmentId: 1,
  participantId: 1,
  cohortEventId: id,
  activityId: id,
  kind: 'clinic',
  title: `Clinic ${id}`,
  startsAt,
  endsAt: startsAt,
  status,
  accommodation: null,
  bookedAt: '2025-09-01T09:00:00.000Z',
  cancelledAt: null,
});
const coaching = (id: number, startsAt: string): CoachingSessionView => ({
  id,
  enrolmentId: 1,
  participantId: 1,
  coachUserId: 9,
  coachName: 'Cora Coach',
  activityId: id,
  title: 'Coaching session 1',
  startsAt,
  endsAt: startsAt,
  status: 'booked',
  slotId: null,
  mode: null,
  place: null,
  note: null,
});

describe('the next three things to do or attend', () => {
  const now = new Date('2025-10-10T12:00:00Z');
  const modules = [mod(1, '2025-10-08'), mod(2, '2025-10-22')];

  it('puts open sessions (by their ideal window) and booked events still to come in date order', () => {
    const things = nextThings({
      sessions: [
        session(1, 1, 'done'),
        session(2, 1, 'open'),
        session(3, 2, 'open'),
        session(4, 2, 'locked'),
      ],
      modules,
      bookings: {
        events: [
          booking(10, '2025-10-09T15:00:00Z'), // already happened
          booking(11, '2025-10-15T15:00:00Z', 'cancelled'),
          booking(12, '2025-10-14T15:00:00Z'),
          booking(13, '2025-11-20T15:00:00Z'),
        ],
        coaching: [coaching(20, '2025-10-13T08:00:00Z')],
      },
      now,
    });
    expect(things.map((t) => [t.label, t.title, t.on])).toEqual([
      ['Study session', 'Session 2', '2025-10-08'],
      ['Coaching', 'Coaching session 1 with Cora Coach', '2025-10-13'],
      ['Clinic', 'Clinic 12', '2025-10-14'],
    ]);
  });

  it('is empty when there is nothing open or booked, and the current module follows the next session', () => {
    expect(
      nextThings({
        sessions: [session(1, 1, 'done')],
        modules,
        bookings: { events: [], coaching: [] },
        now,
      }),
    ).toEqual([]);
    expect(currentModuleId([session(1, 1, 'done'), session(3, 2, 'open')], modules)).toBe(2);
    expect(
      currentModuleId([session(1, 1, 'done')], [mod(1, 'x'), { ...mod(2, 'y'), released: false }]),
    ).toBe(1);
  });
});

describe('My programme', () => {
  let w: DemoWorld;
  beforeAll(async () => {
    w = await createDemoWorld({ participants: 12 });
  });
  afterAll(async () => {
    await w?.destroy();
  });

  it('leads with the engagement figure and bar, the deadline and the next three things', async () => {
    const me = await w.signIn('participant2@demo.npq-ops.test');
    const res = await me.request({ method: 'GET', url: '/my-programme' });
    expect(res.statusCode).toBe(200);
    const body = res.body;
    const summary = /data-testid="programme-summary">([\s\S]*?)<\/section>/.exec(body)?.[1] ?? '';
    expect(body.indexOf('programme-summary')).toBeLessThan(
      body.indexOf('Continue where you left off'),
    );
    const figure = /data-testid="engagement-figure">([\d.]+%)</.exec(summary)?.[1];
    const engagedSoFar = /Engaged so far\s*<\/dt>\s*<dd[^>]*>\s*([\d.]+%)/.exec(body)?.[1];
    expect(figure).toBeDefined();
    expect(figure).toBe(engagedSoFar);
    const percent = Number(/data-percent="(\d+)"/.exec(summary)?.[1]);
    expect(percent).toBe(Math.floor(Number(figure!.replace('%', ''))));
    expect(summary).toContain(`width="${percent}"`);
    expect(summary).toContain('aria-hidden="true"'); // the bar is drawing only; the figure is read

    const [cohort] = await queryRows<{ deadline: string }>(
      w.t.db,
      sql`select to_char(c.engagement_deadline, 'FMDD FMMonth YYYY') as deadline from cohort c
          join enrolment e on e.cohort_id = c.id join participant p on p.id = e.participant_id
          where p.email = 'participant2@demo.npq-ops.test' and e.status = 'active'`,
    );
    expect(pageText(summary)).toContain(`You need 90% by ${cohort!.deadline}`);
    expect(summary).toContain('href="/how-engagement-is-counted"');
    const items = /data-testid="next-things">([\s\S]*?)<\/ol>/.exec(summary)?.[1] ?? '';
    const count = (items.match(/<li>/g) ?? []).length;
    expect(count).toBeGreaterThan(0);
    expect(count).toBeLessThanOrEqual(3);
    const continueHref =
      /href="(\/sessions\/\d+)"[^>]*class="govuk-button govuk-button--start"|class="govuk-button govuk-button--start"[^>]*href="(\/sessions\/\d+)"/.exec(
        body,
      );
    const next = continueHref?.[1] ?? continueHref?.[2];
    expect(next).toBeDefined();
    expect(items).toContain(`href="${next}"`);
  });

  it('folds every module to one line but the current one', async () => {
    const me = await w.signIn('participant2@demo.npq-ops.test');
    const body = (await me.request({ method: 'GET', url: '/my-programme' })).body;
    // The modules' folds (a decision's "What else we checked" is a fold of its own, not a module).
    const details = [...body.matchAll(/<details\b([^>]*)>([\s\S]*?)<\/details>/g)].filter((d) =>
      /data-current=/.test(d[1] ?? ''),
    );
    expect(details.length).toBeGreaterThan(1);
    const open = details.filter((d) => /\sopen\b/.test(d[1] ?? ''));
    expect(open).toHaveLength(1);
    expect(open[0]![1]).toContain('data-current="true"');
    // The current module holds the session "Continue" points at.
    const next =
      /govuk-button--start"[^>]*href="(\/sessions\/\d+)"|href="(\/sessions\/\d+)"[^>]*govuk-button--start/.exec(
        body,
      );
    expect(open[0]![2]).toContain(`href="${next?.[1] ?? next?.[2]}"`);
    for (const d of details) {
      expect(pageText(/<summary[\s\S]*?<\/summary>/.exec(d[2] ?? '')?.[0] ?? '')).toMatch(
        /Module \d+: .+ · \d+ of \d+ done/,
      );
    }
  });
});
