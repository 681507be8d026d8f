import type { Actor } from '../services/actor.js';

export interface NavItem {
  href: string;
  text: string;
}

/** The service navigation for each kind of user; the current page is marked by its path prefix. */
export function navigationFor(
  actor: Actor | null,
  path: string,
): (NavItem & { active: boolean })[] {
  const items: NavItem[] = !actor
    ? []
    : actor.role === 'participant'
      ? [
          { href: '/my-programme', text: 'My programme' },
          { href: '/events', text: 'Clinics and events' },
          { href: '/assessment', text: 'Assessment' },
          { href: '/changes', text: 'Changes' },
          { href: '/calendar', text: 'Calendar' },
          { href: '/messages', text: 'Messages' },
        ]
      : [
          { href: '/', text: 'Cohorts' },
          { href: '/participants', text: 'Participants' },
          { href: '/cases', text: 'Cases' },
          ...(['admin', 'programme_team', 'delivery_partner_staff'].includes(actor.role)
            ? [{ href: '/imports', text: 'Imports' }]
            : []),
          ...(['admin', 'programme_team'].includes(actor.role)
            ? [{ href: '/cohorts/new', text: 'Set up a cohort' }]
            : []),
          ...(['admin', 'programme_team'].includes(actor.role)
            ? [{ href: '/assignments', text: 'Assignments' }]
            : []),
          ...(['admin', 'programme_team', 'delivery_partner_staff', 'facilitator'].includes(
            actor.role,
          )
            ? [{ href: '/registers', text: 'Registers' }]
            : []),
          ...(['admin', 'programme_team', 'delivery_partner_staff'].includes(actor.role)
            ? [{ href: '/reports', text: 'Reports' }]
            : []),
          ...(['admin', 'programme_team'].includes(actor.role)
            ? [{ href: '/dfe/applications', text: 'DfE applications' }]
            : []),
          ...(actor.role === 'coach' ? [{ href: '/coaching', text: 'My coaching' }] : []),
          ...(actor.role === 'assessor' ? [{ href: '/assessments', text: 'Marking' }] : []),
          ...(['admin', 'programme_team'].includes(actor.role)
            ? [{ href: '/assessments/moderation', text: 'Moderation' }]
            : []),
          // Organisation, partners, schools, accounts and the mailbox: one entry, one hub page.
          ...(['admin', 'programme_team'].includes(actor.role)
            ? [{ href: '/admin', text: 'Administration' }]
            : []),
        ];
  return items.map((item) => ({
    ...item,
    active:
      item.href === '/'
        ? path === '/' || (path.startsWith('/cohorts/') && !path.startsWith('/cohorts/new'))
        : path.startsWith(item.href),
  }));
}
