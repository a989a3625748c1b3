import { isUtf8 } from 'node:buffer';
import type { z } from 'zod';
import { compile } from 'zod/v4/core';
import { describeIssues, type ContractDescriptor, type Upcaster } from './contract';
import { envelopeSchema, parseDataschema, type EventEnvelope } from './envelope';
import type { EventErrorCode } from './errors';

/** Refuse raw events above this size before parsing: a Kafka message can be up to 1 MiB, ours never need that much. */
export const DEFAULT_MAX_EVENT_BYTES = 256 * 1024;

export interface ParseOptions {
  /** Byte limit for string/Buffer input (default 256 KiB). Not applied to already-parsed objects. */
  maxBytes?: number;
}

export interface ParseFailure {
  ok: false;
  code: EventErrorCode;
  /** Names the field: `data.amount: Too small: expected number to be >0`. No field values (they may be PII). */
  message: string;
  /** Dotted path of the offending field, when there is one. */
  path?: string;
}

/**
 * A valid event, upcast to the latest version of its type: `envelope.data === data`, and `envelope.dataschema` names
 * the latest version. `version` is the version it arrived in (the raw record keeps the original).
 */
export type ParseSuccess<M> = {
  [K in keyof M & string]: { ok: true; type: K; version: number; envelope: EventEnvelope<M[K]>; data: M[K] };
}[keyof M & string];

export type ParseResult<M> = ParseSuccess<M> | ParseFailure;

/** A registry whose set of contracts or upcasters is malformed: a programming error, raised at construction. */
export class ContractRegistryError extends Error {
  constructor(
    readonly code: 'DUPLICATE_CONTRACT' | 'VERSION_GAP' | 'MISSING_UPCASTER' | 'ORPHAN_UPCASTER' | 'BAD_SUBJECT_FIELD',
    message: string,
  ) {
    super(message);
    this.name = 'ContractRegistryError';
  }
}

interface TypeEntry {
  /** Index = version; index 0 unused. */
  readonly byVersion: readonly (ContractDescriptor | undefined)[];
  readonly latest: ContractDescriptor;
  /** Index = fromVersion. */
  readonly upcasters: readonly (Upcaster | undefined)[];
  /** Index = version; compiled on first use (see compiledSchema). */
  readonly compiled: (z.ZodType | undefined)[];
}

/*
 * zod's ahead-of-time compiler (zod 4.6 `compile`) turns a schema into generated straight-line code, 4-7x faster on
 * our contracts; on any failure it re-runs the ordinary parser, so issues and messages are the same. Compiled lazily,
 * once per schema, so importing stays cheap.
 */
let compiledEnvelope: typeof envelopeSchema | undefined;

function envelopeParser(): typeof envelopeSchema {
  compiledEnvelope ??= compile(envelopeSchema);
  return compiledEnvelope;
}

function compiledSchema(entry: TypeEntry, version: number): z.ZodType {
  let schema = entry.compiled[version];
  if (schema === undefined) {
    schema = compile((entry.byVersion[version] as ContractDescriptor).schema);
    entry.compiled[version] = schema;
  }
  return schema;
}

export interface ContractRegistryInput {
  contracts: readonly ContractDescriptor[];
  upcasters?: readonly Upcaster[];
}

/** The read-only view of a registry that tooling (export, compatibility check) needs. */
export type ContractCatalog = Pick<ContractRegistry, 'get' | 'latest' | 'types' | 'versions' | 'upcaster' | 'all'>;

/** Longest reason and path a failure carries: they go into Kafka headers and log lines as they are. */
const MAX_REASON_CHARS = 512;
const MAX_PATH_CHARS = 256;

/** A coded failure with its reason and path made safe for Kafka headers and log lines (see printable). */
export function parseFailure(code: EventErrorCode, message: string, path?: string): ParseFailure {
  const reason = printable(message, MAX_REASON_CHARS);
  return path === undefined ? { ok: false, code, message: reason } : { ok: false, code, message: reason, path: printable(path, MAX_PATH_CHARS) };
}

/**
 * Field names come from the input (an unknown key is named in the reason): escape everything outside printable
 * ASCII (NUL, RTL overrides, lone surrogates, emoji) as \uXXXX and bound the length, so a hostile key can neither
 * break a header or log line nor make it 200 KB long.
 */
