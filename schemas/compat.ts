import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import type { ContractDescriptor, Upcaster } from './contract';
import { envelopeSchema, SPEC_VERSION, type EventEnvelope } from './envelope';
import { formatPath } from './errors';
import { contractRegistry } from './index';
import type { ContractCatalog } from './registry';

/** A JSON Schema node as z.toJSONSchema emits it (draft 2020-12). */
export type JsonSchema = { [keyword: string]: unknown };

// ---------------------------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------------------------

export interface JsonSchemaFile {
  /** File name inside the output directory, e.g. `payments.initiated.v1.json`. */
  name: string;
  content: JsonSchema;
}

export interface SchemaIndexEntry {
  type: string;
  version: number;
  dataschema: string;
  file: string;
  /** Data field that must equal the envelope subject (= Kafka key). */
  subjectField: string;
  latest: boolean;
}

const ENVELOPE_FILE = 'envelope.json';
const INDEX_FILE = 'index.json';

/** JSON Schema of a contract's `data`. `input` = what a producer may send (fields with defaults are optional). */
export function dataJsonSchema(contract: ContractDescriptor, io: 'input' | 'output' = 'input'): JsonSchema {
  return z.toJSONSchema(contract.schema, { io, target: 'draft-2020-12' }) as JsonSchema;
}

/** A fixed, valid envelope around a contract's example: deterministic so exported files diff cleanly. */
export function exampleEnvelope(contract: ContractDescriptor): EventEnvelope {
  const data = contract.example as Record<string, unknown>;
  return {
    id: '00000000-0000-4000-8000-000000000001',
    type: contract.type,
    source: 'urn:mainspring:example',
    specversion: SPEC_VERSION,
    time: '2025-01-15T10:00:00.000Z',
    subject: String(data[contract.subjectField]),
    dataschema: contract.dataschema,
    correlationid: '00000000-0000-4000-8000-000000000001',
    data,
  };
}

/**
 * Full-event JSON Schema of one contract version: the envelope with `type` and `dataschema` pinned and `data` replaced
 * by the contract. External producers can validate a whole Kafka value with it. (The subject = data field rule is
 * not expressible in JSON Schema; it is recorded as `x-subject-field`.)
 */
export function eventJsonSchema(contract: ContractDescriptor): JsonSchema {
  const envelope = z.toJSONSchema(envelopeSchema, { io: 'input', target: 'draft-2020-12' }) as JsonSchema;
  const data = dataJsonSchema(contract, 'input');
  delete data.$schema;
  const properties = { ...(envelope.properties as Record<string, JsonSchema>) };
  properties.type = { type: 'string', const: contract.type };
  properties.dataschema = { type: 'string', const: contract.dataschema };
  properties.data = data;
  return {
    $schema: envelope.$schema,
    $id: `${contract.type}.v${contract.version}.json`,
    title: `${contract.type} v${contract.version}`,
    ...envelope,
    properties,
    'x-subject-field': contract.subjectField,
    examples: [exampleEnvelope(contract)],
  };
}

/** Every file `exportJsonSchemas` writes, computed without touching the disk. */
export function buildJsonSchemaFiles(registry: ContractCatalog = contractRegistry): JsonSchemaFile[] {
  const envelope = z.toJSONSchema(envelopeSchema, { io: 'input', target: 'draft-2020-12' }) as JsonSchema;
  const files: JsonSchemaFile[] = [
    { name: ENVELOPE_FILE, content: { ...envelope, $id: ENVELOPE_FILE, title: 'mainspring event envelope' } },
  ];
  const index: SchemaIndexEntry[] = [];
  for (const type of registry.types()) {
    const latest = registry.latest(type)?.version;
    for (const contract of registry.versions(type)) {
      const name = `${contract.type}.v${contract.version}.json`;
      files.push({ name, content: eventJsonSchema(contract) });
      index.push({
        type,
        version: contract.version,
        dataschema: contract.dataschema,
        file: name,
        subjectField: contract.subjectField,
        latest: contract.version === latest,
      });
    }
  }
  files.push({ name: INDEX_FILE, content: { envelope: ENVELOPE_FILE, events: index } });
  return files;
}

/** Write one JSON Schema per type/version, `envelope.json` and `index.json` into outDir. Returns the paths written. */
export async function exportJsonSchemas(
  outDir: string,
  registry: ContractCatalog = contractRegistry,
): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  for (const file of buildJsonSchemaFiles(registry)) {
    const path = join(outDir, file.name);
    await writeFile(path, `${JSON.stringify(file.content, null, 2)}\n`, 'utf8');
    written.push(path);
  }
  return written;
}

