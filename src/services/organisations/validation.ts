import { isIsoDate } from '../../policy/index.js';
import type { FieldError } from '../errors.js';

/**
 * Field checks shared by the organisation forms and the API, so both say the same thing. Each
 * returns the cleaned value, or records a field error and returns null.
 */
export const SLUG = /^[a-z0-9]+(-[a-z0-9]+)*$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
const PHONE = /^\+?[0-9 ()-]{7,20}$/;

export class Fields {
  readonly errors: FieldError[] = [];

  error(path: string, message: string): void {
    if (!this.errors.some((e) => e.path === path)) this.errors.push({ path, message });
  }

  name(path: string, value: string | undefined, what: string): string {
    const v = (value ?? '').trim();
    if (v === '') this.error(path, `Enter the ${what}`);
    else if (v.length > 200) this.error(path, `The ${what} must be 200 characters or fewer`);
    return v;
  }

  slug(path: string, value: string | undefined): string {
    const v = (value ?? '').trim();
    if (v === '') this.error(path, 'Enter a short name for web addresses, like north-hub');
    else if (v.length > 60 || !SLUG.test(v))
      this.error(
        path,
        'The short name must be 60 characters or fewer: lowercase letters, digits and single hyphens, like north-hub',
      );
    return v;
  }

  /** Optional text: blank is null. */
  optionalEmail(path: string, value: string | null | undefined): string | null {
    const v = (value ?? '').trim();
    if (v === '') return null;
    if (v.length > 254 || !EMAIL.test(v))
      this.error(path, 'Enter an email address in the correct format, like name@example.com');
    return v;
  }

  optionalPhone(path: string, value: string | null | undefined): string | null {
    const v = (value ?? '').trim();
    if (v === '') return null;
    if (!PHONE.test(v))
      this.error(path, 'Enter a telephone number, like 01632 960 001 or +44 808 157 0192');
    return v;
  }

  optionalText(path: string, value: string | null | undefined, what: string): string | null {
    const v = (value ?? '').trim();
    if (v === '') return null;
    if (v.length > 500) this.error(path, `The ${what} must be 500 characters or fewer`);
    return v;
  }

  /** An https address of a page people can open (a published policy, say); blank is null. */
  optionalUrl(path: string, value: string | null | undefined, what: string): string | null {
    const v = (value ?? '').trim();
    if (v === '') return null;
    let ok = v.length <= 500;
    try {
      ok &&= new URL(v).protocol === 'https:';
    } catch {
      ok = false;
    }
    if (!ok)
      this.error(
        path,
        `Enter the ${what} as a full web address starting https://, like https://www.example.org/policies`,
      );
    return v;
  }

  optionalDate(path: string, value: string | null | undefined, what: string): string | null {
    const v = (value ?? '').trim();
    if (v === '') return null;
    if (!isIsoDate(v)) this.error(path, `Enter the ${what} as a real date, like 2028-08-31`);
    return v;
  }
}
