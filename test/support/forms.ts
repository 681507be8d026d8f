/**
 * Reads an HTML form as a browser would submit it: hidden and text inputs, checked radios and
 * checkboxes, selected options and textareas. Tests fill in what a user would change and post the
 * rest as the page gave it, so a journey never needs to know every field of a long form.
 */
export function formFields(html: string, action: string): Record<string, string | string[]> {
  const forms = [...html.matchAll(/<form\b([^>]*)>([\s\S]*?)<\/form>/g)];
  const form = forms.find((f) => new RegExp(`action="${escape(action)}"`).test(f[1] ?? ''));
  if (!form) throw new Error(`No form posting to ${action}`);
  const body = form[2] ?? '';
  const fields: Record<string, string | string[]> = {};
  const add = (name: string, value: string) => {
    const existing = fields[name];
    if (existing === undefined) fields[name] = value;
    else fields[name] = Array.isArray(existing) ? [...existing, value] : [existing, value];
  };
  for (const [tag] of body.matchAll(/<input\b[^>]*>/g)) {
    const name = attr(tag, 'name');
    if (!name) continue;
    const type = (attr(tag, 'type') ?? 'text').toLowerCase();
    if ((type === 'radio' || type === 'checkbox') && !/\schecked\b/.test(tag)) continue;
    if (type === 'submit' || type === 'button' || type === 'file') continue;
    add(name, decode(attr(tag, 'value') ?? (type === 'checkbox' ? 'on' : '')));
  }
  for (const [, open, options] of body.matchAll(/<select\b([^>]*)>([\s\S]*?)<\/select>/g)) {
    const name = attr(open ?? '', 'name');
    if (!name) continue;
    const all = [...(options ?? '').matchAll(/<option\b([^>]*)>([\s\S]*?)<\/option>/g)];
    const chosen = all.find((o) => /\sselected\b/.test(o[1] ?? '')) ?? all[0];
    if (chosen) add(name, decode(attr(chosen[1] ?? '', 'value') ?? (chosen[2] ?? '').trim()));
  }
  for (const [, open, text] of body.matchAll(/<textarea\b([^>]*)>([\s\S]*?)<\/textarea>/g)) {
    const name = attr(open ?? '', 'name');
    if (name) add(name, decode(text ?? ''));
  }
  return fields;
}

function attr(tag: string, name: string): string | undefined {
  return new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1];
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function decode(text: string): string {
  return text
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}
