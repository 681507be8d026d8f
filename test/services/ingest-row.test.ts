import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ACTIVITY_KINDS, ENGAGEMENT_SOURCES } from '../../src/domain/catalogue.js';
import { IngestRowSchema, quickIngestRow } from '../../src/services/engagement/ingest-rows.js';
import { csvCellProblem } from '../../src/domain/text.js';

/**
 * The engagement import checks each row's shape with a fast path (quickIngestRow) before zod: it
 * must accept only rows zod and the stored-text check accept, and give exactly zod's output.
 */
const text = fc.oneof(
  fc.string({ maxLength: 12 }),
  fc.constantFrom('', ' ', '\t', '\u00a0', '\0', '\uD800', '\uD83D\uDE00', '\\', '\n'),
);
const participant = fc.oneof(
  fc.constantFrom('1234567', 'trn:1234567', 'TRN: 7654321', 'id:42', ' 42 ', 'id:0', 'email:A@B.c'),
  fc.constantFrom('someone@example.org', ' X@Y.Z ', 'id:1234567890', '123456', 'nobody', ''),
  fc.tuple(text, fc.constantFrom('', '@x.org')).map(([a, b]) => a + b),
  fc.integer(),
  fc.constant(null),
);
const activityId = fc.oneof(
  fc.integer({ min: -5, max: 2_147_483_650 }),
  fc.double(),
  fc.constantFrom('12', '012', ' 12', '1e3', '0x10', '', '2147483647', '2147483648', '9999999999'),
  fc.constantFrom(true, null, [5], undefined),
);
const kind = fc.oneof(
  fc.constantFrom(...ACTIVITY_KINDS, 'clinic ', ' ', '', 'nonsense', null, undefined, 3),
);
const occurredAt = fc.oneof(
  fc.constantFrom(
    '2026-03-01T10:00:00Z',
    '2026-03-01T10:00:00.123456+01:00',
    '2024-02-29T23:59:59Z',
    '2025-02-29T10:00:00Z',
    '2026-04-31T10:00:00Z',
    '2026-03-01T24:00:00Z',
    '2026-03-01T10:00Z',
    '2026-03-01 10:00:00Z',
    '2026-03-01T10:00:00',
    ' 2026-03-01T10:00:00Z',
    'yesterday',
  ),
  fc
    .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constant(12),
);
const source = fc.constantFrom(...ENGAGEMENT_SOURCES, 'import ', '', ' ', 'nope', null, undefined);
const sourceEventId = fc.oneof(
  text,
  fc.constantFrom('x'.repeat(200), ` ${'x'.repeat(200)} `, 'y'.repeat(201)),
  fc.constant(7),
);
/** Mostly a plainly valid value (so the fast path is taken), sometimes anything above. */
const mostly = <T, U>(valid: fc.Arbitrary<T>, any: fc.Arbitrary<U>) =>
  fc.oneof({ weight: 6, arbitrary: valid }, { weight: 1, arbitrary: any });
const row = fc.record(
  {
    participant: mostly(
      fc.oneof(
        fc.integer({ min: 1, max: 999_999_999 }).map((n) => `id:${n}`),
        fc.constantFrom('1234567', 'trn:7654321', 'a.b@example.org'),
      ),
      participant,
    ),
    activityId: mostly(fc.integer({ min: 1, max: 2_147_483_647 }), activityId),
    kind: mostly(fc.constantFrom(...ACTIVITY_KINDS, undefined, ''), kind),
    occurredAt: mostly(
      fc
        .date({ min: new Date('2000-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
        .map((d) => d.toISOString()),
      occurredAt,
    ),
    source: mostly(fc.constantFrom(...ENGAGEMENT_SOURCES, undefined), source),
    sourceEventId: mostly(fc.string({ minLength: 1, maxLength: 20 }), sourceEventId),
    extra: text,
  },
  { requiredKeys: ['participant', 'activityId', 'occurredAt', 'sourceEventId'] },
);

describe('quickIngestRow', () => {
  it('accepts only what zod and the stored-text check accept, with exactly their output', () => {
    let quick = 0;
    fc.assert(
      fc.property(row, (raw) => {
        const fast = quickIngestRow(raw);
        if (fast === null) return;
        quick++;
        expect(csvCellProblem(raw as Record<string, string>)).toBeNull();
        const parsed = IngestRowSchema.safeParse(raw);
        expect(parsed.success).toBe(true);
        expect(fast).toEqual(parsed.data);
      }),
      { numRuns: 3_000 },
    );
    // The fast path is taken often enough for the comparison to mean something.
    expect(quick).toBeGreaterThan(300);
  });

  it('takes the usual row, and leaves the doubtful ones to zod', () => {
    const usual = {
      participant: ' trn:1234567 ',
      activityId: '17',
      kind: '',
      occurredAt: '2026-03-01T10:00:00.5+01:00',
      source: '',
      sourceEventId: ' lms-1 ',
    };
    expect(quickIngestRow(usual)).toEqual(IngestRowSchema.parse(usual));
    for (const doubtful of [
      { ...usual, activityId: ' 17' }, // zod accepts it; the fast path leaves it to zod
      { ...usual, occurredAt: '2026-02-30T10:00:00Z' },
      { ...usual, extra: 'a\0b' },
      { ...usual, kind: null },
    ]) {
      expect(quickIngestRow(doubtful)).toBeNull();
    }
  });
});
