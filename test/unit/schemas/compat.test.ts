import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import {
  buildJsonSchemaFiles,
  checkCompatibility,
  checkVersionPair,
  dataJsonSchema,
  exportJsonSchemas,
  type CompatibilityProblem,
  type JsonSchema,
} from '../../../schemas/compat';
import {
  allContracts,
  contractRegistry,
  defineContract,
  defineUpcaster,
  paymentInitiatedV1,
  type ContractCatalog,
  type ContractDescriptor,
} from '../../../schemas';
import { goodEvents } from '../../fixtures/events';
import { createJsonSchemaValidator } from '../../helpers/json-schema';
import {
  carelessUpcaster,
  carelessV2,
  paymentInitiatedV1ToV2,
  paymentInitiatedV2,
  registryWith,
} from './test-contracts';

describe('exportJsonSchemas', () => {
  let dir: string;
  let files: Map<string, JsonSchema>;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'mainspring-schemas-'));
    const written = await exportJsonSchemas(dir);
    files = new Map();
    for (const name of await readdir(dir)) {
      files.set(name, JSON.parse(await readFile(join(dir, name), 'utf8')) as JsonSchema);
    }
    expect(written.map((p) => p.slice(dir.length + 1)).sort()).toEqual([...files.keys()].sort());
  });

  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes one file per type and version, the envelope and an index', () => {
    expect([...files.keys()].sort()).toEqual(
      ['envelope.json', 'index.json', ...allContracts.map((c) => `${c.type}.v${c.version}.json`)].sort(),
    );
    const index = files.get('index.json') as { envelope: string; events: Record<string, unknown>[] };
    expect(index.envelope).toBe('envelope.json');
    expect(index.events).toContainEqual({
      type: 'payments.initiated',
      version: 1,
      dataschema: 'payments.initiated/v1',
      file: 'payments.initiated.v1.json',
      subjectField: 'userId',
      latest: true,
    });
    expect(index.events).toHaveLength(allContracts.length);
  });

  it('writes full-event schemas: envelope required fields, pinned type and dataschema, strict data', () => {
    const s = files.get('payments.initiated.v1.json') as JsonSchema & {
      properties: Record<string, JsonSchema & { properties: Record<string, JsonSchema>; required: string[] }>;
      required: string[];
    };
    expect(s.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    expect(s.$id).toBe('payments.initiated.v1.json');
    expect(s['x-subject-field']).toBe('userId');
    expect(s.required).toEqual(
      expect.arrayContaining(['id', 'type', 'source', 'specversion', 'time', 'subject', 'dataschema', 'correlationid', 'data']),
    );
    expect(s.required).not.toContain('causationid');
    expect(s.properties.type.const).toBe('payments.initiated');
    expect(s.properties.dataschema.const).toBe('payments.initiated/v1');
    const data = s.properties.data;
    expect(data.additionalProperties).toBe(false);
    expect(data.required.sort()).toEqual(
      ['amount', 'country', 'currency', 'deviceId', 'merchantCategory', 'merchantId', 'paymentId', 'userId'].sort(),
    );
    expect(data.properties.amount).toMatchObject({ type: 'number', exclusiveMinimum: 0, maximum: 10_000_000 });
    expect(data.properties.channel.enum).toEqual(['web', 'mobile', 'pos', 'api']);
  });

  it('validates every good fixture and every example, and rejects broken ones', () => {
    const validateJsonSchema = createJsonSchemaValidator();
    for (const [type, lines] of Object.entries(goodEvents())) {
      const schema = files.get(`${type}.v1.json`) as JsonSchema;
      for (const line of lines) expect(validateJsonSchema(schema, JSON.parse(line))).toEqual([]);
      const examples = schema.examples as unknown[];
      expect(validateJsonSchema(schema, examples[0])).toEqual([]);
    }
    const schema = files.get('payments.initiated.v1.json') as JsonSchema;
    const sample = JSON.parse(goodEvents()['payments.initiated'][0]) as { data: Record<string, unknown> };
    const { userId: _u, ...dataWithoutUser } = sample.data;
    const broken = { ...sample, data: { ...dataWithoutUser, amount: 0, currency: 'eur', extra: 1 } };
    expect(validateJsonSchema(schema, broken)).toEqual([
      '/data/amount: exclusiveMinimum',
      '/data/currency: pattern',
      '/data/extra: additionalProperties',
      '/data/userId: required',
    ]);
    expect(validateJsonSchema(schema, { ...sample, dataschema: 'payments.initiated/v2' })).toEqual(['/dataschema: const']);
    const { time: _t, ...noTime } = sample as Record<string, unknown>;
    expect(validateJsonSchema(schema, noTime)).toEqual(['/time: required']);
    // `format` is asserted, not just annotated (ajv-formats): a time that is no RFC 3339 date-time fails.
    expect(validateJsonSchema(schema, { ...sample, time: '2025-02-30T25:00:00Z' })).toContain('/time: format');
    expect(validateJsonSchema(files.get('envelope.json') as JsonSchema, sample)).toEqual([]);
    expect(validateJsonSchema(files.get('envelope.json') as JsonSchema, { ...sample, specversion: '0.3' })).toEqual(['/specversion: const']);
  });

  it('is deterministic (exported files diff cleanly)', () => {
    expect(JSON.stringify(buildJsonSchemaFiles())).toBe(JSON.stringify(buildJsonSchemaFiles()));
  });
});

describe('published contracts never change', () => {
  // A failure here means a published version's shape moved: revert and add a new version (+ upcaster) instead.
  // Only a version that was never released may be re-snapshotted with `jest -u`.
  it.each(allContracts.map((c) => [c.dataschema, c] as const))('%s', (_name, contract) => {
    expect(dataJsonSchema(contract)).toMatchSnapshot();
  });
});

