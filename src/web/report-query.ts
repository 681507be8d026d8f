import { z } from 'zod';
import { pageQueryParam } from './forms.js';
import { COURSE_IDENTIFIERS, WORKING_PATTERNS } from '../domain/catalogue.js';
import {
  FUNNEL_STEPS,
  REPORT_DIMENSIONS,
  type Figure,
  type ReportDimension,
  type ReportFilters,
} from '../services/reports.js';

/**
 * The report pages' query string: filters (cohort, course, partner, working pattern), the
 * breakdown (by) and, for a drill-down, the figure. A value that is not one of the choices is
 * ignored (the page shows everything rather than an error for a hand-edited address).
 */
const id = z
  .string()
  .regex(/^\d{1,9}$/)
  .transform(Number)
  .optional()
  .catch(undefined);

export const ReportQuery = z.object({
  cohort: id,
  course: z.enum(COURSE_IDENTIFIERS).optional().catch(undefined),
  partner: id,
  pattern: z.enum(WORKING_PATTERNS).optional().catch(undefined),
  by: z.enum(REPORT_DIMENSIONS).optional().catch(undefined),
});

export const FIGURE_KINDS = [
  ...FUNNEL_STEPS,
  'deferral',
  'assessment_deferral',
  'withdrawal',
  'at_risk',
  'school_move',
  'transfer',
] as const;

export const FigureQuery = z.object({
  figure: z.enum(FIGURE_KINDS).optional().catch(undefined),
  key: z.string().max(100).optional().catch(undefined),
  outcome: z.string().max(50).optional().catch(undefined),
  on: z
    .string()
    .regex(/^\d{4}-\d{2}-\d{2}$/)
    .refine((s) => !Number.isNaN(Date.parse(s)))
    .optional()
    .catch(undefined),
  page: pageQueryParam,
});

export interface ParsedReportQuery {
  filters: ReportFilters;
  by: ReportDimension;
}

export function parseReportQuery(query: unknown, canFilterByPartner: boolean): ParsedReportQuery {
  return reportFiltersOf(ReportQuery.parse(query ?? {}), canFilterByPartner);
}

/** Filters from already-validated values (a page's query, or the API's schema-checked one). */
export function reportFiltersOf(
  q: {
    cohort?: number | undefined;
    course?: (typeof COURSE_IDENTIFIERS)[number] | undefined;
    partner?: number | undefined;
    pattern?: (typeof WORKING_PATTERNS)[number] | undefined;
    by?: ReportDimension | undefined;
  },
  canFilterByPartner: boolean,
): ParsedReportQuery {
  const filters: ReportFilters = {};
  if (q.cohort !== undefined) filters.cohortId = q.cohort;
  if (q.course !== undefined) filters.course = q.course;
  if (q.partner !== undefined && canFilterByPartner) filters.deliveryPartnerId = q.partner;
  if (q.pattern !== undefined) filters.workingPattern = q.pattern;
  return { filters, by: q.by ?? (canFilterByPartner ? 'partner' : 'cohort') };
}

/** The figure a drill-down asks for, or undefined when the query does not name one fully. */
export function parseFigure(query: unknown): { figure: Figure | undefined; page: number } {
  const q = FigureQuery.parse(query ?? {});
  const page = Math.max(1, q.page ?? 1);
  const key = q.key ?? '';
  const outcome = q.outcome ?? '';
  const figure = ((): Figure | undefined => {
    switch (q.figure) {
      case undefined:
        return undefined;
      case 'deferral':
      case 'assessment_deferral':
        return key && outcome ? { kind: q.figure, circumstance: key, outcome } : undefined;
      case 'withdrawal':
        return key ? { kind: 'withdrawal', reason: key } : undefined;
      case 'at_risk':
        if (!q.on) return undefined;
        return key === 'engagement_behind' || key === 'engagement_unreachable'
          ? { kind: 'at_risk', on: q.on, alert: key }
          : { kind: 'at_risk', on: q.on };
      case 'school_move':
        return key === 'inside' || key === 'outside'
          ? { kind: 'school_move', insideNetwork: key === 'inside' }
          : undefined;
      case 'transfer':
        return key ? { kind: 'transfer', status: key } : undefined;
      default:
        return { kind: q.figure };
    }
  })();
  return { figure, page };
}

/** The query string for filters (and a breakdown, and a figure), leading '?' when not empty. */
export function reportQueryString(
  filters: ReportFilters,
  extra: Record<string, string | number | undefined> = {},
): string {
  const p = new URLSearchParams();
  if (filters.cohortId !== undefined) p.set('cohort', String(filters.cohortId));
  if (filters.course !== undefined) p.set('course', filters.course);
  if (filters.deliveryPartnerId !== undefined) p.set('partner', String(filters.deliveryPartnerId));
  if (filters.workingPattern !== undefined) p.set('pattern', filters.workingPattern);
  for (const [k, v] of Object.entries(extra)) if (v !== undefined && v !== '') p.set(k, String(v));
  const s = p.toString();
  return s ? `?${s}` : '';
}

/** The figure's own query parameters (for links and the CSV of a drill-down). */
export function figureParams(figure: Figure): Record<string, string> {
  switch (figure.kind) {
    case 'deferral':
    case 'assessment_deferral':
      return { figure: figure.kind, key: figure.circumstance, outcome: figure.outcome };
    case 'withdrawal':
      return { figure: figure.kind, key: figure.reason };
    case 'at_risk':
      return { figure: figure.kind, on: figure.on, ...(figure.alert ? { key: figure.alert } : {}) };
    case 'school_move':
      return { figure: figure.kind, key: figure.insideNetwork ? 'inside' : 'outside' };
    case 'transfer':
      return { figure: figure.kind, key: figure.status };
    default:
      return { figure: figure.kind };
  }
}

/** A dimension value as a filter: the funnel row for a partner links with partner=<id>. */
export function withDimension(
  filters: ReportFilters,
  by: ReportDimension,
  key: string,
): ReportFilters {
  switch (by) {
    case 'cohort':
      return { ...filters, cohortId: Number(key) };
    case 'course':
      return { ...filters, course: key };
    case 'partner':
      return { ...filters, deliveryPartnerId: Number(key) };
    case 'pattern':
      return { ...filters, workingPattern: key as ReportFilters['workingPattern'] & string };
  }
}
