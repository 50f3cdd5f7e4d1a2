/** Which form fields feed which trait, and which are never read (passwords, payment, hidden). Pure. */
import type { Traits } from './types';

type TraitKey = Exclude<keyof Traits, 'custom'>;

/** Which trait a field name (or autocomplete token) feeds, first match wins: "work_email", "given-name", "org". */
const FIELDS: [TraitKey, RegExp][] = [
  ['email', /mail/],
  ['firstName', /first|given|^fname/],
  ['lastName', /last|surname|family|^lname/],
  ['companySize', /size|employees/],
  ['title', /title|role/],
  ['company', /compan|organi|^org$/],
  ['industry', /industry/],
  ['country', /country/],
  ['phone', /phone|^tel/],
  ['name', /name/],
];
const traitOf = (s: string) => FIELDS.find(([, re]) => re.test(s.toLowerCase()))?.[0] ?? '';

/** Never read, whatever the field claims to be. */
const SENSITIVE = /pass|card|^cc|cvv|cvc|iban|ssn|secret|token|pin$|user|login/i;

/**
 * The trait a form field feeds ("" to skip it): `data-le-trait`, else its autocomplete token, else its name.
 * @example traitFor('work_email', 'email', '', null) // 'email'
 * @example traitFor('password', 'password', '', null) // ''
 */
export function traitFor(name: string, type: string, autocomplete: string, trait: string | null): string {
  if (/^(password|hidden|file|submit|button|reset|image|fieldset)$/i.test(type)) return '';
  if (/^cc-|password|one-time-code/.test(autocomplete) || SENSITIVE.test(name)) return '';
  return trait ? traitOf(trait) : traitOf(autocomplete.split(' ').pop()!) || traitOf(name);
}