// ---------------------------------------------------------------------------------------------------------------
// Compatibility
// ---------------------------------------------------------------------------------------------------------------

export type CompatibilityRule =
  | 'REQUIRED_ADDED'
  | 'FIELD_REMOVED'
  | 'TYPE_CHANGED'
  | 'ENUM_NARROWED'
  | 'CONSTRAINT_NARROWED'
  | 'EXAMPLE_INVALID'
  | 'UPCAST_REJECTED';

export interface CompatibilityProblem {
  type: string;
  fromVersion: number;
  toVersion: number;
  /** Dotted data path (`shadow.score`, `reasons[].feature`); '' for the data object itself. */
  field: string;
  rule: CompatibilityRule;
  message: string;
}

/**
 * Backward compatibility of each version with the one before it, for every type in the registry.
 *
 * "vN+1 is backward compatible with vN" means: every `data` that vN accepts, after the vN → vN+1 upcaster, is
 * accepted by vN+1 — so a consumer on the latest version can read the whole history of the topic (replays, DLQ
 * redrives, lagging producers). Checked two ways:
 *
 * 1. Statically, on JSON Schemas: vN as parsed (io "output") against vN+1 as accepted (io "input", so a field with a
 *    default is optional). Any field the upcaster declares in `changes` (or below it) is the upcaster's
 *    responsibility and skipped. Everywhere else, vN+1 must not:
 *    - REQUIRED_ADDED       require a field vN did not require (new, or optional → required) without a default;
 *    - FIELD_REMOVED        drop a field vN had while refusing unknown fields (strict object);
 *    - TYPE_CHANGED         change a field's JSON type (integer → number widens and is fine), or change a union;
 *    - ENUM_NARROWED        drop an enum/const value, or restrict a free value to an enum;
 *    - CONSTRAINT_NARROWED  tighten a bound (minimum, maximum, lengths, item counts), add or change a pattern/format,
 *                           or start refusing unknown fields.
 *    Widening (new optional field, looser bound, extra enum value) is always fine.
 * 2. Dynamically: vN's example must be valid (EXAMPLE_INVALID), and the upcaster applied to it must produce data vN+1
 *    accepts (UPCAST_REJECTED). This is what holds the upcaster to its `changes`.
 *
 * Refinements (`.refine`) and transforms are invisible to JSON Schema and not checked statically.
 */
export function checkCompatibility(registry: ContractCatalog = contractRegistry): CompatibilityProblem[] {
  const problems: CompatibilityProblem[] = [];
  for (const type of registry.types()) {
    const versions = registry.versions(type);
    for (const contract of versions) problems.push(...checkExample(contract));
    for (let i = 1; i < versions.length; i++) {
      problems.push(...checkVersionPair(versions[i - 1], versions[i], registry.upcaster(type, versions[i - 1].version)));
    }
  }
  return problems;
}

/** Problems between two consecutive versions (see checkCompatibility for the rules). */
export function checkVersionPair(
  older: ContractDescriptor,
  newer: ContractDescriptor,
  upcaster: Upcaster | undefined,
): CompatibilityProblem[] {
  const problems: CompatibilityProblem[] = [];
  const report = (field: string, rule: CompatibilityRule, detail: string): void => {
    problems.push({
      type: older.type,
      fromVersion: older.version,
      toVersion: newer.version,
      field,
      rule,
      message: `${older.type} v${older.version} → v${newer.version}: ${field === '' ? 'data' : `field "${field}"`} ${detail}`,
    });
  };
  const exempt = upcaster?.changes ?? [];
  compareNode(dataJsonSchema(older, 'output'), dataJsonSchema(newer, 'input'), [], exempt, report);

  if (upcaster !== undefined && older.schema.safeParse(older.example).success) {
    const envelope = exampleEnvelope(older);
    let upcast: unknown;
    try {
      upcast = upcaster.up(older.schema.parse(older.example), envelope);
    } catch (err) {
      report('', 'UPCAST_REJECTED', `upcaster threw on the v${older.version} example: ${String(err)}`);
      return problems;
    }
    const checked = newer.schema.safeParse(upcast);
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        report(issuePath(issue), 'UPCAST_REJECTED', `upcast v${older.version} example is rejected by v${newer.version}: ${issue.message}`);
      }
    }
  }
  return problems;
}

