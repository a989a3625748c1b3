/*
 * Seeded bad-input corpus for the bridge's edge (parseEvent + the Kafka key check). Shared by the unit fuzz test and
 * the bridge integration test, so both see the same kinds of input: random bytes, broken and huge JSON, 100k-deep
 * nesting, wrong types in every field, unicode edge cases (emoji, RTL marks, NUL, lone surrogates, invalid UTF-8).
 * Each case says what it must come out as when that is known; 'invalid' = any coded refusal.
 */
import { DEFAULT_MAX_EVENT_BYTES, type EventEnvelope, type EventErrorCode, type PaymentInitiatedV1 } from '../../../schemas';
import { createRng, type Rng } from '../../../src/model/prng';

export type Expectation = 'valid' | 'invalid' | EventErrorCode | readonly EventErrorCode[];

export interface FuzzCase {
  kind: string;
  key: Buffer | null;
  value: Buffer;
  expect: Expectation;
  /** For expectations about one field. */
  path?: string;
}

/** A valid payments.initiated envelope with the given index (callers make ids unique per run). */
export type BaseEvent = (i: number) => EventEnvelope<PaymentInitiatedV1>;

export const DEEP = 100_000;
const UNICODE_EDGES: Array<[string, string]> = [
  ['emoji', 'caf\u00e9 \u{1F4B3}\u{1F468}\u200D\u{1F469}\u200D\u{1F467}'],
  ['rtl', '\u200F\u05E9\u05DC\u05D5\u05DD\u202Eevil\u202C'],
  ['nul', 'a\u0000b'],
  ['lone-high-surrogate', 'x\uD800y'],
  ['lone-low-surrogate', '\uDC00'],
  ['bom-zwj', '\uFEFF\u200D'],
  ['combining', 'e\u0301\u0301\u0301\u0301'],
  ['c1-control', '\u0085\u009B'],
];
const WRONG_FOR: Record<'string' | 'number' | 'boolean', unknown[]> = {
  string: [null, 0, -1.5, true, [], {}, ['x'], { a: 1 }],
  number: ['12', null, true, [], {}, [1], 'NaN'],
  boolean: ['true', 0, 1, null, [], {}],
};

const utf8 = (s: string) => Buffer.from(s, 'utf8');
const json = (v: unknown) => utf8(JSON.stringify(v));

/** Deterministic bytes from the seeded generator (crypto randomness would make a failure unreproducible). */
function bytes(rng: Rng, n: number): Buffer {
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = rng.int(256);
  return b;
}

/** Replace `"data":{…}` / a field with raw JSON text, so nesting never goes through JSON.stringify's recursion. */
function withRawField(event: EventEnvelope<PaymentInitiatedV1>, where: 'envelope' | 'data', field: string, raw: string): Buffer {
  const marker = '__RAW_FIELD_MARKER__';
  const copy = JSON.parse(JSON.stringify(event)) as Record<string, unknown> & { data: Record<string, unknown> };
  if (where === 'envelope') copy[field] = marker;
  else copy.data[field] = marker;
  return utf8(JSON.stringify(copy).replace(`"${marker}"`, raw));
}

export function deepArray(depth: number): string {
  return '['.repeat(depth) + ']'.repeat(depth);
}

export function deepObject(depth: number): string {
  return '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
}

export interface CorpusOptions {
  seed: number;
  /** Random cases on top of the fixed ones. */
  randomCases: number;
  base: BaseEvent;
  /** Skip the multi-hundred-KB deep cases beyond the first few (integration keeps Kafka traffic small). */
  maxDeepCases?: number;
}

