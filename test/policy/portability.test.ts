import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  TRANSFER_DATA_CATEGORIES,
  insideNetwork,
  evaluateSchoolMove,
  transition,
} from '../../src/policy/index.js';
import type { EmploymentPeriod, SchoolMoveInput } from '../../src/policy/index.js';

const OLD: EmploymentPeriod = {
  school: { urn: '100001', name: 'Riverside Primary', region: 'North West' },
  from: '2019-09-01',
};
const PREVIOUS: EmploymentPeriod = {
  school: { urn: '100000', name: 'Hilltop Infants', region: 'North West' },
  from: '2015-09-01',
  to: '2019-08-31',
};

function move(overrides: Partial<SchoolMoveInput> = {}) {
  return evaluateSchoolMove({
    enrolmentStatus: 'active',
    employmentHistory: [PREVIOUS, OLD],
    newSchool: { urn: '200002', name: 'Moorside Academy', region: 'Yorkshire and the Humber' },
    movedOn: '2026-01-05',
    notifiedOn: '2025-12-10',
    coveredRegions: ['North West', 'Yorkshire and the Humber'],
    delivery: { kind: 'delivery_partner', deliveryPartnerName: 'North Star Teaching School Hub' },
    ...overrides,
  });
}

describe('2.6.1 participants are expected to stay in the same school, but a move may be unavoidable', () => {
  it('2.6.1 a move is recognised, not refused', () => {
    const d = move();
    expect(d.outcome).toBe('allowed');
    expect(d.reasons[0]?.code).toBe('PORTABILITY.MOVE_RECOGNISED');
    expect(d.reasons[0]?.clause).toBe('2.6.1');
  });
});

describe('2.6.2 a move inside the network does not stop the participant continuing', () => {
  it('2.6.2 1.1.1 the enrolment continues and the new school is added to the employment history', () => {
    const d = move();
    expect(d.details.route).toBe('continue');
    expect(d.details.lifecycleEvent).toBeNull();
    expect(d.details.dataSharing).toBeNull();
    expect(d.details.employmentHistory).toEqual([
      PREVIOUS,
      { ...OLD, to: '2026-01-04' },
      {
        school: { urn: '200002', name: 'Moorside Academy', region: 'Yorkshire and the Humber' },
        from: '2026-01-05',
      },
    ]);
    expect(d.reasons.find((r) => r.code === 'PORTABILITY.CONTINUES')?.clause).toBe('2.6.2');
  });

  it.each([
    { status: 'active' as const },
    { status: 'deferred' as const },
    { status: 'accepted' as const },
  ])('2.6.2 1.1.2 2.1.2 a $status participant can continue after moving', ({ status }) => {
    expect(move({ enrolmentStatus: status }).details.route).toBe('continue');
  });

  it.each([
    { status: 'withdrawn' as const },
    { status: 'completed_passed' as const },
    { status: 'transferred_out' as const },
  ])('2.6.2 a $status participant has no enrolment to continue', ({ status }) => {
    const d = move({ enrolmentStatus: status });
    expect(d.outcome).toBe('refused');
    expect(d.details.route).toBeNull();
  });

  it('2.6.2 a move dated before the current job began is a data error', () => {
    expect(() => move({ movedOn: '2019-08-01' })).toThrow(RangeError);
  });
});

describe('2.6.3 a participant who moves must notify their Delivery Partner or the Programmes Team', () => {
  it.each([
    {
      name: 'notified',
      notifiedOn: '2025-12-10',
      outcome: 'allowed',
      code: 'PORTABILITY.NOTIFIED',
    },
    {
      name: 'not notified (learnt another way)',
      notifiedOn: undefined,
      outcome: 'needs_review',
      code: 'PORTABILITY.NOT_NOTIFIED',
    },
  ])('2.6.3 $name -> $outcome', ({ notifiedOn, outcome, code }) => {
    const d = move({ notifiedOn });
    expect(d.outcome).toBe(outcome);
    const r = d.reasons.find((x) => x.code === code);
    expect(r?.clause).toBe('2.6.3');
  });

  it('2.6.3 a national-cohort participant is told to notify the Ambition Programmes Team', () => {
    const d = move({ notifiedOn: undefined, delivery: { kind: 'national' } });
    expect(d.reasons.find((r) => r.code === 'PORTABILITY.NOT_NOTIFIED')?.message).toContain(
      'Ambition Programmes Team',
    );
  });
});