describe('checkCompatibility', () => {
  const pick = (problems: CompatibilityProblem[]): string[] => problems.map((p) => `${p.rule} ${p.field}`).sort();

  it('passes the real registry', () => {
    expect(checkCompatibility(contractRegistry)).toEqual([]);
    expect(checkCompatibility()).toEqual([]);
  });

  it('passes a v2 whose upcaster provides what v2 requires', () => {
    expect(checkCompatibility(registryWith([paymentInitiatedV2], [paymentInitiatedV1ToV2]))).toEqual([]);
  });

  it('flags an incompatible v2, naming type, versions and each field', () => {
    const problems = checkCompatibility(registryWith([carelessV2], [carelessUpcaster]));
    expect(pick(problems)).toEqual(
      [
        'CONSTRAINT_NARROWED amount',
        'ENUM_NARROWED currency',
        'FIELD_REMOVED merchantCategory',
        'REQUIRED_ADDED ipAddress',
        'TYPE_CHANGED newDevice',
        // The dynamic check: v1's example, upcast, is refused by v2 for the same fields.
        'UPCAST_REJECTED ipAddress',
        'UPCAST_REJECTED newDevice',
      ].sort(),
    );
    for (const p of problems) {
      expect(p).toMatchObject({ type: 'payments.initiated', fromVersion: 1, toVersion: 2 });
      expect(p.message).toContain('payments.initiated v1 → v2');
      expect(p.message).toContain(`"${p.field}"`);
    }
  });

  it('trusts the upcaster only for the fields it declares, and verifies it on the example', () => {
    // Same careless v2, but the upcaster now claims ipAddress without setting it: static rule silenced,
    // the dynamic check still catches it.
    const liar = defineUpcaster(paymentInitiatedV1, carelessV2, ['ipAddress'], carelessUpcaster.up);
    const problems = checkVersionPair(paymentInitiatedV1, carelessV2, liar);
    expect(pick(problems)).toContain('UPCAST_REJECTED ipAddress');
    expect(pick(problems)).not.toContain('REQUIRED_ADDED ipAddress');
  });

  it('sees nested changes and optional → required', () => {
    const v1 = defineContract({
      type: 'test.nested',
      version: 1,
      schema: paymentInitiatedV1.schema.pick({ userId: true, channel: true }).extend({
        shadow: dataShadow(1),
        tags: tagList(10),
      }),
      subjectField: 'userId',
      example: { userId: 'u', channel: 'web', shadow: { version: 'a', score: 0.5 }, tags: ['x'] },
    });
    const v2 = defineContract({
      type: 'test.nested',
      version: 2,
      schema: paymentInitiatedV1.schema.pick({ userId: true }).extend({
        channel: paymentInitiatedV1.schema.shape.channel.unwrap(), // optional → required
        shadow: dataShadow(0.9), // nested bound tightened
        tags: tagList(5), // fewer items
      }),
      subjectField: 'userId',
      example: { userId: 'u', channel: 'web', shadow: { version: 'a', score: 0.5 }, tags: ['x'] },
    });
    const up = defineUpcaster(v1, v2, [], (d) => ({ ...d, channel: d.channel ?? ('web' as const) }));
    expect(pick(checkVersionPair(v1, v2, up))).toEqual(
      ['CONSTRAINT_NARROWED shadow.score', 'CONSTRAINT_NARROWED tags', 'REQUIRED_ADDED channel'].sort(),
    );
  });

  it('accepts widening: new optional field, looser bound, extra enum value, field with a default', () => {
    const v2 = defineContract({
      type: 'payments.initiated',
      version: 2,
      schema: paymentInitiatedV1.schema.extend({
        amount: paymentInitiatedV1.schema.shape.amount.max(1e8),
        channel: paymentInitiatedV1.schema.shape.channel.unwrap().or(zEnumExtra()).optional(),
        riskHint: zRiskHintWithDefault(),
        ipCountry: paymentInitiatedV1.schema.shape.country.optional(),
      }),
      subjectField: 'userId',
      example: { ...paymentInitiatedV1.example, riskHint: 'none' },
    });
    const up = defineUpcaster(paymentInitiatedV1, v2, [], (d) => d);
    const problems = checkVersionPair(paymentInitiatedV1, v2, up);
    // channel became a union: reported conservatively, nothing else.
    expect(pick(problems)).toEqual(['TYPE_CHANGED channel']);
  });

  it('flags an invalid example', () => {
    const broken = defineContract({ ...paymentInitiatedV1, example: { ...paymentInitiatedV1.example, amount: -1 } });
    const problems = checkCompatibility(catalogOf(broken));
    expect(problems).toEqual([
      expect.objectContaining({ type: 'payments.initiated', rule: 'EXAMPLE_INVALID', field: 'amount', fromVersion: 1, toVersion: 1 }),
    ]);
  });
});

// --- small builders for the nested/widening cases -------------------------------------------------------------

function dataShadow(maxScore: number) {
  return z.strictObject({ version: z.string(), score: z.number().min(0).max(maxScore) }).optional();
}
function tagList(max: number) {
  return z.array(z.string()).max(max);
}
function zEnumExtra() {
  return z.enum(['kiosk']);
}
function zRiskHintWithDefault() {
  return z.enum(['none', 'elevated']).default('none');
}
/** A catalog holding just one contract, for checks on a single descriptor. */
function catalogOf(contract: ContractDescriptor): ContractCatalog {
  return {
    get: (t, v) => (t === contract.type && v === contract.version ? contract : undefined),
    latest: (t) => (t === contract.type ? contract : undefined),
    types: () => [contract.type],
    versions: (t) => (t === contract.type ? [contract] : []),
    upcaster: () => undefined,
    all: () => [contract],
  };
}
