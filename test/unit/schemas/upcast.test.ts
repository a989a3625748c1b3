import { z } from 'zod';
import {
  allContracts,
  ContractRegistry,
  ContractRegistryError,
  createEvent,
  defineContract,
  defineUpcaster,
  paymentInitiatedV1,
  paymentLabeledV1,
  type ParseFailure,
} from '../../../schemas';
import { paymentInitiatedV1ToV2, paymentInitiatedV2, registryWith } from './test-contracts';

const registry = registryWith([paymentInitiatedV2], [paymentInitiatedV1ToV2]);

function failure(r: ReturnType<typeof registry.parseEvent>): ParseFailure {
  if (r.ok) throw new Error(`expected a failure, got ${r.type}`);
  return r;
}

const v1Event = createEvent(paymentInitiatedV1, {
  source: 'urn:test',
  data: { ...paymentInitiatedV1.example, channel: undefined, eventTime: undefined, amount: 19.99 },
  time: '2025-01-15T09:00:00+01:00',
});

describe('upcasting (test-only payments.initiated v2)', () => {
  it('knows both versions and calls v2 the latest', () => {
    expect(registry.versions('payments.initiated').map((c) => c.version)).toEqual([1, 2]);
    expect(registry.latest('payments.initiated')).toBe(paymentInitiatedV2);
    expect(registry.get('payments.initiated', 1)).toBe(paymentInitiatedV1);
    expect(registry.upcaster('payments.initiated', 1)).toBe(paymentInitiatedV1ToV2);
  });

  it('upcasts a v1 event to v2, using the envelope where v1 data has nothing', () => {
    const r = registry.parseEvent(JSON.stringify(v1Event));
    expect(r).toMatchObject({ ok: true, type: 'payments.initiated', version: 1 });
    if (!r.ok) return;
    expect(r.data).toEqual({
      paymentId: 'pay-0001',
      userId: 'user-42',
      merchantId: 'merch-7',
      amountMinor: 1999,
      currency: 'EUR',
      country: 'DE',
      merchantCategory: '5732',
      deviceId: 'dev-a1',
      newDevice: false,
      channel: 'unknown',
      eventTime: '2025-01-15T09:00:00+01:00',
    });
    // The envelope carries the upcast data and says so; `version` keeps the wire version.
    expect(r.envelope.data).toBe(r.data);
    expect(r.envelope.dataschema).toBe('payments.initiated/v2');
    expect(r.envelope.time).toBe('2025-01-15T09:00:00+01:00');
  });

  it('passes v2 events through and still validates them against v2', () => {
    const v2 = createEvent(paymentInitiatedV2, { source: 'urn:test', data: paymentInitiatedV2.example });
    expect(registry.parseEvent(v2)).toMatchObject({ ok: true, version: 2, data: paymentInitiatedV2.example });
    const f = failure(registry.parseEvent({ ...v2, data: { ...v2.data, amount: 12 } }));
    expect([f.code, f.path]).toEqual(['CONTRACT_VIOLATION', 'data.amount']);
  });

  it('validates the wire version before upcasting', () => {
    const f = failure(registry.parseEvent({ ...v1Event, data: { ...v1Event.data, amountMinor: 5 } }));
    expect([f.code, f.path]).toEqual(['CONTRACT_VIOLATION', 'data.amountMinor']);
  });

  it('reports UPCAST_FAILED when an upcaster throws or produces invalid data', () => {
    const throwing = defineUpcaster(paymentInitiatedV1, paymentInitiatedV2, [], () => {
      throw new Error('boom');
    });
    const r1 = failure(registryWith([paymentInitiatedV2], [throwing]).parseEvent(v1Event));
    expect(r1.code).toBe('UPCAST_FAILED');
    expect(r1.message).toContain('boom');

    const sloppy = defineUpcaster(paymentInitiatedV1, paymentInitiatedV2, [], (d) => ({
      ...paymentInitiatedV2.example,
      ...d,
      amountMinor: -1,
    }));
    const r2 = failure(registryWith([paymentInitiatedV2], [sloppy]).parseEvent(v1Event));
    expect(r2.code).toBe('UPCAST_FAILED');
    expect(r2.path).toBe('data.amountMinor');
  });

  it('chains v1 → v2 → v3', () => {
    const v3Schema = paymentInitiatedV2.schema.extend({ riskHint: z.enum(['none', 'elevated']) });
    const v3 = defineContract({
      type: 'payments.initiated',
      version: 3,
      schema: v3Schema,
      subjectField: 'userId',
      example: { ...paymentInitiatedV2.example, riskHint: 'none' },
    });
    const up = defineUpcaster(paymentInitiatedV2, v3, ['riskHint'], (d) => ({ ...d, riskHint: 'none' as const }));
    const r = registryWith([paymentInitiatedV2, v3], [paymentInitiatedV1ToV2, up]).parseEvent(v1Event);
    expect(r).toMatchObject({ ok: true, version: 1, data: { amountMinor: 1999, riskHint: 'none' } });
  });
});

describe('registry construction refuses a malformed set', () => {
  const code = (fn: () => unknown): string | undefined => {
    try {
      fn();
    } catch (err) {
      return err instanceof ContractRegistryError ? err.code : `other: ${String(err)}`;
    }
    return undefined;
  };

  it('duplicate versions', () => {
    expect(code(() => new ContractRegistry({ contracts: [paymentLabeledV1, paymentLabeledV1] }))).toBe('DUPLICATE_CONTRACT');
  });

  it('a gap in the versions', () => {
    const v3 = defineContract({ ...paymentInitiatedV2, version: 3 });
    expect(code(() => new ContractRegistry({ contracts: [paymentInitiatedV1, v3] }))).toBe('VERSION_GAP');
  });

  it('a missing upcaster', () => {
    expect(code(() => registryWith([paymentInitiatedV2], []))).toBe('MISSING_UPCASTER');
  });

  it('an upcaster with nothing to upcast', () => {
    expect(code(() => new ContractRegistry({ contracts: allContracts, upcasters: [paymentInitiatedV1ToV2] }))).toBe(
      'ORPHAN_UPCASTER',
    );
  });

  it('an upcaster that skips a version', () => {
    expect(() => defineUpcaster(paymentInitiatedV1, defineContract({ ...paymentInitiatedV2, version: 3 }), [], () => paymentInitiatedV2.example)).toThrow(
      /must go from payments.initiated\/v1 to payments.initiated\/v2/,
    );
  });
});