describe('2.6.4 a move outside the network opens a transfer to the lead provider of their choice', () => {
  const outside = { newSchool: { urn: '300003', name: 'Harbour School', region: 'South West' } };

  it('2.6.4 a school in a region we do not cover opens a transfer with a data-sharing record', () => {
    const d = move({ ...outside, chosenLeadProvider: 'Best Practice Network' });
    expect(d.outcome).toBe('allowed');
    expect(d.details.route).toBe('transfer_out');
    expect(d.details.lifecycleEvent).toBe('transfer_out');
    expect(d.details.dataSharing).toEqual({
      recipient: 'Best Practice Network',
      purpose: expect.stringContaining('lead provider of their choice'),
      categories: TRANSFER_DATA_CATEGORIES,
      status: 'ready_to_share',
    });
    expect(d.reasons.find((r) => r.code === 'PORTABILITY.OUTSIDE_NETWORK')?.clause).toBe('2.6.4');
    expect(transition('active', d.details.lifecycleEvent ?? 'commence').ok).toBe(true);
  });

  it('2.6.4 until the participant chooses a lead provider, the data-sharing record waits for their choice', () => {
    const d = move(outside);
    expect(d.details.dataSharing?.recipient).toBeNull();
    expect(d.details.dataSharing?.status).toBe('awaiting_participant_choice');
    expect(d.reasons.find((r) => r.code === 'PORTABILITY.OUTSIDE_NETWORK')?.message).toContain(
      'which lead provider you choose',
    );
  });

  it('2.6.4 the employment history is updated for a move outside the network too', () => {
    const d = move(outside);
    expect(d.details.employmentHistory.at(-1)?.school.urn).toBe('300003');
  });
});

describe('2.6.4 our network is the areas we and our delivery partners serve, or whole regions we cover', () => {
  const inServedArea = {
    newSchool: {
      urn: '300004',
      name: 'Quayside Primary',
      region: 'South West',
      localAuthority: '879',
    },
  };

  it('2.6.4 a school in a served local authority of an otherwise uncovered region is inside the network', () => {
    const d = move({ ...inServedArea, coveredAreas: ['879', '878'] });
    expect(d.details.route).toBe('continue');
    expect(d.reasons.find((r) => r.code === 'PORTABILITY.CONTINUES')?.clause).toBe('2.6.2');
    expect(d.reasons[0]?.evidence).toMatchObject({ newSchoolLocalAuthority: '879' });
  });

  it('2.6.4 a school in an unserved local authority of an uncovered region is outside it, with the areas as evidence', () => {
    const d = move({ ...inServedArea, coveredAreas: ['878'] });
    expect(d.details.route).toBe('transfer_out');
    const outside = d.reasons.find((r) => r.code === 'PORTABILITY.OUTSIDE_NETWORK');
    expect(outside?.clause).toBe('2.6.4');
    expect(outside?.evidence).toMatchObject({ coveredAreas: ['878'] });
  });

  it('2.6.4 a school with no region (outside England) is inside only when its area is served', () => {
    const welsh = { urn: '400001', name: 'Ysgol Bro', region: null, localAuthority: '672' };
    expect(move({ newSchool: welsh }).details.route).toBe('transfer_out');
    expect(move({ newSchool: welsh, coveredAreas: ['672'] }).details.route).toBe('continue');
  });

  it('2.6.4 whole-region coverage still counts when the school has no known local authority', () => {
    expect(insideNetwork({ urn: '1', name: 'x', region: 'North West' }, ['North West'], [])).toBe(
      true,
    );
    expect(
      insideNetwork(
        { urn: '1', name: 'x', region: null, localAuthority: null },
        ['North West'],
        [],
      ),
    ).toBe(false);
  });
});

