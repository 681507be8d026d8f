/**
 * The policy engine for the NPQ Part-Time, Deferral and Portability Policy. Pure functions: the
 * clock, ids and data come in as arguments, and every answer is a Decision citing the policy clause.
 */
export * from './access.js';
export * from './activity-dates.js';
export * from './assessment.js';
export * from './calendar.js';
export * from './clauses.js';
export * from './clinics.js';
export * from './coaching.js';
export * from './contacts.js';
export * from './dates.js';
export * from './decision.js';
export * from './deferral.js';
export * from './docs.js';
export * from './engagement.js';
export * from './enrolment-status.js';
export * from './funding.js';
export * from './portability.js';
export * from './register.js';
export * from './register-versions.js';
export * from './resumption.js';
export * from './rules.js';
export * from './what-if.js';
export * from './withdrawal.js';
export * from '../domain/participant-lifecycle.js';
