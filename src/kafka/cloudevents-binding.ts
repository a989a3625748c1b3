import type { IHeaders, Message } from 'kafkajs';
import {
  contractRegistry,
  DEFAULT_MAX_EVENT_BYTES,
  formatDataschema,
  parseFailure,
  readJson,
  type ContractRegistry,
  type EventEnvelope,
  type LatestEventData,
  type ParseResult,
} from '../../schemas';

/*
 * The CloudEvents Kafka protocol binding (cloudevents/spec, bindings/kafka-protocol-binding.md) for mainspring's
 * envelope. Pure: records in, envelopes out, and back.
 */

/** How mainspring writes the events it emits (MAINSPRING_CLOUDEVENTS_MODE). */
export const CLOUDEVENTS_MODES = ['structured', 'binary'] as const;
export type CloudEventsMode = (typeof CLOUDEVENTS_MODES)[number];
export const DEFAULT_CLOUDEVENTS_MODE: CloudEventsMode = 'structured';

/**
 * How a record arrived. `plain` is mainspring's JSON envelope without a CloudEvents content type (what producers
 * sent before the binding): read exactly as before, every attribute required.
 */
export type ContentMode = CloudEventsMode | 'plain';

export const CONTENT_TYPE_HEADER = 'content-type';
/** Binary mode prefixes every attribute's header name with this. */
export const CE_HEADER_PREFIX = 'ce_';
export const STRUCTURED_CONTENT_TYPE = 'application/cloudevents+json';
const CLOUDEVENTS_MEDIA_TYPE_PREFIX = 'application/cloudevents';
const JSON_DATA_CONTENT_TYPE = 'application/json';

/** The attributes CloudEvents requires; every other one is optional there and defaulted here (see decodeRecord). */
export const REQUIRED_ATTRIBUTES = ['id', 'source', 'specversion', 'type'] as const;

/** What encodeRecord produces: a kafkajs Message with the key, value and headers set. */
export interface OutgoingRecord extends Message {
  key: string;
  value: string;
  headers: Record<string, string>;
}

/** What decodeRecord reads of a Kafka record (a consumed KafkaMessage fits; `timestamp` is epoch ms as a string). */
export interface IncomingRecord {
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers?: IHeaders;
  timestamp?: string;
}

export type DecodedRecord = ParseResult<LatestEventData> & { mode: ContentMode };

export interface DecodeOptions {
  /** Byte limit of the value (default 256 KiB). */
  maxBytes?: number;
  registry?: ContractRegistry<LatestEventData>;
}

/**
 * A Kafka record → a typed, upcast event or a coded failure; never throws. The content mode follows the spec:
 * a `content-type` of `application/cloudevents…` is structured mode, `ce_` headers without it are binary mode, and
 * neither is mainspring's plain JSON envelope.
 *
 * In the CloudEvents modes the attributes CloudEvents makes optional are optional here too: `correlationid`
 * defaults to the `id`, `time` to the record's timestamp, `subject` to the record key (still checked against the
 * contract's subject field), and `dataschema` to the type's only version.
 */
export function decodeRecord(record: IncomingRecord, options: DecodeOptions = {}): DecodedRecord {
  const registry = options.registry ?? contractRegistry;
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_EVENT_BYTES;
  const headers = headerStrings(record.headers);
  const contentType = headers.get(CONTENT_TYPE_HEADER);
  const media = contentType === undefined ? undefined : parseMediaType(contentType);

  if (media !== undefined && media.type.startsWith(CLOUDEVENTS_MEDIA_TYPE_PREFIX)) {
    return withMode('structured', decodeStructured(record, media, maxBytes, registry));
  }
  if ([...headers.keys()].some((name) => name.startsWith(CE_HEADER_PREFIX))) {
    return withMode('binary', decodeBinary(record, headers, media, maxBytes, registry));
  }
  if (record.value === null) return { ...parseFailure('NOT_JSON', 'record has no value (tombstone)'), mode: 'plain' };
  return withMode('plain', registry.parseEvent(record.value, { maxBytes }));
}

function withMode(mode: ContentMode, result: ParseResult<LatestEventData>): DecodedRecord {
  return Object.assign(result, { mode });
}

