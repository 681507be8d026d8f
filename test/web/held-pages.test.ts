import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  compactHtml,
  createHeldPages,
  fillHeldPage,
  heldUntil,
  HELD_PAGE_HOLES,
  prepareHeldPage,
  stillHeld,
} from '../../src/web/held-pages.js';

describe('held pages (src/web/held-pages.ts)', () => {
  const now = new Date('2026-03-16T09:00:00Z');

  it.each([
    ['nothing dated', [], Number.POSITIVE_INFINITY],
    [
      'only instants passed',
      ['2026-03-15T10:00:00Z', '2026-03-16T09:00:00Z'],
      Number.POSITIVE_INFINITY,
    ],
    [
      'the first instant to come',
      ['2026-03-20T10:00:00Z', '2026-03-16T09:00:01Z', 'not a date'],
      Date.parse('2026-03-16T09:00:01Z'),
    ],
  ])('is held until the first booking instant after now: %s', (_, instants, until) => {
    expect(heldUntil(now, instants)).toBe(until);
  });

  it('is still held only on its day and before its instant', () => {
    const page = {
      version: '1',
      day: '2026-03-16',
      until: now.getTime() + 1,
      page: prepareHeldPage(''),
    };
    expect(stillHeld(page, '2026-03-16', now)).toBe(true);
    expect(stillHeld(page, '2026-03-17', now)).toBe(false);
    expect(stillHeld(page, '2026-03-16', new Date(now.getTime() + 1))).toBe(false);
    expect(stillHeld(undefined, '2026-03-16', now)).toBe(false);
  });

  it('fills every hole with the request’s own values, and draws the nonce even with no hole', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('a', '<p>', 'é’', HELD_PAGE_HOLES.csrf, HELD_PAGE_HOLES.nonce)),
        (parts) => {
          let drawn = 0;
          let csrfCalls = 0;
          const out = fillHeldPage(prepareHeldPage(parts.join('')), {
            csrf: () => (csrfCalls++, 'TOKEN'),
            nonce: () => (drawn++, 'NONCE'),
          });
          const expected = parts
            .map((p) =>
              p === HELD_PAGE_HOLES.csrf ? 'TOKEN' : p === HELD_PAGE_HOLES.nonce ? 'NONCE' : p,
            )
            .join('');
          expect(out.toString('utf8')).toBe(expected);
          expect(drawn).toBe(1);
          expect(csrfCalls).toBe(parts.includes(HELD_PAGE_HOLES.csrf) ? 1 : 0);
        },
      ),
    );
  });

  it('keeps at most its size in bytes, dropping the least recently used', () => {
    const pages = createHeldPages(10);
    const page = (html: string) => ({
      version: '1',
      day: 'd',
      until: 1,
      page: prepareHeldPage(html),
    });
    pages.set('a', page('12345'));
    pages.set('b', page('12345'));
    pages.get('a');
    pages.set('c', page('123'));
    expect([...pages.keys()].sort()).toEqual(['a', 'c']);
  });

  it('drops template indentation but keeps what <pre> and <textarea> show', () => {
    const page = [
      '<ul>\n    <li>One</li>\n\n    <li>Two words</li>\n</ul>',
      '<pre class="x">  a\n    b\n</pre>',
      '<p>\n  Text\n  <textarea name="t">line\n    indented</textarea>\n</p>',
    ].join('\n  ');
    expect(compactHtml(page)).toBe(
      '<ul>\n<li>One</li>\n<li>Two words</li>\n</ul>\n' +
        '<pre class="x">  a\n    b\n</pre>\n' +
        '<p>\nText\n<textarea name="t">line\n    indented</textarea>\n</p>',
    );
  });

  it('shows the same text once white space is collapsed as HTML does', () => {
    const collapse = (html: string) => html.replace(/\s+/g, ' ');
    const chunk = fc.constantFrom(
      '<p>',
      '</p>',
      'word',
      ' ',
      '\n',
      '\n   ',
      '\t',
      '<a href="/x">',
      '</a>',
    );
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 40 }), (chunks) => {
        const html = chunks.join('');
        expect(collapse(compactHtml(html))).toBe(collapse(html));
        expect(compactHtml(compactHtml(html))).toBe(compactHtml(html));
      }),
    );
  });
});
