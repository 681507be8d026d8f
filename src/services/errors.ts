import type { Decision } from '../policy/decision.js';

/**
 * Errors a use case raises on purpose. The web layer maps each to a status; anything else is a
 * bug and answers 500.
 */
export class ServiceError extends Error {
  constructor(
    message: string,
    readonly status: number,
    readonly code: string,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/**
 * Also used for reads the actor may not make: they must not learn that the record exists, so the
 * message never says which record was missing (the argument is for logs and developers only).
 */
export class NotFoundError extends ServiceError {
  constructor(readonly detail = 'Not found') {
    super('Not found', 404, 'NOT_FOUND');
  }
}

export class ForbiddenError extends ServiceError {
  constructor(message = 'You are not allowed to do this') {
    super(message, 403, 'FORBIDDEN');
  }
}

export class UnauthenticatedError extends ServiceError {
  constructor() {
    super('Sign in to continue', 401, 'UNAUTHENTICATED');
  }
}

/** Someone else changed the record first (optimistic concurrency) or a duplicate was refused. */
export class ConflictError extends ServiceError {
  constructor(message = 'This record was changed by someone else. Reload it and try again.') {
    super(message, 409, 'CONFLICT');
  }
}

export interface FieldError {
  path: string;
  message: string;
}

export class ValidationError extends ServiceError {
  constructor(readonly errors: FieldError[]) {
    super(errors.map((e) => `${e.path}: ${e.message}`).join('; '), 422, 'VALIDATION');
  }
}

/** The policy said no: the decision, with its reasons and clauses, goes back to the caller. */
export class PolicyRefusalError extends ServiceError {
  constructor(
    readonly decision: Decision,
    message = decision.reasons.find((r) => !r.met)?.message ?? 'The policy does not allow this',
  ) {
    super(message, 422, 'POLICY_REFUSED');
  }
}
