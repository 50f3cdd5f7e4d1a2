/** `{{variable|fallback}}` templates for CTA text, ids and links. No logic; values are escaped for HTML with `escapeHtml`. */

export type TemplateVars = Record<string, string | undefined>;

/**
 * @example renderTemplate('Hi {{firstName|there}}', { firstName: 'Ana' }) // 'Hi Ana'
 * @example renderTemplate('/webinar?topic={{topTopic}}', vars, encodeURIComponent)
 */
export function renderTemplate(
  template: string,
  vars: TemplateVars,
  encode: (value: string) => string = (v) => v,
): string {
  // Most CTA ids, texts and links have no variable: skip the regex for them.
  if (!template.includes('{{')) return template;
  return template.replace(/\{\{\s*([A-Za-z]+)\s*(?:\|([^}]*))?\}\}/g, (_, name: string, fallback?: string) => {
    const value = Object.hasOwn(vars, name) ? vars[name] : undefined;
    return value ? encode(value) : (fallback ?? '');
  });
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/**
 * A visitor-supplied value made inert in HTML text and attribute values.
 * @example escapeHtml('<img src=x onerror="alert(1)">') // '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
 */
export const escapeHtml = (value: string): string => value.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c]!);
