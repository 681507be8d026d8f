import { z } from 'zod';

/** Field errors in the shape GOV.UK's error summary and field components take. */
export interface FormErrors {
  list: { text: string; href: string }[];
  byField: Record<string, { text: string }>;
}

export function formErrors(
  issues: readonly { path: readonly PropertyKey[]; message: string }[],
): FormErrors {
  const list: FormErrors['list'] = [];
  const byField: FormErrors['byField'] = {};
  for (const issue of issues) {
    const field = String(issue.path[0] ?? 'form');
    if (byField[field]) continue;
    byField[field] = { text: issue.message };
    list.push({ text: issue.message, href: `#${field}` });
  }
  return { list, byField };
}

export function parseForm<S extends z.ZodType>(
  schema: S,
  body: unknown,
): { ok: true; data: z.output<S> } | { ok: false; errors: FormErrors } {
  const result = schema.safeParse(body ?? {});
  return result.success
    ? { ok: true, data: result.data }
    : { ok: false, errors: formErrors(result.error.issues) };
}

/** Only same-site paths: never an absolute URL an attacker could bounce a user to. */
export function safeRedirectPath(next: unknown, fallback: string): string {
  // One leading slash, then printable ASCII but the backslash: no space, tab or control character
  // (browsers drop a tab in "/\t/evil.test", which would leave "//evil.test").
  return typeof next === 'string' && /^\/(?![/\\])[!-[\]-~]*$/.test(next) ? next : fallback;
}

/**
 * A list page's `?page=` in a query string: a whole number, or undefined for anything else (the
 * list then shows its first page rather than an error).
 */
export const pageQueryParam = z
  .string()
  .regex(/^\d{1,6}$/)
  .transform(Number)
  .optional()
  .catch(undefined);
