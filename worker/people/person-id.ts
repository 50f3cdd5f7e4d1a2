/** A new person's id: "p~" and 32 hex digits (PERSON_ID_PATTERN; no anonymous id can take it). */
export function newPersonId(): string {
  return `p~${crypto.randomUUID().replace(/-/g, '')}`;
}
