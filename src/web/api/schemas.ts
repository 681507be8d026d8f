import { z } from 'zod';

/** Shared pieces of the API's schemas. */
/** Ids are 32-bit integer columns: anything larger is refused at the edge, not by the database. */
export const MAX_ID = 2_147_483_647;

/** A database id in a JSON body. */
export const Id = z.number().int().positive().max(MAX_ID);

/** A database id in a path or query string: plain digits only (not "0x10" or "1e3"). */
export const IdString = z
  .string()
  .regex(/^[1-9][0-9]{0,9}$/, 'Must be a whole number of 1 or more')
  .transform(Number)
  .pipe(z.number().max(MAX_ID, 'Must be a whole number of 1 or more'));

export const IdParam = z.object({ id: IdString });

export const Pagination = z.object({
  limit: z.coerce.number().int().min(1).max(500).default(50),
  offset: z.coerce.number().int().min(0).default(0),
});

export const IsoDate = z.iso.date();

export const Reason = z
  .object({
    code: z.string(),
    clause: z.string(),
    met: z.boolean(),
    message: z.string(),
    evidence: z.record(z.string(), z.unknown()).readonly(),
  })
  .meta({ id: 'PolicyReason' });

/** A policy decision as the API shows it: the outcome, every reason with its clause, the policy version. */
export const PolicyDecision = z
  .object({
    outcome: z.string(),
    reasons: z.array(Reason).readonly(),
    policyVersion: z.string(),
    details: z.unknown(),
  })
  .meta({ id: 'PolicyDecision' });

/** Every error body the API sends has this shape; `errors` lists field problems, `reasons` the policy's. */
export const ErrorBody = z
  .object({
    error: z.string(),
    code: z.string(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    reasons: z.array(z.unknown()).optional(),
    policyVersion: z.string().optional(),
    reference: z.string().optional(),
  })
  .meta({ id: 'Error' });

/** The error responses of a read, and of a write (validation, authorisation, a stale version, a refusal). */
export const readErrors = { 401: ErrorBody, 404: ErrorBody };
export const writeErrors = {
  400: ErrorBody,
  401: ErrorBody,
  403: ErrorBody,
  404: ErrorBody,
  409: ErrorBody,
  422: ErrorBody,
};

/** Decisions on a case carry the version the caller read, so a stale one is refused with 409. */
export const Version = z.object({
  expectedVersion: Id.describe('The case version you read (409 if stale)'),
});
