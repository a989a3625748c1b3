import { createHash, randomUUID } from 'node:crypto';
import { z } from 'zod';
import { EventContractError, formatPath } from './errors';
import { opaqueId, timestamp } from './primitives';

/** `payments.initiated`: dot-separated lowercase segments, at least two (domain.event). */
const TYPE_PATTERN = /^[a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+$/;
/** `payments.initiated/v1`: the type, then the contract version (1-9999). */
const DATASCHEMA_PATTERN = /^([a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+)\/v([1-9][0-9]{0,3})$/;
/** W3C trace context `traceparent` (version 00 layout; later versions keep the prefix). */
const TRACEPARENT_PATTERN = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

export const SPEC_VERSION = '1.0';

/**
 * CloudEvents-like envelope, JSON structured mode. Unknown top-level attributes are tolerated and dropped (CloudEvents
 * lets intermediaries add extension attributes); `data` itself is checked by the contract of `dataschema`.
 */
export const envelopeSchema = z
  .object({
    id: opaqueId,
    type: z.string().max(128).regex(TYPE_PATTERN, 'must look like "domain.event" (lowercase, dot-separated)'),
    source: z.string().min(1).max(256),
    specversion: z.literal(SPEC_VERSION),
    time: timestamp,
    /** Partition key. Each contract says which data field it is (ContractDescriptor.subjectField). */
    subject: z.string().min(1).max(256),
    dataschema: z.string().max(140).regex(DATASCHEMA_PATTERN, 'must look like "<type>/v<version>"'),
    correlationid: opaqueId,
    causationid: opaqueId.optional(),
    traceparent: z.string().regex(TRACEPARENT_PATTERN, 'must be a W3C traceparent').optional(),
    /** Any JSON object here; arrays and scalars are refused so every contract can be an object. */
    data: z.looseObject({}),
  })
  .refine((e) => e.dataschema.startsWith(e.type) && e.dataschema.charCodeAt(e.type.length) === 47 /* '/' */, {
    path: ['dataschema'],
    message: 'must start with the envelope type',
  });

export type EventEnvelope<T = Record<string, unknown>> = Omit<z.output<typeof envelopeSchema>, 'data'> & { data: T };

export interface DataschemaRef {
  type: string;
  version: number;
}

/** Split `payments.initiated/v1` into `{ type: 'payments.initiated', version: 1 }`; throws ENVELOPE_INVALID otherwise. */
export function parseDataschema(dataschema: string): DataschemaRef {
  const match = DATASCHEMA_PATTERN.exec(dataschema);
  if (match === null) {
    throw new EventContractError(
      'ENVELOPE_INVALID',
      `dataschema: must look like "<type>/v<version>", got ${JSON.stringify(dataschema.slice(0, 140))}`,
      'dataschema',
    );
  }
  return { type: match[1], version: Number(match[2]) };
}

export function formatDataschema(type: string, version: number): string {
  return `${type}/v${version}`;
}

export interface CreateEnvelopeInput<T> {
  type: string;
  version: number;
  /** Who emitted it, URI-reference style: `mainspring/bridge`, `urn:acme:checkout`. */
  source: string;
  /** The partition key; must equal the contract's subject field when the consumer checks it (parseEvent does). */
  subject: string;
  data: T;
  /** Defaults to `id`: an event without a cause starts its own correlation chain. */
  correlationId?: string;
  causationId?: string;
  traceparent?: string;
  /** Defaults to `crypto.randomUUID()`. */
  id?: string;
  /** Defaults to now. A Date is written as UTC (`Z`). */
  time?: Date | string;
}

/**
 * Build and validate an envelope (throws EventContractError ENVELOPE_INVALID). `data` is not checked here — use
 * `createEvent` from schemas/index.ts to check it against its contract too.
 */
export function createEnvelope<T extends object>(input: CreateEnvelopeInput<T>): EventEnvelope<T> {
  const id = input.id ?? randomUUID();
  const time = input.time === undefined ? new Date() : input.time;
  const envelope: EventEnvelope<T> = {
    id,
    type: input.type,
    source: input.source,
    specversion: SPEC_VERSION,
    time: typeof time === 'string' ? time : time.toISOString(),
    subject: input.subject,
    dataschema: formatDataschema(input.type, input.version),
    correlationid: input.correlationId ?? id,
    data: input.data,
  };
  // Optional attributes are omitted rather than set to undefined so the JSON stays minimal and round-trips equal.
  if (input.causationId !== undefined) envelope.causationid = input.causationId;
  if (input.traceparent !== undefined) envelope.traceparent = input.traceparent;
  const checked = envelopeSchema.safeParse(envelope);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    const path = formatPath(issue.path);
    throw new EventContractError('ENVELOPE_INVALID', `${path || 'envelope'}: ${issue.message}`, path || undefined);
  }
  return envelope;
}

/**
 * A stable, UUID-shaped event id for an idempotency key (sha256). A retried publish sends the same envelope id, so
 * consumers can drop the duplicate that at-least-once delivery may produce.
 */
export function eventIdFor(idempotencyKey: string): string {
  const h = createHash('sha256').update(idempotencyKey).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}
