import { describe, expect, it } from 'vitest';
import { safeRedirectPath } from '../../src/web/forms.js';

describe('safeRedirectPath', () => {
  it.each(['/my-programme', '/cohorts/3?status=active', '/participants/12#timeline'])(
    'keeps %s',
    (path) => {
      expect(safeRedirectPath(path, '/')).toBe(path);
    },
  );

  it.each([
    'https://evil.test/',
    '//evil.test',
    '/\\evil.test',
    '\\\\evil.test',
    '/\t/evil.test',
    '/\n/evil.test',
    '/ /evil.test',
    '/x\r\nSet-Cookie: a=b',
    'javascript:alert(1)',
    '',
    undefined,
    42,
  ])('refuses %j', (path) => {
    expect(safeRedirectPath(path, '/home')).toBe('/home');
  });
});
