import type { Actor } from '../../../services/actor.js';
import { currentDeferralOf } from '../../../services/deferral-status.js';
import { contactDetailsFor } from '../../../services/organisations/contacts.js';
import type { PageDeps } from './helpers.js';

/**
 * What views/participant/deferral-panel.njk needs: the agreed deferral (or null) and, with it, who
 * to contact. Any participant page can spread this into its view model and include the partial.
 */
export async function deferralPanel(deps: PageDeps, actor: Actor, enrolmentId: number) {
  const currentDeferral = await currentDeferralOf(deps, actor, enrolmentId);
  return {
    currentDeferral,
    contact: currentDeferral ? await contactDetailsFor(deps, actor, enrolmentId) : null,
  };
}