function decodeStructured(record: IncomingRecord, media: MediaType, maxBytes: number, registry: ContractRegistry<LatestEventData>): ParseResult<LatestEventData> {
  if (media.type !== STRUCTURED_CONTENT_TYPE) {
    return parseFailure('NOT_JSON', `content-type ${media.type}: only the JSON event format (${STRUCTURED_CONTENT_TYPE}) is read, one event per record`);
  }
  const charset = charsetProblem(media);
  if (charset !== undefined) return charset;
  if (record.value === null) return parseFailure('NOT_JSON', 'record has no value (a structured-mode event is the value)');
  const read = readJson(record.value, maxBytes, 'event');
  if (!read.ok) return read;
  if (typeof read.value !== 'object' || read.value === null || Array.isArray(read.value)) {
    return parseFailure('ENVELOPE_INVALID', 'envelope: must be a JSON object');
  }
  return completeAndParse({ ...(read.value as Record<string, unknown>) }, record, '', registry);
}

function decodeBinary(
  record: IncomingRecord,
  headers: ReadonlyMap<string, string>,
  media: MediaType | undefined,
  maxBytes: number,
  registry: ContractRegistry<LatestEventData>,
): ParseResult<LatestEventData> {
  // No content-type: the data is taken to be JSON, as the JSON event format does for a missing datacontenttype.
  if (media !== undefined) {
    if (!isJsonMediaType(media.type)) {
      return parseFailure('NOT_JSON', `content-type ${media.type}: the data of mainspring events is JSON (${JSON_DATA_CONTENT_TYPE})`, 'datacontenttype');
    }
    const charset = charsetProblem(media);
    if (charset !== undefined) return charset;
  }
  const attributes: Record<string, unknown> = {};
  for (const [name, value] of headers) {
    if (name.startsWith(CE_HEADER_PREFIX)) attributes[name.slice(CE_HEADER_PREFIX.length)] = value;
  }
  if (record.value === null) return parseFailure('NOT_JSON', 'record has no value (in binary mode the value is the event data)', 'data');
  const read = readJson(record.value, maxBytes, 'data');
  if (!read.ok) return read;
  attributes.data = read.value;
  return completeAndParse(attributes, record, CE_HEADER_PREFIX, registry);
}

/** `<scheme>:…/payments.initiated/v2` or `urn:acme:payments.initiated/v2` ends in a contract name. */
const SCHEMA_URI_TAIL = /^[a-z][a-z0-9+.-]*:.*[/:]([a-z][a-z0-9-]*(?:\.[a-z][a-z0-9-]*)+\/v[1-9][0-9]{0,3})$/i;

/**
 * CloudEvents makes `dataschema` a URI and the SDK refuses anything else, so a producer on the SDK names a version as
 * `https://schemas.acme.io/payments.initiated/v2` or `urn:acme:payments.initiated/v2`: read as the contract it ends in.
 * Anything else is left for the envelope check to refuse by name.
 */
function contractOfSchemaUri(dataschema: string): string {
  return SCHEMA_URI_TAIL.exec(dataschema)?.[1] ?? dataschema;
}

/** Refuses what CloudEvents requires and is missing, fills in what it makes optional, then checks the contract. */
function completeAndParse(attributes: Record<string, unknown>, record: IncomingRecord, headerPrefix: string, registry: ContractRegistry<LatestEventData>): ParseResult<LatestEventData> {
  for (const name of REQUIRED_ATTRIBUTES) {
    if (attributes[name] === undefined || attributes[name] === null || attributes[name] === '') {
      const where = headerPrefix === '' ? '' : ` (header ${headerPrefix}${name})`;
      return parseFailure('ENVELOPE_INVALID', `${name}: required CloudEvents attribute is missing${where}`, name);
    }
  }
  attributes.correlationid ??= attributes.id;
  if (attributes.time === undefined) {
    const recordTime = record.timestamp === undefined ? undefined : timestampToIso(record.timestamp);
    if (recordTime !== undefined) attributes.time = recordTime;
  }
  if (attributes.subject === undefined && record.key !== null && record.key.length > 0) attributes.subject = record.key.toString();
  if (typeof attributes.dataschema === 'string') attributes.dataschema = contractOfSchemaUri(attributes.dataschema);
  if (attributes.dataschema === undefined && typeof attributes.type === 'string') {
    const versions = registry.versions(attributes.type);
    if (versions.length === 0) return parseFailure('UNKNOWN_TYPE', `type: no contract for "${attributes.type}"`, 'type');
    if (versions.length > 1) {
      const names = versions.map((c) => `v${c.version}`).join(', ');
      return parseFailure(
        'UNKNOWN_VERSION',
        `dataschema: missing, and ${attributes.type} has versions ${names}: name one (e.g. "${formatDataschema(attributes.type, versions[versions.length - 1].version)}")`,
        'dataschema',
      );
    }
    attributes.dataschema = versions[0].dataschema;
  }
  return registry.parseEvent(attributes);
}

