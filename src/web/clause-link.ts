/**
 * Links to a clause of the published policy (/policy): each clause has an anchor, so a decision's
 * reason can link to the words it rests on. Used in views as `clauseLink('2.3.2')` and through the
 * `clauseRef` macro in views/policy-macros.njk.
 */
export function clauseAnchor(clause: string): string {
  return `clause-${clause.replace(/[^0-9A-Za-z]+/g, '-')}`;
}

/**
 * The published policy's anchors are clauses (2.3.1, 2.2.1.4); a section (2.3, "Deferral") links
 * to its first clause, where the section starts.
 */
export function clauseLink(clause: string): string {
  const anchor = /^\d+\.\d+$/.test(clause) ? `${clause}.1` : clause;
  return `/policy#${clauseAnchor(anchor)}`;
}
