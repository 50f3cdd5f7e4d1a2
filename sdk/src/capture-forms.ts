/**
 * Forms marked `data-le-form`: on submit, the recognised fields become an `identify`, followed by
 * the form's event. Password, hidden, file and payment fields are never read; the form submits as usual.
 */
import { safe } from './safe';
import { traitFor } from './form-fields';

/** Reads the recognised fields of a form (raw strings; sanitize.ts trims them to the contract). */
export function readForm(form: HTMLFormElement): Record<string, string> {
  const traits: Record<string, string> = {};
  for (const el of Array.from(form.elements) as HTMLInputElement[]) {
    const key = el.name && traitFor(el.name, el.type, el.getAttribute('autocomplete') ?? '', el.getAttribute('data-le-trait'));
    if (key && el.value && !(/^(checkbox|radio)$/.test(el.type) && !el.checked)) traits[key] = el.value;
  }
  return traits;
}

export function watchForms(onSubmit: (form: HTMLFormElement, kind: string) => void): void {
  document.addEventListener(
    'submit',
    safe((e: SubmitEvent) => {
      const form = e.target;
      if (form instanceof HTMLFormElement && form.hasAttribute('data-le-form')) onSubmit(form, form.getAttribute('data-le-form') ?? '');
    }),
    true,
  );
}