function printable(text: string, max: number): string {
  const clean = /^[\x20-\x7e]*$/.test(text) ? text : text.replace(/[^\x20-\x7e]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return clean.length <= max ? clean : `${clean.slice(0, max - 3)}...`;
}

/**
 * All published contract versions and the upcasters between them. M maps each type to the data type of its latest
 * version; it is what parseEvent promises, so keep it in step with the contracts passed in.
 */
export class ContractRegistry<M extends object = Record<string, unknown>> {
  private readonly entries: ReadonlyMap<string, TypeEntry>;

  constructor(input: ContractRegistryInput) {
    const grouped = new Map<string, ContractDescriptor[]>();
    for (const contract of input.contracts) {
      const list = grouped.get(contract.type) ?? [];
      if (list.some((c) => c.version === contract.version)) {
        throw new ContractRegistryError('DUPLICATE_CONTRACT', `${contract.dataschema} is registered twice`);
      }
      if (typeof contract.subjectField !== 'string' || contract.subjectField === '') {
        throw new ContractRegistryError('BAD_SUBJECT_FIELD', `${contract.dataschema} has no subject field`);
      }
      list.push(contract);
      grouped.set(contract.type, list);
    }
    const upcasters = input.upcasters ?? [];
    const entries = new Map<string, TypeEntry>();
    for (const [type, list] of grouped) {
      list.sort((a, b) => a.version - b.version);
      list.forEach((c, i) => {
        if (c.version !== i + 1) {
          throw new ContractRegistryError('VERSION_GAP', `${type}: versions must be 1..N without gaps, found v${c.version} at position ${i + 1}`);
        }
      });
      const byVersion: (ContractDescriptor | undefined)[] = [undefined, ...list];
      const chain: (Upcaster | undefined)[] = [];
      for (let v = 1; v < list.length; v++) {
        const found = upcasters.filter((u) => u.type === type && u.fromVersion === v);
        if (found.length !== 1) {
          throw new ContractRegistryError('MISSING_UPCASTER', `${type}: need exactly one upcaster v${v} → v${v + 1}, found ${found.length}`);
        }
        chain[v] = found[0];
      }
      entries.set(type, { byVersion, latest: list[list.length - 1], upcasters: chain, compiled: [] });
    }
    for (const u of upcasters) {
      const entry = entries.get(u.type);
      if (entry === undefined || entry.upcasters[u.fromVersion] !== u) {
        throw new ContractRegistryError('ORPHAN_UPCASTER', `upcaster ${u.type} v${u.fromVersion} → v${u.toVersion} has no place in the chain`);
      }
    }
    this.entries = entries;
  }

  get(type: string, version: number): ContractDescriptor | undefined {
    return this.entries.get(type)?.byVersion[version];
  }

  latest(type: string): ContractDescriptor | undefined {
    return this.entries.get(type)?.latest;
  }

  types(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** Every version of a type, oldest first. */
  versions(type: string): readonly ContractDescriptor[] {
    const entry = this.entries.get(type);
    return entry === undefined ? [] : (entry.byVersion.slice(1) as ContractDescriptor[]);
  }

  /** The upcaster from `fromVersion` to `fromVersion + 1`. */
  upcaster(type: string, fromVersion: number): Upcaster | undefined {
    return this.entries.get(type)?.upcasters[fromVersion];
  }

  /** Every contract of every type, by type then version. */
  all(): ContractDescriptor[] {
    return this.types().flatMap((t) => this.versions(t));
  }

  /**
   * Raw Kafka value (Buffer/string) or an already-parsed object → a typed, upcast event or a coded failure. Never
   * throws. Hot path of the bridge: schemas are built at import and compiled on first use, nothing per call.
   */
  parseEvent(raw: unknown, options?: ParseOptions): ParseResult<M> {
    let value: unknown = raw;
    if (typeof raw === 'string' || raw instanceof Uint8Array) {
      const read = readJson(raw, options?.maxBytes ?? DEFAULT_MAX_EVENT_BYTES, 'event');
      if (!read.ok) return read;
      value = read.value;
    }

    const env = envelopeParser().safeParse(value);
    if (!env.success) {
      const { message, path } = describeIssues(env.error.issues, []);
      return parseFailure('ENVELOPE_INVALID', message, path);
    }
    const envelope = env.data;
    const { type, version } = parseDataschema(envelope.dataschema);
    const entry = this.entries.get(type);
    if (entry === undefined) return parseFailure('UNKNOWN_TYPE', `type: no contract for "${type}"`, 'type');
    const contract = entry.byVersion[version];
    if (contract === undefined) {
      return parseFailure('UNKNOWN_VERSION', `dataschema: ${type} has no version ${version} (latest is ${entry.latest.version})`, 'dataschema');
    }

    const parsed = compiledSchema(entry, version).safeParse(envelope.data);
    if (!parsed.success) {
      const { message, path } = describeIssues(parsed.error.issues, ['data']);
      return parseFailure('CONTRACT_VIOLATION', `${contract.dataschema} ${message}`, path);
    }
    let data = parsed.data as Record<string, unknown>;
    if (envelope.subject !== data[contract.subjectField]) {
      return parseFailure('CONTRACT_VIOLATION', `subject: must equal data.${contract.subjectField} (the partition key of ${type})`, 'subject');
    }

    for (let v = version; v < entry.latest.version; v++) {
      const next = entry.byVersion[v + 1] as ContractDescriptor;
      let upcast: unknown;
      try {
        upcast = (entry.upcasters[v] as Upcaster).up(data, envelope);
      } catch (err) {
        return parseFailure('UPCAST_FAILED', `upcaster ${type} v${v} → v${v + 1} threw: ${err instanceof Error ? err.message : String(err)}`);
      }
      const checked = compiledSchema(entry, v + 1).safeParse(upcast);
      if (!checked.success) {
        const { message, path } = describeIssues(checked.error.issues, ['data']);
        return parseFailure('UPCAST_FAILED', `upcaster ${type} v${v} → v${v + 1} produced invalid ${next.dataschema}: ${message}`, path);
      }
      data = checked.data as Record<string, unknown>;
    }

    // envelope is zod's fresh output object, ours to complete: no copy on the hot path.
    const result = envelope as EventEnvelope;
    result.data = data;
    if (version !== entry.latest.version) result.dataschema = entry.latest.dataschema;
    return { ok: true, type, version, envelope: result, data } as ParseSuccess<M>;
  }
}

/**
 * UTF-8 JSON text or bytes → the parsed value, or TOO_LARGE / NOT_JSON naming `what` ("event", "data"). The byte
 * limit is checked before anything is decoded.
 */
export function readJson(raw: string | Uint8Array, maxBytes: number, what: string): { ok: true; value: unknown } | ParseFailure {
  let value: unknown;
  if (typeof raw === 'string') {
    // UTF-8 needs ≥ 1 byte per UTF-16 unit and ≤ 3: only count bytes when the length alone cannot decide.
    if (raw.length > maxBytes || (raw.length * 3 > maxBytes && Buffer.byteLength(raw, 'utf8') > maxBytes)) {
      return parseFailure('TOO_LARGE', `${what} is larger than ${maxBytes} bytes`);
    }
    value = parseJson(raw);
  } else {
    if (raw.byteLength > maxBytes) return parseFailure('TOO_LARGE', `${what} is ${raw.byteLength} bytes, limit is ${maxBytes}`);
    if (!isUtf8(raw)) return parseFailure('NOT_JSON', `${what} is not valid UTF-8`);
    value = parseJson(Buffer.from(raw.buffer, raw.byteOffset, raw.byteLength).toString('utf8'));
  }
  if (value instanceof JsonError) return parseFailure('NOT_JSON', `${what} is not JSON: ${value.message}`);
  return { ok: true, value };
}

/** Marks a JSON.parse failure without throwing through the hot path's callers. */
class JsonError {
  constructor(readonly message: string) {}
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    // V8 quotes a stretch of the input after "Unexpected token 'x', ": it may be personal data and the DLQ record
    // keeps the whole input anyway, so the reason keeps only the token.
    const message = err instanceof Error ? err.message : String(err);
    return new JsonError(message.replace(/^(Unexpected token '[\s\S]{1,2}?'), [\s\S]*$/, '$1').slice(0, 120));
  }
}
