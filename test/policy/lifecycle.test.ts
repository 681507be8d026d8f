import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ENROLMENT_STATUSES } from '../../src/domain/catalogue.js';
import type { EnrolmentStatus, TrainingStatus } from '../../src/domain/catalogue.js';
import {
  DFE_TRAINING_STATUS,
  LIFECYCLE_EVENTS,
  TRANSITIONS,
  allowedEvents,
  transition,
} from '../../src/domain/participant-lifecycle.js';

/** DfE API v3: defer only from active; withdraw from active or deferred; resume from deferred or withdrawn. */
const DFE_ALLOWED: Record<'defer' | 'withdraw' | 'resume', TrainingStatus[]> = {
  defer: ['active'],
  withdraw: ['active', 'deferred'],
  resume: ['deferred', 'withdrawn'],
};

describe('participant lifecycle state machine', () => {
  it.each([
    ['applied', 'accept', 'accepted'],
    ['accepted', 'commence', 'active'],
    ['active', 'defer', 'deferred'],
    ['deferred', 'resume', 'active'],
    ['withdrawn', 'resume', 'active'],
    ['active', 'withdraw', 'withdrawn'],
    ['deferred', 'withdraw', 'withdrawn'],
    ['accepted', 'withdraw', 'withdrawn'],
    ['active', 'transfer_out', 'transferred_out'],
    ['deferred', 'transfer_out', 'transferred_out'],
    ['active', 'complete_passed', 'completed_passed'],
    ['active', 'complete_failed', 'completed_failed'],
  ] as const)('%s --%s--> %s', (from, event, to) => {
    const r = transition(from, event);
    expect(r).toMatchObject({ ok: true, from, to, trainingStatus: DFE_TRAINING_STATUS[to] });
  });

  it.each([
    ['applied', 'defer'],
    ['accepted', 'defer'],
    ['deferred', 'defer'],
    ['withdrawn', 'withdraw'],
    ['transferred_out', 'resume'],
    ['completed_passed', 'withdraw'],
    ['applied', 'commence'],
  ] as const)('refuses %s --%s--> with a reason', (from, event) => {
    const r = transition(from, event);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.reason).toContain(from.replace('_', ' '));
  });

  it('2.3.2 deferral needs a formally commenced (active) enrolment', () => {
    expect(transition('accepted', 'defer').ok).toBe(false);
    expect(transition('active', 'defer')).toMatchObject({ ok: true, dfeAction: 'defer' });
  });

  it('2.3.8 a deferred participant who does not return is withdrawn, reported to the DfE as a withdrawal', () => {
    expect(transition('deferred', 'withdraw')).toMatchObject({
      ok: true,
      to: 'withdrawn',
      dfeAction: 'withdraw',
    });
  });

  it('2.6.4 a transfer to another lead provider is reported to the DfE as a withdrawal from ours', () => {
    expect(transition('active', 'transfer_out')).toMatchObject({
      trainingStatus: 'withdrawn',
      dfeAction: 'withdraw',
    });
  });

  it('maps every state to a DfE training status (none before acceptance)', () => {
    expect(Object.keys(DFE_TRAINING_STATUS).sort()).toEqual([...ENROLMENT_STATUSES].sort());
    expect(DFE_TRAINING_STATUS.applied).toBeNull();
    expect(DFE_TRAINING_STATUS.deferred).toBe('deferred');
  });

  it('every transition is one the DfE accepts', () => {
    for (const t of TRANSITIONS) {
      for (const from of t.from) {
        const r = transition(from, t.event);
        if (!r.ok) throw new Error(`unexpected refusal ${from} ${t.event}`);
        const before = DFE_TRAINING_STATUS[from];
        if (r.dfeAction !== null) {
          expect(before).not.toBeNull();
          expect(DFE_ALLOWED[r.dfeAction]).toContain(before);
        } else {
          expect(before === r.trainingStatus || before === null).toBe(true);
        }
      }
    }
  });

  it('property: any sequence of events stays inside the allowed transitions', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...LIFECYCLE_EVENTS), { maxLength: 30 }), (events) => {
        let state: EnrolmentStatus = 'applied';
        for (const event of events) {
          const r = transition(state, event);
          expect(r.ok).toBe(allowedEvents(state).includes(event));
          if (r.ok) state = r.to;
        }
        expect(ENROLMENT_STATUSES).toContain(state);
      }),
    );
  });

  it('transferred out is final', () => {
    expect(allowedEvents('transferred_out')).toEqual([]);
    expect(allowedEvents('completed_passed')).toEqual([]);
  });
});
