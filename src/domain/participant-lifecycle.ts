/**
 * The life of an enrolment, as an explicit state machine. Each state maps to the DfE training_status
 * the lead provider reports, and every transition is one the DfE API v3 accepts: defer only from
 * active; withdraw from active or deferred; resume from deferred or withdrawn back to active.
 * The lead provider's own limits (defer once, re-join where last engaged) are in src/policy.
 */
import type { EnrolmentStatus, TrainingStatus } from './catalogue.js';

export const LIFECYCLE_EVENTS = [
  'accept',
  'commence',
  'defer',
  'resume',
  'withdraw',
  'transfer_out',
  'complete_passed',
  'complete_failed',
] as const;
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

/** The DfE API action a transition must be reported with, if any. */
export type DfeAction = 'defer' | 'withdraw' | 'resume';

/**
 * The DfE training_status for each state. Before acceptance there is no DfE participant. An accepted
 * participant is 'active' at the DfE. A transfer to another lead provider is reported to the DfE as a
 * withdrawal from ours. Completion is recorded by a 'completed' declaration, not a status change.
 */
export const DFE_TRAINING_STATUS: Readonly<Record<EnrolmentStatus, TrainingStatus | null>> = {
  applied: null,
  accepted: 'active',
  active: 'active',
  deferred: 'deferred',
  withdrawn: 'withdrawn',
  transferred_out: 'withdrawn',
  completed_passed: 'active',
  completed_failed: 'active',
};

export interface TransitionRule {
  readonly event: LifecycleEvent;
  readonly from: readonly EnrolmentStatus[];
  readonly to: EnrolmentStatus;
  readonly description: string;
}

export const TRANSITIONS: readonly TransitionRule[] = [
  {
    event: 'accept',
    from: ['applied'],
    to: 'accepted',
    description: 'The application is accepted.',
  },
  {
    event: 'commence',
    from: ['accepted'],
    to: 'active',
    description: 'The participant formally starts the programme.',
  },
  {
    event: 'defer',
    from: ['active'],
    to: 'deferred',
    description: 'An agreed deferral to a later cohort (policy 2.3).',
  },
  {
    event: 'resume',
    from: ['deferred', 'withdrawn'],
    to: 'active',
    description: 'Re-joining after a deferral, or reinstatement after a withdrawal.',
  },
  {
    event: 'withdraw',
    from: ['accepted', 'active', 'deferred'],
    to: 'withdrawn',
    description: 'Withdrawal, including not returning from a deferral (policy 2.3.8).',
  },
  {
    event: 'transfer_out',
    from: ['active', 'deferred'],
    to: 'transferred_out',
    description:
      'A move to a school outside our network, continuing with another lead provider (policy 2.6.4).',
  },
  {
    event: 'complete_passed',
    from: ['active'],
    to: 'completed_passed',
    description: 'Completed and passed the assessment.',
  },
  {
    event: 'complete_failed',
    from: ['active'],
    to: 'completed_failed',
    description: 'Completed without passing, with no attempts left.',
  },
];

export type TransitionResult =
  | {
      readonly ok: true;
      readonly from: EnrolmentStatus;
      readonly to: EnrolmentStatus;
      readonly trainingStatus: TrainingStatus | null;
      /** Report to the DfE with this action when the training status changes. */
      readonly dfeAction: DfeAction | null;
    }
  | { readonly ok: false; readonly from: EnrolmentStatus; readonly reason: string };

/** The DfE action that moves one training status to another, or null if none is needed. */
export function dfeActionFor(
  from: TrainingStatus | null,
  to: TrainingStatus | null,
): DfeAction | null {
  if (from === to || from === null || to === null) return null;
  if (to === 'deferred') return 'defer';
  if (to === 'withdrawn') return 'withdraw';
  return 'resume';
}

export function allowedEvents(state: EnrolmentStatus): LifecycleEvent[] {
  return TRANSITIONS.filter((t) => t.from.includes(state)).map((t) => t.event);
}

export function transition(state: EnrolmentStatus, event: LifecycleEvent): TransitionResult {
  const rule = TRANSITIONS.find((t) => t.event === event);
  if (!rule || !rule.from.includes(state)) {
    const allowed = allowedEvents(state);
    return {
      ok: false,
      from: state,
      reason:
        `Cannot ${event.replace('_', ' ')} an enrolment that is ${state.replace('_', ' ')}.` +
        (allowed.length > 0
          ? ` From ${state} the allowed events are: ${allowed.join(', ')}.`
          : ` ${state} is final.`),
    };
  }
  const before = DFE_TRAINING_STATUS[state];
  const after = DFE_TRAINING_STATUS[rule.to];
  return {
    ok: true,
    from: state,
    to: rule.to,
    trainingStatus: after,
    dfeAction: dfeActionFor(before, after),
  };
}
