import { mkdtemp, rm, writeFile, mkdir, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import nunjucks from 'nunjucks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CompiledTemplateLoader, compileTemplates } from '../../src/web/compiled-templates.js';
import { COMPILE_SETTINGS, TEMPLATE_SEARCH_PATHS } from '../../src/web/render.js';

/**
 * Templates compiled by the build (issue 13): the loader runs the build's code for a template
 * whose text is the text it was compiled from, and compiles any other as before; what a page
 * shows is the same either way.
 */
let work: string;
let views: string;
let compiled: string;

beforeAll(async () => {
  work = await mkdtemp(path.join(tmpdir(), 'npq-templates-'));
  views = path.join(work, 'views');
  compiled = path.join(work, 'compiled');
  await mkdir(path.join(views, 'partials'), { recursive: true });
  await writeFile(
    path.join(views, 'layout.njk'),
    '<h1>{% block title %}{% endblock %}</h1>{% block body %}{% endblock %}',
  );
  await writeFile(
    path.join(views, 'partials', 'macros.njk'),
    '{% macro item(x) %}<li>{{ x | upper }}</li>{% endmacro %}',
  );
  await writeFile(
    path.join(views, 'page.njk'),
    '{% extends "layout.njk" %}{% from "partials/macros.njk" import item %}' +
      '{% block title %}{{ title }}{% endblock %}{% block body %}<ul>{% for x in xs %}{{ item(x) }}{% endfor %}</ul>{% endblock %}',
  );
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

const environment = (loader: nunjucks.ILoader) =>
  new nunjucks.Environment(loader, { autoescape: true, ...COMPILE_SETTINGS });

describe('templates compiled by the build', () => {
  it('compiles every template, and the loader then runs that code, rendering the same page', async () => {
    expect(compileTemplates([views], COMPILE_SETTINGS, compiled)).toBe(3);
    expect(await readdir(compiled)).toHaveLength(3);
    const loader = new CompiledTemplateLoader([views], COMPILE_SETTINGS, compiled);
    const source = loader.getSource('page.njk') as unknown as { src: { type?: string } };
    expect(source.src.type).toBe('code');
    const context = { title: 'Sessions <&>', xs: ['one', 'two'] };
    const ahead = environment(loader).render('page.njk', context);
    const plain = environment(new nunjucks.FileSystemLoader([views])).render('page.njk', context);
    expect(ahead).toBe(plain);
    expect(ahead).toBe('<h1>Sessions &lt;&amp;&gt;</h1><ul><li>ONE</li><li>TWO</li></ul>');
  });

  it('compiles an edited template as before: never the stale code', async () => {
    compileTemplates([views], COMPILE_SETTINGS, compiled);
    await writeFile(
      path.join(views, 'partials', 'macros.njk'),
      '{% macro item(x) %}<li>{{ x | lower }}!</li>{% endmacro %}',
    );
    const loader = new CompiledTemplateLoader([views], COMPILE_SETTINGS, compiled);
    const source = loader.getSource('partials/macros.njk') as unknown as { src: unknown };
    expect(typeof source.src).toBe('string');
    const page = environment(loader).render('page.njk', { title: 'T', xs: ['A'] });
    expect(page).toBe('<h1>T</h1><ul><li>a!</li></ul>');
  });

  it("renders the app's own pages as their templates do (the sign-in page and its layout)", () => {
    const dir = path.join(work, 'app-compiled');
    expect(compileTemplates(TEMPLATE_SEARCH_PATHS, COMPILE_SETTINGS, dir)).toBeGreaterThan(100);
    const context = {
      csrfToken: 'token',
      values: { email: 'a@example.test' },
      errors: null,
      leadProviderName: 'Lead provider',
      cspNonce: 'nonce',
    };
    const ahead = environment(
      new CompiledTemplateLoader(TEMPLATE_SEARCH_PATHS, COMPILE_SETTINGS, dir),
    ).render('sign-in.njk', context);
    const plain = environment(new nunjucks.FileSystemLoader(TEMPLATE_SEARCH_PATHS)).render(
      'sign-in.njk',
      context,
    );
    expect(ahead).toContain('a@example.test');
    expect(ahead).toBe(plain);
  });
});
