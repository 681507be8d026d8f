import { z } from 'zod';
import {
  ACTIVITY_KINDS,
  COURSE_IDENTIFIERS,
  FUNDING_ROUTES,
  WORKING_PATTERNS,
} from './catalogue.js';

/**
 * The transfer data-sharing package (policy 2.6.4): what one npq-ops sends another when a
 * participant moves to a school outside the sending lead provider's network. It is a compact JWS
 * (RFC 7515) signed with the sender's key; the payload is this shape, and nothing else.
 *
 * The participant's consent covers exactly the sections in TRANSFER_CONSENT_COVERS, which the
 * consent question names: their identity and contact email, their working pattern and funding
 * route, their school history, their programme and its engagement record (what they completed
 * and when) and their assessment attempts used. It does not cover the sender's case notes, policy
 * decisions, audit trail, delivery partner or staff: none of those is in the package.
 */

export const TRANSFER_PACKAGE_TYPE = 'npq-ops.transfer-package';
/** The current version. A package of another version is refused with that reason. */
export const TRANSFER_PACKAGE_VERSION = 1;
/** The JWS header's typ, so a package is never mistaken for another kind of signed token. */
export const TRANSFER_PACKAGE_JWS_TYP = 'npq-transfer+jws';
/** A package is good for this long after it was signed: the receiver imports it soon after. */
export const TRANSFER_PACKAGE_LIFETIME_DAYS = 30;

export const TRANSFER_CONSENT_COVERS = [
  'identity',
  'contact_email',
  'working_pattern_and_funding',
  'school_history',
  'programme_and_engagement',
  'assessment_attempts',
] as const;

/** How the consent question and the package page describe each section, in plain English. */
export const TRANSFER_CONSENT_TEXT: Record<(typeof TRANSFER_CONSENT_COVERS)[number], string> = {
  identity: 'name, teacher reference number (TRN) and DfE registration',
  contact_email: 'email address',
  working_pattern_and_funding: 'working pattern and funding route',
  school_history: 'schools worked at, with dates',
  programme_and_engagement: 'NPQ, cohort and the learning completed, with dates',
  assessment_attempts: 'assessment attempts used',
};

const IsoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a date as YYYY-MM-DD');
const IsoDateTime = z.iso.datetime({ offset: true });

export const TransferPackagePayload = z
  .object({
    type: z.literal(TRANSFER_PACKAGE_TYPE),
    version: z.number().int(),
    kid: z.string().min(1).max(200),
    issuedAt: IsoDateTime,
    expiresAt: IsoDateTime,
    from: z.object({ leadProvider: z.string().min(1).max(200) }).strict(),
    to: z.object({ leadProvider: z.string().min(1).max(200) }).strict(),
    consent: z
      .object({
        givenAt: IsoDateTime,
        covers: z.array(z.enum(TRANSFER_CONSENT_COVERS)),
      })
      .strict(),
    participant: z
      .object({
        fullName: z.string().min(1).max(200),
        email: z.email().max(320),
        trn: z
          .string()
          .regex(/^[0-9]{7}$/)
          .nullable(),
        dfeRegistrationId: z.string().min(1).max(100).nullable(),
        fundingRoute: z.enum(FUNDING_ROUTES),
        workingPattern: z.enum(WORKING_PATTERNS),
        partTimeFraction: z.number().gt(0).lt(1).nullable(),
        schoolHistory: z
          .array(
            z
              .object({
                schoolUrn: z.string().min(1).max(20),
                schoolName: z.string().min(1).max(300),
                startedOn: IsoDate,
                endedOn: IsoDate.nullable(),
              })
              .strict(),
          )
          .max(100),
      })
      .strict()
      .refine((p) => p.trn !== null || p.dfeRegistrationId !== null, {
        message: 'a TRN or a DfE registration id',
        path: ['trn'],
      }),
    programme: z
      .object({
        course: z.enum(COURSE_IDENTIFIERS),
        programmeVersion: z.string().min(1).max(50),
        cohort: z.string().min(1).max(200),
        cohortStartDate: IsoDate,
        engagementPercentage: z.number().min(0).max(100),
        completed: z
          .array(
            z
              .object({
                kind: z.enum(ACTIVITY_KINDS),
                sequenceNumber: z.number().int().positive(),
                title: z.string().min(1).max(300),
                completedAt: IsoDateTime,
              })
              .strict(),
          )
          .max(1000),
      })
      .strict(),
    assessment: z.object({ attemptsUsed: z.number().int().min(0).max(2) }).strict(),
  })
  .strict();

export type TransferPackage = z.infer<typeof TransferPackagePayload>;

/** Why a package is refused: each shown to the person importing it with its own message. */
export type PackageRefusal =
  | 'malformed'
  | 'unsigned'
  | 'tampered'
  | 'unknown_key'
  | 'revoked_key'
  | 'unsupported_version'
  | 'expired'
  | 'already_known';