describe('2.6 a school move decided in full: outcome, route and the words the participant reads', () => {
  const RECOGNISED = [
    'PORTABILITY.MOVE_RECOGNISED',
    '2.6.1',
    true,
    'We expect participants to finish with the same school, but we recognise a move is sometimes unavoidable.',
  ];
  const NOTIFIED = [
    'PORTABILITY.NOTIFIED',
    '2.6.3',
    true,
    'Thank you for telling us about your move on 10 December 2025; your records are up to date.',
  ];
  const FAR = { urn: '300003', name: 'Far School', region: 'London' };
  const outside = (chosen: string) =>
    `Far School is in an area where Ambition Institute is not the lead provider. We will work with the lead provider of your choice to transfer you to their programme, which may include sharing your records with them${chosen}`;
  it.each([
    {
      name: 'inside a covered region, notified',
      change: {},
      outcome: 'allowed',
      route: 'continue',
      lifecycleEvent: null,
      sharing: null,
      reasons: [
        RECOGNISED,
        NOTIFIED,
        [
          'PORTABILITY.CONTINUES',
          '2.6.2',
          true,
          'Moorside Academy is in an area we cover, so you continue your programme as before; your new school is added to your employment history.',
        ],
      ],
    },
    {
      name: 'inside, not notified: staff review, and told who to tell',
      change: { notifiedOn: undefined },
      outcome: 'needs_review',
      route: 'continue',
      lifecycleEvent: null,
      sharing: null,
      reasons: [
        RECOGNISED,
        [
          'PORTABILITY.NOT_NOTIFIED',
          '2.6.3',
          false,
          'If you move school or setting, you must tell your Delivery Partner, North Star Teaching School Hub so we can keep your records up to date.',
        ],
        [
          'PORTABILITY.CONTINUES',
          '2.6.2',
          true,
          'Moorside Academy is in an area we cover, so you continue your programme as before; your new school is added to your employment history.',
        ],
      ],
    },
    {
      name: 'outside the network, no lead provider chosen yet',
      change: { newSchool: FAR },
      outcome: 'allowed',
      route: 'transfer_out',
      lifecycleEvent: 'transfer_out',
      sharing: { recipient: null, status: 'awaiting_participant_choice' },
      reasons: [
        RECOGNISED,
        NOTIFIED,
        [
          'PORTABILITY.OUTSIDE_NETWORK',
          '2.6.4',
          true,
          outside('. Please tell us which lead provider you choose.'),
        ],
      ],
    },
    {
      name: 'outside the network, lead provider chosen',
      change: { newSchool: FAR, chosenLeadProvider: 'Best Practice Network' },
      outcome: 'allowed',
      route: 'transfer_out',
      lifecycleEvent: 'transfer_out',
      sharing: { recipient: 'Best Practice Network', status: 'ready_to_share' },
      reasons: [
        RECOGNISED,
        NOTIFIED,
        ['PORTABILITY.OUTSIDE_NETWORK', '2.6.4', true, outside(' (Best Practice Network).')],
      ],
    },
    {
      name: 'a school outside any region, in a local authority we serve',
      change: {
        newSchool: { urn: '4', name: 'Far School', region: null, localAuthority: '202' },
        coveredAreas: ['202'],
      },
      outcome: 'allowed',
      route: 'continue',
      lifecycleEvent: null,
      sharing: null,
      reasons: [
        RECOGNISED,
        NOTIFIED,
        [
          'PORTABILITY.CONTINUES',
          '2.6.2',
          true,
          'Far School is in an area we cover, so you continue your programme as before; your new school is added to your employment history.',
        ],
      ],
    },
    {
      name: 'a school in an uncovered region and a local authority we do not serve',
      change: {
        newSchool: { ...FAR, localAuthority: '999' },
        coveredAreas: ['202'],
      },
      outcome: 'allowed',
      route: 'transfer_out',
      lifecycleEvent: 'transfer_out',
      sharing: { recipient: null, status: 'awaiting_participant_choice' },
      reasons: [
        RECOGNISED,
        NOTIFIED,
        [
          'PORTABILITY.OUTSIDE_NETWORK',
          '2.6.4',
          true,
          outside('. Please tell us which lead provider you choose.'),
        ],
      ],
    },
    ...(['applied', 'withdrawn', 'transferred_out', 'completed_passed'] as const).map(
      (enrolmentStatus) => ({
        name: `no current enrolment (${enrolmentStatus})`,
        change: { enrolmentStatus },
        outcome: 'refused',
        route: null,
        lifecycleEvent: null,
        sharing: null,
        reasons: [
          RECOGNISED,
          [
            'PORTABILITY.NO_CURRENT_ENROLMENT',
            '2.6.2',
            false,
            'You do not have a current enrolment to continue at your new school.',
          ],
        ],
      }),
    ),
  ] as {
    name: string;
    change: Partial<SchoolMoveInput>;
    outcome: string;
    route: string | null;
    lifecycleEvent: string | null;
    sharing: { recipient: string | null; status: string } | null;
    reasons: unknown[][];
  }[])(
    '2.6.2 2.6.3 2.6.4 $name -> $outcome',
    ({ change, outcome, route, lifecycleEvent, sharing, reasons }) => {
      const d = move(change);
      expect(d.outcome).toBe(outcome);
      expect(d.details.route).toBe(route);
      expect(d.details.lifecycleEvent).toBe(lifecycleEvent);
      expect(d.reasons.map((r) => [r.code, r.clause, r.met, r.message])).toEqual(reasons);
      if (sharing === null) {
        expect(d.details.dataSharing).toBeNull();
      } else {
        expect(d.details.dataSharing).toEqual({
          ...sharing,
          purpose:
            "To support the participant's transfer to a programme delivered by the lead provider of their choice (policy 2.6.4).",
          categories: TRANSFER_DATA_CATEGORIES,
        });
      }
      if (outcome === 'refused') {
        expect(d.details.employmentHistory).toEqual([PREVIOUS, OLD]);
      }
    },
  );

  it.each(['accepted', 'active', 'deferred'] as const)(
    '2.6.2 a %s participant may move and continue',
    (enrolmentStatus) => {
      const d = move({ enrolmentStatus });
      expect(d.outcome).toBe('allowed');
      expect(d.reasons.find((r) => r.code === 'PORTABILITY.CONTINUES')?.clause).toBe('2.6.2');
    },
  );

  it('2.6.2 the employment history closes the current school the day before the move', () => {
    const d = move();
    expect(d.reasons[2]?.clause).toBe('2.6.2');
    expect(d.details.employmentHistory).toEqual([
      PREVIOUS,
      { ...OLD, to: '2026-01-04' },
      {
        school: { urn: '200002', name: 'Moorside Academy', region: 'Yorkshire and the Humber' },
        from: '2026-01-05',
      },
    ]);
    expect(d.reasons[0]?.evidence).toEqual({
      newSchoolUrn: '200002',
      newSchoolRegion: 'Yorkshire and the Humber',
      newSchoolLocalAuthority: null,
      movedOn: '2026-01-05',
      notifiedOn: '2025-12-10',
      enrolmentStatus: 'active',
    });
    expect(() => move({ movedOn: OLD.from })).toThrow(RangeError);
  });

  it('2.6.4 the transfer evidence lists what the network covers and who was chosen', () => {
    const d = move({
      newSchool: FAR,
      coveredAreas: ['202'],
      chosenLeadProvider: 'Best Practice Network',
    });
    const r = d.reasons.find((x) => x.code === 'PORTABILITY.OUTSIDE_NETWORK');
    expect(r?.clause).toBe('2.6.4');
    expect(r?.evidence).toMatchObject({
      coveredRegions: ['North West', 'Yorkshire and the Humber'],
      coveredAreas: ['202'],
      chosenLeadProvider: 'Best Practice Network',
    });
  });
});