/**
 * An envelope → the record that carries it: key = subject (the partition key) in both modes. Structured: the JSON
 * envelope as the value. Binary: each attribute in a `ce_` header, the JSON data as the value.
 */
export function encodeRecord(envelope: EventEnvelope<unknown>, mode: CloudEventsMode): OutgoingRecord {
  if (mode === 'structured') {
    return { key: envelope.subject, value: JSON.stringify(envelope), headers: { [CONTENT_TYPE_HEADER]: STRUCTURED_CONTENT_TYPE } };
  }
  const headers: Record<string, string> = { [CONTENT_TYPE_HEADER]: JSON_DATA_CONTENT_TYPE };
  for (const [name, value] of Object.entries(envelope)) {
    if (name !== 'data' && value !== undefined) headers[`${CE_HEADER_PREFIX}${name}`] = String(value);
  }
  return { key: envelope.subject, value: JSON.stringify(envelope.data), headers };
}

/** The event id of a record in either mode without validating it (the DLQ listing filters by it); undefined if none. */
export function recordEventId(record: Pick<IncomingRecord, 'value' | 'headers'>): string | undefined {
  const fromHeader = headerStrings(record.headers).get(`${CE_HEADER_PREFIX}id`);
  if (fromHeader !== undefined) return fromHeader;
  if (record.value === null) return undefined;
  try {
    const id = (JSON.parse(record.value.toString()) as { id?: unknown } | null)?.id;
    return typeof id === 'string' ? id : undefined;
  } catch {
    return undefined;
  }
}

interface MediaType {
  /** Lower-cased `type/subtype`. */
  type: string;
  /** Parameter names lower-cased, values unquoted. */
  params: ReadonlyMap<string, string>;
}

/** `application/cloudevents+json; charset=UTF-8` → its type and parameters (RFC 9110 media type, leniently). */
function parseMediaType(value: string): MediaType {
  const [type, ...rest] = value.split(';');
  const params = new Map<string, string>();
  for (const param of rest) {
    const eq = param.indexOf('=');
    if (eq < 0) continue;
    params.set(param.slice(0, eq).trim().toLowerCase(), param.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1'));
  }
  return { type: type.trim().toLowerCase(), params };
}

function isJsonMediaType(type: string): boolean {
  return type === JSON_DATA_CONTENT_TYPE || type === 'text/json' || type.endsWith('+json');
}

/** Events are UTF-8 JSON (RFC 8259): another declared charset would be read wrongly, so it is refused by name. */
function charsetProblem(media: MediaType) {
  const charset = media.params.get('charset');
  if (charset === undefined || /^utf-?8$/i.test(charset)) return undefined;
  return parseFailure('NOT_JSON', `content-type charset ${charset}: events must be UTF-8`);
}

/**
 * Header names lower-cased (Kafka header names are case-sensitive, but producers disagree on `Content-Type`), values
 * decoded as UTF-8 (the binding requires it); of a repeated header the first counts, as with headerString. A header
 * without a value (kafkajs reads it as null; the CloudEvents SDK writes one for each unset attribute) is absent.
 */
function headerStrings(headers: IHeaders | undefined): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, raw] of Object.entries(headers ?? {})) {
    const first: Buffer | string | null | undefined = Array.isArray(raw) ? raw[0] : raw;
    const key = name.toLowerCase();
    if (first !== undefined && first !== null && !out.has(key)) out.set(key, first.toString());
  }
  return out;
}

function timestampToIso(epochMs: string): string | undefined {
  const ms = Number(epochMs);
  return epochMs.trim() !== '' && Number.isFinite(ms) && ms >= 0 ? new Date(ms).toISOString() : undefined;
}

