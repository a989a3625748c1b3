/**
 * Why an event was refused. The bridge writes the code into the DLQ record's headers, so the values are part of the
 * operational contract: add codes, never rename them.
 */
export const EVENT_ERROR_CODES = [
  /** Raw bytes/string is not UTF-8 JSON. */
  'NOT_JSON',
  /** Raw event is larger than the configured limit (checked before parsing). */
  'TOO_LARGE',
  /** Kafka message has no key (the bridge checks this; the key is the partition key = envelope subject). */
  'MISSING_KEY',
  /** JSON is not a valid envelope (missing/invalid id, type, time, dataschema, ...). */
  'ENVELOPE_INVALID',
  /** The envelope names a type no contract exists for. */
  'UNKNOWN_TYPE',
  /** The type is known but not in this version. */
  'UNKNOWN_VERSION',
  /** `data` (or the subject derived from it) breaks the contract of its type/version. */
  'CONTRACT_VIOLATION',
  /** Our upcaster produced data the latest contract rejects: a bug on our side, replay after the fix. */
  'UPCAST_FAILED',
  /** A valid event on a topic that does not carry its type (the bridge checks this against its routes). */
  'ROUTE_MISMATCH',
] as const;

export type EventErrorCode = (typeof EVENT_ERROR_CODES)[number];

/** An event refused at the edge. `path` is the dotted field path when one field is to blame (`data.amount`). */
export class EventContractError extends Error {
  constructor(
    readonly code: EventErrorCode,
    message: string,
    readonly path?: string,
  ) {
    super(message);
    this.name = 'EventContractError';
  }
}

/** Dotted path for messages and DLQ headers: `data.reasons[0].feature`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}
