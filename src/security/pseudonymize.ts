import { createHmac } from 'node:crypto';

/**
 * A keyed hash for identifiers that must be searchable but never shown raw (user ids in Temporal search
 * attributes, logs and metrics). Keyed, so a dictionary of known ids cannot reverse it without the key.
 */
export function pseudonymize(value: string, key: string): string {
  return `u_${createHmac('sha256', key).update(value).digest('base64url').slice(0, 22)}`;
}
