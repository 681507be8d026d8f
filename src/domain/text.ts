/**
 * Text the database cannot store: PostgreSQL refuses the NUL character (U+0000) in text, and a
 * lone UTF-16 surrogate (half of a pair, U+D800 to U+DFFF on its own) is not a character at all
 * (JSON columns refuse it; UTF-8 cannot encode it). Such text is refused at the edge with a field
 * error, never passed on to fail as a 500.
 */

/**
 * The first NUL or unpaired surrogate in a string. With the `u` flag a well-formed pair is one
 * code point, so the class matches only a half that stands alone.
 */
const BAD_CHARACTER = /\0|[\uD800-\uDFFF]/u;

export interface TextProblem {
  path: string;
  message: string;
}

/** What is wrong with a string, or null when it can be stored. */
export function textProblem(text: string): string | null {
  const match = BAD_CHARACTER.exec(text);
  if (!match) return null;
  const before = text.slice(0, match.index);
  const line = before.split('\n').length;
  const where = text.includes('\n') ? ` (line ${line})` : '';
  if (match[0] === '\0') {
    return `Remove the hidden NUL character (U+0000)${where}: it cannot be stored`;
  }
  const code = match[0].charCodeAt(0).toString(16).toUpperCase();
  return `Remove the broken character (a lone UTF-16 surrogate, U+${code})${where}: it is not valid text`;
}

/**
 * The first string in a value (an object, an array or a string, as a parsed JSON body, form or
 * query string gives) that cannot be stored, with its dotted path; object keys are checked too.
 */
export function firstTextProblem(value: unknown, path: string, depth = 0): TextProblem | null {
  if (typeof value === 'string') {
    const message = textProblem(value);
    return message ? { path, message } : null;
  }
  if (value === null || typeof value !== 'object' || depth > 64) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = firstTextProblem(value[i], `${path}.${i}`, depth + 1);
      if (found) return found;
    }
    return null;
  }
  // Data only: a stream or a buffer (an upload) is checked where it is read. (A parsed query
  // string's object may have a prototype of its parser's own, so plain-ness is not the test.)
  if (ArrayBuffer.isView(value) || typeof (value as { pipe?: unknown }).pipe === 'function') {
    return null;
  }
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    const keyMessage = textProblem(key);
    if (keyMessage) return { path, message: `A field name: ${keyMessage}` };
    const found = firstTextProblem(item, `${path}.${key}`, depth + 1);
    if (found) return found;
  }
  return null;
}

/** The first cell of a CSV record that cannot be stored: { field: column name, message }. */
export function csvCellProblem(
  record: Readonly<Record<string, string | undefined>>,
): { field: string; message: string } | null {
  for (const [field, cell] of Object.entries(record)) {
    const message = typeof cell === 'string' ? textProblem(cell) : null;
    if (message) return { field, message };
    const header = textProblem(field);
    if (header) return { field: 'header', message: header };
  }
  return null;
}
