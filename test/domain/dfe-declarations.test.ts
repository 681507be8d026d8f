import { describe, expect, it } from 'vitest';
import {
  declarationsDue,
  DFE_2025_MILESTONES,
  milestoneProblems,
  milestonesOf,
  milestoneWindows,
  scheduleFor,
  type DeclarationFacts,
  type ScheduleMilestones,
} from '../../src/domain/dfe-declarations.js';

const dates2025 = (schedule: string): ScheduleMilestones =>
  DFE_2025_MILESTONES.find((m) => m.schedule === schedule)!;

const leadership: DeclarationFacts = {
  milestones: dates2025('npq-leadership-autumn'),
  commencedAt: '2025-10-06T09:00:00.000Z',
  engagementAt: [],
  outcome: null,
  withdrawnOn: null,
  live: [],
};
const types = (facts: Partial<DeclarationFacts>, today: string) =>
  declarationsDue({ ...leadership, ...facts }, today).map((d) => d.type);

describe('schedules and milestones', () => {
  it.each([
    ['leadership', '2025-10-01', 'npq-leadership-autumn'],
    ['leadership', '2026-02-01', 'npq-leadership-spring'],
    ['specialist', '2025-09-01', 'npq-specialist-autumn'],
    ['specialist', '2026-04-01', 'npq-specialist-spring'],
    ['ehco', '2026-03-01', 'npq-ehco-march'],
    ['ehco', '2026-06-01', 'npq-ehco-june'],
    ['ehco', '2026-11-01', 'npq-ehco-november'],
    ['ehco', '2026-12-01', 'npq-ehco-december'],
  ] as const)('%s starting %s is on %s', (group, start, schedule) => {
    expect(scheduleFor(group, start)).toBe(schedule);
  });

  it('2025 milestone dates from the DfE, for every schedule; retained-2 for leadership only', () => {
    expect(DFE_2025_MILESTONES).toHaveLength(8);
    for (const schedule of ['npq-leadership-autumn', 'npq-leadership-spring'])
      expect(milestonesOf(dates2025(schedule))).toEqual([
        { type: 'started', opensOn: '2025-05-30' },
        { type: 'retained-1', opensOn: '2025-12-19' },
        { type: 'retained-2', opensOn: '2026-07-24' },
        { type: 'completed', opensOn: '2027-02-25' },
      ]);
    for (const schedule of ['npq-specialist-spring', 'npq-ehco-june'])
      expect(milestonesOf(dates2025(schedule))).toEqual([
        { type: 'started', opensOn: '2025-05-30' },
        { type: 'retained-1', opensOn: '2025-12-19' },
        { type: 'completed', opensOn: '2026-08-21' },
      ]);
    for (const m of DFE_2025_MILESTONES) expect(milestoneProblems(m)).toEqual([]);
  });

  it('each milestone closes when the next opens; completed stays open', () => {
    expect(milestoneWindows(dates2025('npq-specialist-autumn'))).toEqual([
      { type: 'started', opensOn: '2025-05-30', closesOn: '2025-12-19' },
      { type: 'retained-1', opensOn: '2025-12-19', closesOn: '2026-08-21' },
      { type: 'completed', opensOn: '2026-08-21', closesOn: null },
    ]);
  });

  const leadership2026: ScheduleMilestones = {
    cohortYear: 2026,
    schedule: 'npq-leadership-autumn',
    startedOn: '2026-06-01',
    retained1On: '2026-12-18',
    retained2On: '2027-07-23',
    completedOn: '2028-02-24',
  };
  it.each([
    ['a good leadership schedule', {}, []],
    [
      'a date that is not real',
      { retained1On: '2026-02-30' },
      [
        {
          field: 'retained1On',
          message: 'Enter the date the retained-1 milestone opens as a real date',
        },
      ],
    ],
    [
      'a month and day that do not exist',
      { completedOn: '6912-64-25' },
      [
        {
          field: 'completedOn',
          message: 'Enter the date the completed milestone opens as a real date',
        },
      ],
    ],
    [
      '1 January 1900',
      { startedOn: '1900-01-01' },
      [
        {
          field: 'startedOn',
          message:
            'The started milestone must open between 2025-01-01 and 2030-12-31 for the 2026 cohort',
        },
      ],
    ],
    [
      'out of order',
      { completedOn: '2027-01-01' },
      [
        {
          field: 'completedOn',
          message: 'The completed milestone must open after the retained-2 milestone (2027-07-23)',
        },
      ],
    ],
    [
      'the same day as the one before',
      { retained1On: '2026-06-01' },
      [
        {
          field: 'retained1On',
          message: 'The retained-1 milestone must open after the started milestone (2026-06-01)',
        },
      ],
    ],
    [
      'no retained-2 on a leadership schedule',
      { retained2On: null },
      [{ field: 'retained2On', message: 'Enter the date the retained-2 milestone opens' }],
    ],
    [
      'a retained-2 on a specialist schedule',
      { schedule: 'npq-specialist-autumn' },
      [{ field: 'retained2On', message: 'Only leadership schedules have a retained-2 milestone' }],
    ],
  ] as const)('dates typed by a person: %s', (_name, change, problems) => {
    expect(milestoneProblems({ ...leadership2026, ...change } as ScheduleMilestones)).toEqual(
      problems,
    );
  });
});