/** A contract's own example must satisfy it, including the subject field being a non-empty string. */
function checkExample(contract: ContractDescriptor): CompatibilityProblem[] {
  const base = { type: contract.type, fromVersion: contract.version, toVersion: contract.version, rule: 'EXAMPLE_INVALID' as const };
  const checked = contract.schema.safeParse(contract.example);
  if (!checked.success) {
    return checked.error.issues.map((issue) => ({
      ...base,
      field: issuePath(issue),
      message: `${contract.dataschema}: example field "${issuePath(issue)}" is invalid: ${issue.message}`,
    }));
  }
  const subject = (checked.data as Record<string, unknown>)[contract.subjectField];
  if (typeof subject !== 'string' || subject === '') {
    return [{ ...base, field: contract.subjectField, message: `${contract.dataschema}: subject field "${contract.subjectField}" is not a non-empty string in the example` }];
  }
  return [];
}

function issuePath(issue: z.core.$ZodIssue): string {
  const segments: PropertyKey[] = [...issue.path];
  if (issue.code === 'unrecognized_keys' && issue.keys.length > 0) segments.push(issue.keys[0]);
  return formatPath(segments);
}

type Report = (field: string, rule: CompatibilityRule, detail: string) => void;

function joinPath(parent: string, key: string): string {
  return parent === '' ? key : `${parent}.${key}`;
}

function isExempt(path: string, exempt: readonly string[]): boolean {
  return exempt.some((e) => path === e || path.startsWith(`${e}.`) || path.startsWith(`${e}[]`));
}

function compareNode(
  old: JsonSchema,
  neu: JsonSchema,
  pathSegments: string[],
  exempt: readonly string[],
  report: Report,
): void {
  const path = pathSegments.join('');
  if (path !== '' && isExempt(path, exempt)) return;

  // Unions and intersections: comparing branch by branch needs a subtype checker; insist on no change instead.
  for (const keyword of ['anyOf', 'oneOf', 'allOf', 'not']) {
    if ((keyword in old || keyword in neu) && JSON.stringify(old[keyword]) !== JSON.stringify(neu[keyword])) {
      report(path, 'TYPE_CHANGED', `changed its ${keyword} composition (cannot be proven compatible)`);
      return;
    }
  }

  const oldTypes = typeSet(old);
  const newTypes = typeSet(neu);
  if (newTypes !== undefined) {
    const lost = oldTypes === undefined ? ['any'] : [...oldTypes].filter((t) => !newTypes.has(t) && !(t === 'integer' && newTypes.has('number')));
    if (lost.length > 0) {
      report(path, 'TYPE_CHANGED', `no longer accepts type ${lost.join(', ')} (now ${[...newTypes].join(', ')})`);
      return;
    }
  }

  const oldValues = enumValues(old);
  const newValues = enumValues(neu);
  if (newValues !== undefined) {
    if (oldValues === undefined) {
      report(path, 'ENUM_NARROWED', `is restricted to ${JSON.stringify(newValues)} but was unrestricted`);
    } else {
      const dropped = oldValues.filter((v) => !newValues.some((n) => n === v));
      if (dropped.length > 0) report(path, 'ENUM_NARROWED', `no longer accepts ${JSON.stringify(dropped)}`);
    }
  }

  compareBounds(old, neu, path, report);

  for (const keyword of ['pattern', 'format', 'multipleOf']) {
    if (neu[keyword] !== undefined && neu[keyword] !== old[keyword]) {
      report(path, 'CONSTRAINT_NARROWED', `has a new or changed ${keyword} ${JSON.stringify(neu[keyword])}`);
    }
  }

  if (isObject(old.items) && isObject(neu.items)) {
    compareNode(old.items, neu.items, [...pathSegments, '[]'], exempt, report);
  }

  if (isObject(old.properties) || isObject(neu.properties)) {
    compareObjects(old, neu, pathSegments, exempt, report);
  }
}

function compareObjects(old: JsonSchema, neu: JsonSchema, pathSegments: string[], exempt: readonly string[], report: Report): void {
  const path = pathSegments.join('');
  const oldProps = (old.properties ?? {}) as Record<string, JsonSchema>;
  const newProps = (neu.properties ?? {}) as Record<string, JsonSchema>;
  const oldRequired = new Set((old.required ?? []) as string[]);
  const newRequired = new Set((neu.required ?? []) as string[]);
  const newIsClosed = neu.additionalProperties === false;

  for (const key of Object.keys(newProps)) {
    const field = joinPath(path, key);
    if (isExempt(field, exempt)) continue;
    if (newRequired.has(key) && !oldRequired.has(key)) {
      report(
        field,
        'REQUIRED_ADDED',
        key in oldProps
          ? `is required in the new version but optional before, with no default and not set by the upcaster`
          : `is new and required, with no default and not set by the upcaster`,
      );
      continue;
    }
    if (key in oldProps) compareNode(oldProps[key], newProps[key], [...pathSegments, pathSegments.length ? `.${key}` : key], exempt, report);
  }
  for (const key of Object.keys(oldProps)) {
    const field = joinPath(path, key);
    if (!(key in newProps) && newIsClosed && !isExempt(field, exempt)) {
      report(field, 'FIELD_REMOVED', `was removed while the new version refuses unknown fields, and the upcaster does not drop it`);
    }
  }
  if (newIsClosed && old.additionalProperties !== false) {
    report(path, 'CONSTRAINT_NARROWED', `now refuses unknown fields`);
  }
}

