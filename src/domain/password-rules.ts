import type { dictionary as Dictionary } from '@zxcvbn-ts/language-common';
import { lazyRequire } from '../lazy-require.js';

/** The package decompresses its lists when loaded: on the first password checked, not at start-up. */
const zxcvbnCommon = lazyRequire<{ dictionary: typeof Dictionary }>('@zxcvbn-ts/language-common');

/**
 * What a password must be (the rules; NCSC and NIST SP 800-63B advice): long enough, and
 * not one of the passwords people pick most often. No rules about digits or symbols: they make
 * passwords harder to remember without making them harder to guess.
 */
export const PASSWORD_MIN_LENGTH = 12;
/** Long passphrases are welcome; this only stops a megabyte being hashed. */
export const PASSWORD_MAX_LENGTH = 256;
export const COMMON_PASSWORD_COUNT = 10_000;

/**
 * The 10,000 most common passwords, most common first, from the frequency-ranked list that
 * @zxcvbn-ts/language-common (MIT) ships as 'passwords-common'. Compared without regard to case.
 */
let commonPasswords: ReadonlySet<string> | undefined;
const COMMON_PASSWORDS = (): ReadonlySet<string> =>
  (commonPasswords ??= new Set(
    zxcvbnCommon()
      .dictionary['passwords-common'].slice(0, COMMON_PASSWORD_COUNT)
      .map((p) => p.toLowerCase()),
  ));

export const PASSWORD_HINT = `Use at least ${PASSWORD_MIN_LENGTH} characters. A few unrelated words together make a password that is easy to remember and hard to guess. Do not use a common password.`;

export function isCommonPassword(password: string): boolean {
  return COMMON_PASSWORDS().has(password.toLowerCase());
}

/** The first thing wrong with a new password, in plain English, or null when it is fine. */
export function passwordProblem(
  password: string,
  about: { email?: string | undefined } = {},
): string | null {
  if (password.length === 0) return 'Enter a new password';
  // Characters as people count them, so an emoji or accented letter is one.
  const length = [...password].length;
  if (length < PASSWORD_MIN_LENGTH)
    return `Your password must be at least ${PASSWORD_MIN_LENGTH} characters long`;
  if (length > PASSWORD_MAX_LENGTH)
    return `Your password must be ${PASSWORD_MAX_LENGTH} characters or fewer`;
  if (password.trim().length === 0) return 'Your password cannot be only spaces';
  if (isCommonPassword(password) || isCommonPassword(password.trim()))
    return 'This is one of the most common passwords, so it is easy to guess. Choose a different password';
  const email = about.email?.trim().toLowerCase();
  if (email && (password.toLowerCase() === email || password.toLowerCase() === email.split('@')[0]))
    return 'Your password must not be your email address';
  return null;
}