describe('dates come from the schedule given, not from 2025', () => {
  it('nothing is declared when the cohort year has no dates', () => {
    expect(
      declarationsDue(
        { ...leadership, milestones: null, engagementAt: ['2026-01-10T10:00:00Z'] },
        '2026-02-01',
      ),
    ).toEqual([]);
  });

  it('a 2026 schedule uses its own dates', () => {
    const facts: DeclarationFacts = {
      ...leadership,
      milestones: {
        cohortYear: 2026,
        schedule: 'npq-leadership-spring',
        startedOn: '2026-01-05',
        retained1On: '2026-05-11',
        retained2On: '2026-11-02',
        completedOn: '2027-09-01',
      },
      commencedAt: '2026-02-02T09:00:00Z',
      engagementAt: ['2026-05-12T10:00:00Z', '2026-11-01T10:00:00Z', '2026-11-02T10:00:00Z'],
    };
    expect(declarationsDue(facts, '2026-12-01')).toEqual([
      { type: 'started', declarationDate: '2026-02-02T09:00:00Z', hasPassed: null },
      { type: 'retained-1', declarationDate: '2026-05-12T10:00:00Z', hasPassed: null },
      { type: 'retained-2', declarationDate: '2026-11-02T10:00:00Z', hasPassed: null },
    ]);
  });
});

describe('declarations due, milestone by milestone (leadership 2025)', () => {
  it.each([
    // [case, facts, today, expected]
    [
      'not commenced: nothing',
      { commencedAt: null, engagementAt: ['2026-01-10T10:00:00Z'] },
      '2026-02-01',
      [],
    ],
    ['commenced within the started milestone', {}, '2025-10-06', ['started']],
    [
      'commenced before the started milestone opened',
      { commencedAt: '2025-05-01T09:00:00Z' },
      '2025-11-01',
      [],
    ],
    [
      'commenced after retained-1 opened: outside the started milestone',
      { commencedAt: '2026-01-05T09:00:00Z' },
      '2026-02-01',
      [],
    ],
    ['started is not due before the commencement date', {}, '2025-10-05', []],
    [
      'evidence within retained-1',
      { engagementAt: ['2026-01-10T10:00:00Z'] },
      '2026-02-01',
      ['started', 'retained-1'],
    ],
    [
      'evidence only before retained-1 opened',
      { engagementAt: ['2025-11-10T10:00:00Z'] },
      '2026-02-01',
      ['started'],
    ],
    [
      'evidence within retained-2',
      { engagementAt: ['2026-09-01T10:00:00Z'] },
      '2026-10-01',
      ['started', 'retained-2'],
    ],
    [
      'evidence after today is not counted',
      { engagementAt: ['2026-01-10T10:00:00Z'] },
      '2026-01-09',
      ['started'],
    ],
    [
      'already live declarations are not due again',
      { engagementAt: ['2026-01-10T10:00:00Z'], live: ['started'] },
      '2026-02-01',
      ['retained-1'],
    ],
    [
      'outcome recorded after the completed milestone',
      { outcome: { hasPassed: true, recordedAt: '2027-03-01T12:00:00Z' } },
      '2027-03-02',
      ['started', 'completed'],
    ],
    [
      'outcome recorded before the completed milestone opened',
      { outcome: { hasPassed: true, recordedAt: '2027-01-10T12:00:00Z' } },
      '2027-03-02',
      ['started'],
    ],
    [
      'withdrawn: evidence after the withdrawal date does not count',
      { engagementAt: ['2026-01-10T10:00:00Z'], withdrawnOn: '2026-01-05' },
      '2026-02-01',
      ['started'],
    ],
    [
      'withdrawn: evidence up to the withdrawal date counts',
      { engagementAt: ['2026-01-10T10:00:00Z'], withdrawnOn: '2026-01-10' },
      '2026-02-01',
      ['started', 'retained-1'],
    ],
    ['withdrawn before commencing: nothing', { withdrawnOn: '2025-10-01' }, '2026-02-01', []],
  ] as const)('%s', (_name, facts, today, expected) => {
    expect(types(facts as Partial<DeclarationFacts>, today)).toEqual(expected);
  });

  it('dates each declaration by its evidence: the first within the milestone', () => {
    const due = declarationsDue(
      {
        ...leadership,
        engagementAt: ['2026-03-01T10:00:00Z', '2026-01-10T10:00:00Z', '2025-12-01T10:00:00Z'],
      },
      '2026-04-01',
    );
    expect(due).toEqual([
      { type: 'started', declarationDate: '2025-10-06T09:00:00.000Z', hasPassed: null },
      { type: 'retained-1', declarationDate: '2026-01-10T10:00:00Z', hasPassed: null },
    ]);
  });

  it('completed carries has_passed for a pass and for a fail', () => {
    for (const hasPassed of [true, false]) {
      const due = declarationsDue(
        {
          ...leadership,
          live: ['started'],
          outcome: { hasPassed, recordedAt: '2027-03-01T12:00:00Z' },
        },
        '2027-03-01',
      );
      expect(due).toEqual([
        { type: 'completed', declarationDate: '2027-03-01T12:00:00Z', hasPassed },
      ]);
    }
  });

  it('specialist courses have no retained-2 and complete from 21 August 2026', () => {
    const facts: Partial<DeclarationFacts> = {
      milestones: dates2025('npq-specialist-autumn'),
      engagementAt: ['2026-08-01T10:00:00Z'],
      outcome: { hasPassed: true, recordedAt: '2026-09-01T10:00:00Z' },
    };
    expect(types(facts, '2026-09-02')).toEqual(['started', 'retained-1', 'completed']);
  });
});
