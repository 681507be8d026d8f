import { accountsApi } from './accounts.js';
import { assessmentApi } from './assessment.js';
import { assignmentsApi } from './assignments.js';
import { auditApi } from './audit.js';
import { bookingsApi } from './bookings.js';
import { cohortsApi } from './cohorts.js';
import { deferralCasesApi } from './deferral-cases.js';
import { emailMessagesApi } from './email-messages.js';
import { engagementApi } from './engagement.js';
import type { ApiModule } from './plugin.js';
import { participantRecordApi } from './participant-record.js';
import { participantsApi } from './participants.js';
import { schoolMovesApi } from './school-moves.js';
import { withdrawalsApi } from './withdrawals.js';
import { organisationsApi } from './organisations.js';
import { schoolsApi } from './schools.js';
import { myDataApi } from './my-data.js';
import { importReferralsApi } from './import-referrals.js';
import { erasureApi } from './erasure.js';
import { importsApi } from './imports.js';
import { dfeApplicationsApi } from './dfe-applications.js';
import { dfeOutboxApi } from './dfe-outbox.js';
import { transfersApi } from './transfers.js';
import { reportsApi } from './reports.js';
import { policyRegisterApi } from './policy-register.js';

/** Every API area, in the order their routes appear in the OpenAPI document. */
export const API_MODULES: readonly ApiModule[] = [
  participantsApi,
  participantRecordApi,
  cohortsApi,
  engagementApi,
  bookingsApi,
  deferralCasesApi,
  assessmentApi,
  schoolMovesApi,
  withdrawalsApi,
  auditApi,
  assignmentsApi,
  emailMessagesApi,
  accountsApi,
  organisationsApi,
  schoolsApi,
  myDataApi,
  importReferralsApi,
  erasureApi,
  importsApi,
  dfeApplicationsApi,
  dfeOutboxApi,
  transfersApi,
  reportsApi,
  policyRegisterApi,
];