/** The fixed edge cases, then `randomCases` drawn from the seeded generator. */
export function buildCorpus({ seed, randomCases, base, maxDeepCases = Infinity }: CorpusOptions): FuzzCase[] {
  const rng = createRng(seed);
  const cases: FuzzCase[] = [];
  let n = 0;
  const next = () => base(n++);
  const keyOf = (e: EventEnvelope<PaymentInitiatedV1>) => utf8(e.subject);
  const add = (c: Omit<FuzzCase, 'key'> & { key?: Buffer | null }, e?: EventEnvelope<PaymentInitiatedV1>) =>
    cases.push({ key: c.key !== undefined ? c.key : e ? keyOf(e) : utf8(`fuzz-key-${cases.length}`), ...c } as FuzzCase);

  // Size: one byte over the limit, far over it, and a valid event with a 200 KB field under the limit.
  {
    const e = next();
    const text = JSON.stringify(e);
    add({ kind: 'too-large-by-one', value: utf8(`{"pad":"${'x'.repeat(DEFAULT_MAX_EVENT_BYTES - text.length - 8)}",${text.slice(1)}`), expect: 'TOO_LARGE' }, e);
    add({ kind: 'too-large-array', value: utf8(`[${'0,'.repeat(200_000)}0]`), expect: 'TOO_LARGE' });
    const big = next();
    add({ kind: 'huge-field-under-limit', value: withRawField(big, 'data', 'merchantCategory', JSON.stringify('m'.repeat(200_000))), expect: 'CONTRACT_VIOLATION', path: 'data.merchantCategory' }, big);
    const multi = next();
    add({ kind: 'multibyte-over-limit', value: withRawField(multi, 'envelope', 'pad', JSON.stringify('\u{1F4B3}'.repeat(DEFAULT_MAX_EVENT_BYTES / 4 + 1))), expect: 'TOO_LARGE' }, multi);
  }

  // Deep nesting (100k): at top level, as data, inside a data field, as a tolerated extension attribute.
  const deepCases: Array<() => void> = [
    () => add({ kind: 'deep-array-top', value: utf8(deepArray(DEEP)), expect: 'ENVELOPE_INVALID' }),
    () => {
      const e = next();
      add({ kind: 'deep-array-as-data', value: withRawField(e, 'envelope', 'data', deepArray(DEEP)), expect: 'ENVELOPE_INVALID', path: 'data' }, e);
    },
    () => {
      const e = next();
      add({ kind: 'deep-array-in-field', value: withRawField(e, 'data', 'merchantCategory', deepArray(DEEP)), expect: 'CONTRACT_VIOLATION', path: 'data.merchantCategory' }, e);
    },
    () => {
      // Envelope extensions are tolerated and dropped: valid, and the deep value never reaches the workflow.
      const e = next();
      add({ kind: 'deep-array-extension', value: withRawField(e, 'envelope', 'ext', deepArray(DEEP)), expect: 'valid' }, e);
    },
    () => {
      const e = next();
      add({ kind: 'deep-object-extra-key', value: withRawField(e, 'data', 'extra', deepObject(40_000)), expect: 'CONTRACT_VIOLATION', path: 'data.extra' }, e);
    },
    () => add({ kind: 'deep-unclosed', value: utf8('['.repeat(DEEP)), expect: 'NOT_JSON' }),
  ];
  deepCases.slice(0, maxDeepCases).forEach((f) => f());

  // Unicode edges: refused in ids (printable ASCII only), accepted in free text (merchantCategory, source).
  for (const [name, text] of UNICODE_EDGES) {
    const bad = next();
    add({ kind: `unicode-${name}-in-id`, value: withRawField(bad, 'data', 'merchantId', JSON.stringify(text)), expect: 'CONTRACT_VIOLATION', path: 'data.merchantId' }, bad);
    const ok = next();
    add({ kind: `unicode-${name}-in-text`, value: withRawField(ok, 'data', 'merchantCategory', JSON.stringify(text)), expect: 'valid' }, ok);
    const src = next();
    add({ kind: `unicode-${name}-in-source`, value: withRawField(src, 'envelope', 'source', JSON.stringify(text)), expect: 'valid' }, src);
    const key = next();
    add({ kind: `unicode-${name}-in-key`, value: withRawField(key, 'data', `k${text}`, '1'), expect: 'CONTRACT_VIOLATION' }, key);
  }
  add({ kind: 'invalid-utf8', value: Buffer.concat([utf8('{"id":"'), Buffer.from([0xc3, 0x28, 0xed, 0xa0, 0x80, 0xff]), utf8('"}')]), expect: 'NOT_JSON' });
  add({ kind: 'raw-nul-in-json', value: utf8('{"id":"a\u0000b"}'), expect: 'NOT_JSON' });
  add({ kind: 'bom-prefix', value: Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), json(next())]), expect: 'NOT_JSON' });
  add({ kind: 'empty', value: Buffer.alloc(0), expect: 'NOT_JSON' });
  add({ kind: 'json-null', value: utf8('null'), expect: 'ENVELOPE_INVALID' });
  add({ kind: 'json-number', value: utf8('1e400'), expect: 'ENVELOPE_INVALID' });
  {
    const e = next();
    add({ kind: 'proto-pollution', value: withRawField(e, 'envelope', '__proto__', '{"polluted":true}'), expect: 'valid' }, e);
    const d = next();
    // zod builds fresh output objects: an own "__proto__" key is dropped, never assigned (see the unit test).
    add({ kind: 'proto-in-data', value: withRawField(d, 'data', '__proto__', '{"amount":1,"isAdmin":true}'), expect: 'valid' }, d);
    const inf = next();
    add({ kind: 'amount-overflow', value: withRawField(inf, 'data', 'amount', '1e400'), expect: 'CONTRACT_VIOLATION', path: 'data.amount' }, inf);
    const dup = next();
    add({ kind: 'duplicate-key-last-wins', value: utf8(JSON.stringify(dup).replace('"amount":', '"amount":"first","amount":')), expect: 'valid' }, dup);
  }
  // Kafka-level: no key, an empty key, a key of random bytes on a valid event (the key is not checked against subject).
  {
    const e = next();
    add({ kind: 'no-key', key: null, value: json(e), expect: 'MISSING_KEY' });
    const f = next();
    add({ kind: 'empty-key', key: Buffer.alloc(0), value: json(f), expect: 'MISSING_KEY' });
  }

  // Random cases.
  const fields: Array<['envelope' | 'data', string]> = [
    ...(['id', 'type', 'source', 'specversion', 'time', 'subject', 'dataschema', 'correlationid'] as const).map((f) => ['envelope', f] as ['envelope', string]),
    ...(['paymentId', 'userId', 'merchantId', 'amount', 'currency', 'country', 'merchantCategory', 'deviceId', 'newDevice', 'channel', 'eventTime'] as const).map((f) => ['data', f] as ['data', string]),
  ];
  for (let i = 0; i < randomCases; i++) {
    const pick = rng.int(6);
    if (pick === 0) {
      add({ kind: 'random-bytes', value: bytes(rng, rng.int(600)), expect: 'invalid' });
    } else if (pick === 1) {
      const e = next();
      const text = JSON.stringify(e);
      add({ kind: 'truncated-json', value: utf8(text.slice(0, 1 + rng.int(text.length - 2))), expect: 'NOT_JSON' }, e);
    } else if (pick === 2 || pick === 3) {
      const e = next();
      const [where, field] = rng.pick(fields);
      const original = where === 'envelope' ? (e as unknown as Record<string, unknown>)[field] : (e.data as unknown as Record<string, unknown>)[field];
      const type = typeof original === 'number' ? 'number' : typeof original === 'boolean' ? 'boolean' : 'string';
      const wrong = rng.pick(WRONG_FOR[type]);
      const code = where === 'envelope' ? 'ENVELOPE_INVALID' : 'CONTRACT_VIOLATION';
      add({ kind: `wrong-type-${where}.${field}`, value: withRawField(e, where, field, JSON.stringify(wrong)), expect: code, path: where === 'envelope' ? field : `data.${field}` }, e);
    } else if (pick === 4) {
      const e = next();
      const [where, field] = rng.pick(fields);
      const copy = JSON.parse(JSON.stringify(e)) as Record<string, unknown> & { data: Record<string, unknown> };
      const optional = ['newDevice', 'channel', 'eventTime'].includes(field);
      if (where === 'envelope') delete copy[field];
      else delete copy.data[field];
      add({ kind: `missing-${where}.${field}`, value: json(copy), expect: optional ? 'valid' : where === 'envelope' ? 'ENVELOPE_INVALID' : 'CONTRACT_VIOLATION' }, e);
    } else {
      // Valid JSON of random shape: scalars, arrays and objects with random keys, some unicode.
      add({ kind: 'random-json', value: json(randomJson(rng, 4)), expect: 'invalid' });
    }
  }
  return cases;
}

function randomJson(rng: Rng, depth: number): unknown {
  const pick = depth === 0 ? rng.int(4) : rng.int(6);
  if (pick === 0) return rng.next() * 1e6 - 5e5;
  if (pick === 1) return rng.bernoulli(0.5);
  if (pick === 2) return null;
  if (pick === 3) return UNICODE_EDGES[rng.int(UNICODE_EDGES.length)][1] + String(rng.int(1000));
  if (pick === 4) return Array.from({ length: rng.int(5) }, () => randomJson(rng, depth - 1));
  const out: Record<string, unknown> = {};
  for (let i = rng.int(5); i > 0; i--) out[rng.pick(['id', 'type', 'data', 'subject', 'x\u202E', '\u{1F4B3}', 'time'])] = randomJson(rng, depth - 1);
  return out;
}

/** Whether a verdict matches a case's expectation. */
export function matches(expectation: Expectation, verdict: { ok: true } | { ok: false; code: string }): boolean {
  if (expectation === 'valid') return verdict.ok;
  if (verdict.ok) return false;
  if (expectation === 'invalid') return true;
  return typeof expectation === 'string' ? verdict.code === expectation : expectation.includes(verdict.code as EventErrorCode);
}
