/**
 * Every rule and the clauses it implements, gathered in one list so docs/policy.md and the coverage
 * test can show, clause by clause, what enforces the policy.
 */
import type { RuleMetadata } from './decision.js';
import { ACCESS_RULES } from './access.js';
import { ASSESSMENT_RULES } from './assessment.js';
import { CALENDAR_RULES } from './calendar.js';
import { CLINIC_RULES } from './clinics.js';
import { COACHING_RULES } from './coaching.js';
import { DEFERRAL_RULES } from './deferral.js';
import { ENGAGEMENT_RULES } from './engagement.js';
import { ENROLMENT_STATUS_RULES } from './enrolment-status.js';
import { FUNDING_RULES } from './funding.js';
import { PORTABILITY_RULES } from './portability.js';
import { REGISTER_RULES } from './register.js';
import { RESUMPTION_RULES } from './resumption.js';
import { WHAT_IF_RULES } from './what-if.js';
import { WITHDRAWAL_RULES } from './withdrawal.js';

export const LIFECYCLE_RULES: readonly RuleMetadata[] = [
  {
    rule: 'transition',
    file: 'src/domain/participant-lifecycle.ts',
    clauses: ['2.3.2', '2.3.8', '2.6.4'],
    summary:
      'The enrolment state machine: commence before defer, withdraw when not returning, transfer out on a move outside the network; each state maps to the DfE training_status.',
  },
];

export const POLICY_RULES: readonly RuleMetadata[] = [
  ...ENGAGEMENT_RULES,
  ...ACCESS_RULES,
  ...ENROLMENT_STATUS_RULES,
  ...CALENDAR_RULES,
  ...CLINIC_RULES,
  ...COACHING_RULES,
  ...ASSESSMENT_RULES,
  ...DEFERRAL_RULES,
  ...RESUMPTION_RULES,
  ...FUNDING_RULES,
  ...PORTABILITY_RULES,
  ...REGISTER_RULES,
  ...WHAT_IF_RULES,
  ...WITHDRAWAL_RULES,
  ...LIFECYCLE_RULES,
];