type Bound = { value: number; exclusive: boolean };

function lowerBound(s: JsonSchema, inclusive: string, exclusive: string): Bound | undefined {
  const inc = typeof s[inclusive] === 'number' ? (s[inclusive] as number) : undefined;
  const exc = typeof s[exclusive] === 'number' ? (s[exclusive] as number) : undefined;
  if (inc === undefined && exc === undefined) return undefined;
  if (exc !== undefined && (inc === undefined || exc >= inc)) return { value: exc, exclusive: true };
  return { value: inc as number, exclusive: false };
}

function upperBound(s: JsonSchema, inclusive: string, exclusive: string): Bound | undefined {
  const inc = typeof s[inclusive] === 'number' ? (s[inclusive] as number) : undefined;
  const exc = typeof s[exclusive] === 'number' ? (s[exclusive] as number) : undefined;
  if (inc === undefined && exc === undefined) return undefined;
  if (exc !== undefined && (inc === undefined || exc <= inc)) return { value: exc, exclusive: true };
  return { value: inc as number, exclusive: false };
}

/** Is the new lower bound stricter than the old one? (Same logic mirrored for upper bounds.) */
function lowerNarrowed(old: Bound | undefined, neu: Bound | undefined): boolean {
  if (neu === undefined) return false;
  if (old === undefined) return true;
  return neu.value > old.value || (neu.value === old.value && neu.exclusive && !old.exclusive);
}

function upperNarrowed(old: Bound | undefined, neu: Bound | undefined): boolean {
  if (neu === undefined) return false;
  if (old === undefined) return true;
  return neu.value < old.value || (neu.value === old.value && neu.exclusive && !old.exclusive);
}

function describeBound(b: Bound | undefined, side: 'min' | 'max'): string {
  if (b === undefined) return 'none';
  return `${side === 'min' ? (b.exclusive ? '>' : '≥') : b.exclusive ? '<' : '≤'} ${b.value}`;
}

function compareBounds(old: JsonSchema, neu: JsonSchema, path: string, report: Report): void {
  const pairs: [string, Bound | undefined, Bound | undefined, 'min' | 'max'][] = [
    ['value', lowerBound(old, 'minimum', 'exclusiveMinimum'), lowerBound(neu, 'minimum', 'exclusiveMinimum'), 'min'],
    ['value', upperBound(old, 'maximum', 'exclusiveMaximum'), upperBound(neu, 'maximum', 'exclusiveMaximum'), 'max'],
    ['length', lowerBound(old, 'minLength', '-'), lowerBound(neu, 'minLength', '-'), 'min'],
    ['length', upperBound(old, 'maxLength', '-'), upperBound(neu, 'maxLength', '-'), 'max'],
    ['item count', lowerBound(old, 'minItems', '-'), lowerBound(neu, 'minItems', '-'), 'min'],
    ['item count', upperBound(old, 'maxItems', '-'), upperBound(neu, 'maxItems', '-'), 'max'],
  ];
  for (const [what, o, n, side] of pairs) {
    const narrowed = side === 'min' ? lowerNarrowed(o, n) : upperNarrowed(o, n);
    if (narrowed) {
      report(path, 'CONSTRAINT_NARROWED', `has a tighter ${side} ${what}: ${describeBound(n, side)} (was ${describeBound(o, side)})`);
    }
  }
}

function isObject(v: unknown): v is JsonSchema {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** JSON types a node accepts; undefined = unconstrained. */
function typeSet(s: JsonSchema): Set<string> | undefined {
  if (typeof s.type === 'string') return new Set([s.type]);
  if (Array.isArray(s.type)) return new Set(s.type as string[]);
  const values = enumValues(s);
  if (values !== undefined) return new Set(values.map((v) => (v === null ? 'null' : typeof v)));
  return undefined;
}

function enumValues(s: JsonSchema): unknown[] | undefined {
  if (Array.isArray(s.enum)) return s.enum as unknown[];
  if ('const' in s) return [s.const];
  return undefined;
}
