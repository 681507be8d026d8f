import { z } from 'zod';

/** Shared pieces of the API's schemas. */
export const IdParam = z.object({ id: z.coerce.number().int().positive() });

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
