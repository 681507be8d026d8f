/**
 * Links to a clause of the published policy (/policy): each clause has an anchor, so a decision's
 * reason can link to the words it rests on. Used in views as `clauseLink('2.3.2')` and through the
 * `clauseRef` macro in views/policy-macros.njk.
 */
export function clauseAnchor(clause: string): string {
  return `clause-${clause.replace(/[^0-9A-Za-z]+/g, '-')}`;
}

export function clauseLink(clause: string): string {
  return `/policy#${clauseAnchor(clause)}`;
}
