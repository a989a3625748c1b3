import type { z } from 'zod';
import { createEnvelope, formatDataschema, type EventEnvelope } from './envelope';
import { EventContractError, formatPath } from './errors';

/** Names of the string-valued fields of T: the candidates for a partition key. */
export type StringField<T> = unknown extends T
  ? string
  : { [K in keyof T]-?: T[K] extends string ? K : never }[keyof T] & string;

/**
 * One published contract: the schema of `data` for one type and version. Immutable once published — a change is a
 * new version in a new file plus an upcaster from the previous one.
 */
export interface ContractDescriptor<S extends z.ZodType = z.ZodType, Ty extends string = string, V extends number = number> {
  readonly type: Ty;
  readonly version: V;
  /** `payments.initiated/v1`, the envelope's `dataschema`. */
  readonly dataschema: string;
  readonly schema: S;
  /**
   * The data field that is the partition key: envelope `subject` and Kafka key must equal it. Keeps per-key ordering
   * meaningful (velocity per user, a retraction after its flag).
   */
  readonly subjectField: StringField<z.output<S>>;
  /** A valid `data`, used by docs (JSON Schema `examples`), the compatibility check and tests. */
  readonly example: z.output<S>;
}

/** The data type of a contract. */
export type ContractData<C extends ContractDescriptor> = z.output<C['schema']>;

export function defineContract<S extends z.ZodType, const Ty extends string, const V extends number>(def: {
  type: Ty;
  version: V;
  schema: S;
  subjectField: StringField<z.output<S>>;
  example: z.output<S>;
}): ContractDescriptor<S, Ty, V> {
  return Object.freeze({ ...def, dataschema: formatDataschema(def.type, def.version) });
}

/**
 * Turns data of version `from` into data of version `from + 1`. Parsing upcasts the oldest version step by step and
 * validates each step's result against that version's schema, so `up` may return input-shaped data (defaults apply).
 */
export interface Upcaster<From extends z.ZodType = z.ZodType, To extends z.ZodType = z.ZodType> {
  readonly type: string;
  readonly fromVersion: number;
  readonly toVersion: number;
  /**
   * Top-level or dotted data paths this upcaster writes or reshapes. The compatibility check trusts the upcaster for
   * these fields (and verifies it on the old version's example); any other change must be compatible on its own.
   */
  readonly changes: readonly string[];
  readonly up: (data: z.output<From>, envelope: EventEnvelope) => z.input<To>;
}

export function defineUpcaster<From extends z.ZodType, To extends z.ZodType>(
  from: ContractDescriptor<From>,
  to: ContractDescriptor<To>,
  changes: readonly string[],
  up: (data: z.output<From>, envelope: EventEnvelope) => z.input<To>,
): Upcaster<From, To> {
  if (from.type !== to.type || to.version !== from.version + 1) {
    throw new Error(`upcaster must go from ${from.dataschema} to ${from.type}/v${from.version + 1}, not ${to.dataschema}`);
  }
  return Object.freeze({ type: from.type, fromVersion: from.version, toVersion: to.version, changes, up });
}

export interface CreateEventInput<T> {
  source: string;
  data: T;
  correlationId?: string;
  causationId?: string;
  traceparent?: string;
  id?: string;
  time?: Date | string;
}

/**
 * Build a valid event of a contract: data checked (throws EventContractError CONTRACT_VIOLATION), subject taken from
 * the contract's subject field. The producer-side twin of parseEvent.
 */
export function createEvent<S extends z.ZodType>(
  contract: ContractDescriptor<S>,
  input: CreateEventInput<z.input<S>>,
): EventEnvelope<z.output<S>> {
  const checked = contract.schema.safeParse(input.data);
  if (!checked.success) {
    const { path, message } = describeIssues(checked.error.issues, ['data']);
    throw new EventContractError('CONTRACT_VIOLATION', `${contract.dataschema} ${message}`, path);
  }
  const data = checked.data as z.output<S> & Record<string, unknown>;
  return createEnvelope({
    type: contract.type,
    version: contract.version,
    source: input.source,
    subject: String(data[contract.subjectField]),
    data,
    correlationId: input.correlationId,
    causationId: input.causationId,
    traceparent: input.traceparent,
    id: input.id,
    time: input.time,
  });
}

/** First issue as `path: message` (+ how many more), with the path also returned for DLQ headers. */
export function describeIssues(
  issues: readonly z.core.$ZodIssue[],
  prefix: readonly PropertyKey[],
): { path: string | undefined; message: string } {
  const issue = issues[0];
  const segments: PropertyKey[] = [...prefix, ...issue.path];
  // An unknown key is reported on its parent; name the key itself, that is the field to fix.
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) segments.push(issue.keys[0]);
  const path = formatPath(segments);
  const more = issues.length > 1 ? ` (+${issues.length - 1} more)` : '';
  return { path: path === '' ? undefined : path, message: `${path === '' ? 'event' : path}: ${issue.message}${more}` };
}
