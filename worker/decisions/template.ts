/** `{{variable|fallback}}` templates for CTA text, ids and links. No logic, no HTML. */

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
