import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
import path from 'node:path';
import { whenText } from './email-view.js';
import nunjucks from 'nunjucks';
import { clauseAnchor, clauseLink } from './clause-link.js';
import { aboutParticipant } from '../domain/third-person.js';
import { formatBasisPoints, formatThreshold } from '../policy/engagement.js';
import { formatLongDate, isIsoDate } from '../policy/dates.js';
import { countWord, noticePeriodsText } from './policy-words.js';
import { CompiledTemplateLoader, compileTemplates } from './compiled-templates.js';

const require = createRequire(import.meta.url);

/** govuk-frontend's dist folder: its Nunjucks macros and the assets the app serves itself. */
export const GOVUK_FRONTEND_DIST = path.resolve(
  path.dirname(require.resolve('govuk-frontend')),
  '..',
);
// Templates and static files stay in src/web/ (the build compiles only TypeScript): the path goes
// through the project folder so it is the same from src/web/render.ts and dist/web/render.js.
export const VIEWS_DIR = fileURLToPath(new URL('../../src/web/views/', import.meta.url));
export const PUBLIC_DIR = fileURLToPath(new URL('../../src/web/public/', import.meta.url));

/** Where templates are found: ours, then GOV.UK Frontend's macros. */
export const TEMPLATE_SEARCH_PATHS = [VIEWS_DIR, GOVUK_FRONTEND_DIST];
export const COMPILE_SETTINGS = { throwOnUndefined: false };

/** The build's step (bin/build.js): every template compiled ahead (compiled-templates.ts). */
export function compileViewTemplates(): number {
  return compileTemplates(TEMPLATE_SEARCH_PATHS, COMPILE_SETTINGS);
}

const dateFormat = new Intl.DateTimeFormat('en-GB', {
  day: 'numeric',
  month: 'long',
  year: 'numeric',
  timeZone: 'Europe/London',
});

/** "2025-09-01" or a Date, shown the GOV.UK way: 1 September 2025. */
export function govukDate(value: string | Date | null | undefined): string {
  if (value === null || value === undefined || value === '') return '';
  // A calendar date (or a date-time, by its date) by arithmetic: the same words, without the
  // formatter (a page shows dozens of dates).
  if (typeof value === 'string') {
    const day = value.slice(0, 10);
    if (isIsoDate(day)) return formatLongDate(day);
  }
  const d = typeof value === 'string' ? new Date(`${value.slice(0, 10)}T12:00:00Z`) : value;
  return Number.isNaN(d.getTime()) ? String(value) : dateFormat.format(d);
}

export function createViewEnvironment(): nunjucks.Environment {
  // Compiled by the build where it could be (compiled-templates.ts), else when first rendered.
  const env = new nunjucks.Environment(
    new CompiledTemplateLoader(TEMPLATE_SEARCH_PATHS, COMPILE_SETTINGS),
    { autoescape: true, ...COMPILE_SETTINGS },
  );
  env.addFilter('govukDate', govukDate);
  // Basis points as the engagement figures are shown: rounded down to one decimal place.
  env.addFilter('basisPoints', (bp: number) => formatBasisPoints(bp));
  // A threshold of the version in force, in basis points, as the policy words it: 9500 -> 95%.
  env.addFilter('threshold', (bp: number) => formatThreshold(bp));
  // A small count in words ("three attempts"), as the policy writes it; 10 and over in figures.
  env.addFilter('countWord', countWord);
  // The notice periods of the version in force, e.g. "Clinics ... need 6 weeks' notice; ...".
  env.addFilter('noticePeriods', noticePeriodsText);
  env.addGlobal('clauseLink', clauseLink);
  env.addGlobal('clauseAnchor', clauseAnchor);
  env.addFilter('aboutParticipant', aboutParticipant);
  env.addFilter('govukNumber', (n: unknown) =>
    typeof n === 'number' ? n.toLocaleString('en-GB') : String(n ?? ''),
  );
  env.addFilter('govukDateTime', whenText);
  return env;
}
