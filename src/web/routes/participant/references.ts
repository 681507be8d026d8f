import type { ASSESSMENT_CIRCUMSTANCES } from '../../../policy/index.js';

/**
 * The references a participant quotes about a request, shown on its confirmation and on Changes.
 * Staff see the same number as "Deferral case N", "Assessment deferral N" and "School move N".
 */
export const deferralReference = (id: number) => `DC-${id}`;
export const assessmentDeferralReference = (id: number) => `AD-${id}`;
export const schoolMoveReference = (id: number) => `SM-${id}`;
/** A transfer to another lead provider after a move outside our network (staff: "Transfer N"). */
export const transferReference = (id: number) => `TR-${id}`;

export const ASSESSMENT_CIRCUMSTANCE_LABELS: Record<
  (typeof ASSESSMENT_CIRCUMSTANCES)[number],
  string
> = {
  unforeseen_illness_or_health: 'Unforeseen illness or a health-related issue',
  leave_of_absence: 'A leave of absence',
  bereavement: 'Bereavement',
  unforeseen_personal_change: 'An unforeseen change to personal circumstances',
  other_significant_unforeseen: 'Another significant, unforeseen event',
};