describe('2.6.4 what a transfer shares, and the evidence when no areas are given', () => {
  const FAR = { urn: '300003', name: 'Far School', region: 'London', localAuthority: '202' };

  it('2.6.4 the record shared with the new lead provider is the participant record, category by category', () => {
    const d = move({ newSchool: FAR, chosenLeadProvider: 'Best Practice Network' });
    expect(d.reasons.find((r) => r.code === 'PORTABILITY.OUTSIDE_NETWORK')?.clause).toBe('2.6.4');
    // "relevant data sharing with the new lead provider" (2.6.4): who the participant is, what they
    // are on, and how far they have come — engagement (2.3.2, 2.3.6), attempts (2.5) and deferrals (2.3).
    expect(d.details.dataSharing?.categories).toEqual([
      'identity and DfE participant id',
      'course and cohort',
      'engagement record (completed activities)',
      'assessment attempts',
      'deferral history',
    ]);
  });

  it('2.6.4 with no areas given, a move outside the covered regions is a transfer whose evidence lists no areas', () => {
    const d = move({ newSchool: FAR });
    expect(d.details.route).toBe('transfer_out');
    const r = d.reasons.find((x) => x.code === 'PORTABILITY.OUTSIDE_NETWORK');
    expect(r?.clause).toBe('2.6.4');
    expect(r?.met).toBe(true);
    expect(r?.evidence).toEqual({
      newSchoolUrn: '300003',
      newSchoolRegion: 'London',
      newSchoolLocalAuthority: '202',
      movedOn: '2026-01-05',
      notifiedOn: '2025-12-10',
      enrolmentStatus: 'active',
      coveredRegions: ['North West', 'Yorkshire and the Humber'],
      coveredAreas: [],
      chosenLeadProvider: null,
    });
  });

  it('2.6.2 a move dated on or before the day the current job began is refused as a data error naming the date', () => {
    expect(() => move({ movedOn: '2019-08-01' })).toThrow(
      new RangeError('The move on 2019-08-01 is not after the current employment began'),
    );
    expect(() => move({ movedOn: OLD.from })).toThrow(
      new RangeError('The move on 2019-09-01 is not after the current employment began'),
    );
  });

  it('2.6.4 no areas given is no areas served: for any school, the same decision as an empty list', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('North West', 'London', null),
        fc.oneof(fc.constantFrom('202', '672', '879', null, undefined), fc.string()),
        (region, localAuthority) => {
          const newSchool = { urn: '500005', name: 'Any School', region, localAuthority };
          const absent = move({ newSchool });
          expect(absent).toEqual(move({ newSchool, coveredAreas: [] }));
          // Whole-region coverage alone decides the route (2.6.4).
          expect(absent.details.route).toBe(region === 'North West' ? 'continue' : 'transfer_out');
        },
      ),
    );
  });
});
