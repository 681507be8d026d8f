import { describe, expect, it } from 'vitest';
import { checkSlot, placeText } from '../../src/domain/coaching-slots.js';

const base = {
  day: '15',
  month: '4',
  year: '2026',
  startTime: '16:30',
  minutes: '45',
  mode: 'online',
  place: ' https://meet.example.org/x ',
};
const window = { today: '2026-03-16', from: '2025-10-01', to: '2027-07-31' };

describe('checkSlot (a coach’s availability slot, 2.2.1.3)', () => {
  it('reads a London time in summer time as the right instant, with the length', () => {
    const r = checkSlot(base, window);
    expect(r).toEqual({
      ok: true,
      slot: {
        date: '2026-04-15',
        startsAt: new Date('2026-04-15T15:30:00Z'),
        endsAt: new Date('2026-04-15T16:15:00Z'),
        mode: 'online',
        place: 'https://meet.example.org/x',
      },
    });
  });

  it('accepts 7:00 and a slot ending exactly at 21:00, and nothing outside', () => {
    expect(checkSlot({ ...base, startTime: '7:00' }, window).ok).toBe(true);
    expect(checkSlot({ ...base, startTime: '20:15' }, window).ok).toBe(true);
    expect(checkSlot({ ...base, startTime: '20:16' }, window).ok).toBe(false);
    expect(checkSlot({ ...base, startTime: '06:59' }, window).ok).toBe(false);
  });

  it('reports every problem, one per field, in page order', () => {
    const r = checkSlot(
      { day: '30', month: '2', year: '2026', startTime: '3am', minutes: '5', mode: 'x', place: '' },
      window,
    );
    expect(r.ok).toBe(false);
    if (!r.ok)
      expect(r.errors.map((e) => e.field)).toEqual(['date', 'startTime', 'minutes', 'mode']);
  });

  it('refuses today, dates outside the programmes, and a coach with no programme', () => {
    const field = (over: Partial<typeof base>, w: Parameters<typeof checkSlot>[1] = window) => {
      const r = checkSlot({ ...base, ...over }, w);
      return r.ok ? null : r.errors[0]!.message;
    };
    expect(field({ day: '16', month: '3' })).toContain('in the future');
    expect(field({ day: '25', month: '12', year: '2099' })).toContain(
      '1 October 2025 to 31 July 2027',
    );
    expect(field({}, { today: '2026-03-16', from: null, to: null })).toContain('no NPQEL or EHCO');
  });

  it('needs an https link online and a place in person', () => {
    expect(checkSlot({ ...base, place: 'http://x' }, window).ok).toBe(false);
    expect(checkSlot({ ...base, mode: 'in_person', place: 'Room 4' }, window).ok).toBe(true);
    expect(checkSlot({ ...base, place: 'x'.repeat(201) }, window).ok).toBe(false);
    expect(placeText('in_person', 'Room 4')).toBe('In person: Room 4');
  });
});
