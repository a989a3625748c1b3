import {
  allContracts,
  contractRegistry,
  createEvent,
  modelDriftDetectedV1,
  modelRetrainRequestedV1,
  parseEvent,
  paymentFlaggedV1,
  paymentFlagRetractedV1,
  paymentInitiatedV1,
  paymentLabeledV1,
  paymentScoredV1,
  type ContractDescriptor,
  type ParseFailure,
} from '../../../schemas';
import { goodEvents } from '../../fixtures/events';

/** An event of `contract` whose data is the example with `patch` applied (undefined = delete the field). */
function eventWith(contract: ContractDescriptor, patch: Record<string, unknown>): Record<string, unknown> {
  const event = createEvent(contract, { source: 'urn:test', data: contract.example }) as unknown as Record<string, unknown>;
  const data: Record<string, unknown> = { ...(event.data as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === undefined) delete data[key];
    else data[key] = value;
  }
  return { ...event, data };
}

function failure(raw: unknown): ParseFailure {
  const r = parseEvent(raw);
  if (r.ok) throw new Error(`expected a failure, got ${r.type}`);
  return r;
}

describe('every published contract', () => {
  it.each(allContracts.map((c): [string, ContractDescriptor] => [c.dataschema, c]))('%s: its example is a valid event', (_name, contract) => {
    const r = parseEvent(JSON.stringify(createEvent(contract, { source: 'urn:test', data: contract.example })));
    expect(r).toMatchObject({ ok: true, type: contract.type, version: contract.version, data: contract.example });
  });

  it('is registered, and the registry has nothing else', () => {
    expect(contractRegistry.all()).toHaveLength(allContracts.length);
    for (const c of allContracts) expect(contractRegistry.get(c.type, c.version)).toBe(c);
    expect(contractRegistry.types()).toEqual([
      'model.drift-detected',
      'model.retrain-requested',
      'payments.flag-retracted',
      'payments.flagged',
      'payments.initiated',
      'payments.labeled',
      'payments.scored',
    ]);
  });

  it('has good fixtures for every type, all valid', () => {
    const good = goodEvents();
    expect(Object.keys(good).sort()).toEqual(contractRegistry.types());
    for (const [type, lines] of Object.entries(good)) {
      expect(lines.length).toBeGreaterThanOrEqual(2);
      for (const line of lines) {
        const r = parseEvent(Buffer.from(line));
        expect(r.ok ? r.type : r).toBe(type);
      }
    }
  });

  it('refuses unknown data fields (a typo must not pass as a missing optional field)', () => {
    for (const c of allContracts) {
      const f = failure(eventWith(c, { unexpectedField: 1 }));
      expect([c.type, f.code, f.path]).toEqual([c.type, 'CONTRACT_VIOLATION', 'data.unexpectedField']);
    }
  });
});

type Case = [description: string, patch: Record<string, unknown>, path: string];

const cases: [ContractDescriptor, Case[]][] = [
  [
    paymentInitiatedV1,
    [
      ['zero amount', { amount: 0 }, 'data.amount'],
      ['negative amount', { amount: -1 }, 'data.amount'],
      ['amount above 1e7', { amount: 10_000_000.01 }, 'data.amount'],
      ['amount as string', { amount: '12.00' }, 'data.amount'],
      ['lowercase currency', { currency: 'eur' }, 'data.currency'],
      ['4-letter currency', { currency: 'EURO' }, 'data.currency'],
      ['alpha-3 country', { country: 'DEU' }, 'data.country'],
      ['missing userId', { userId: undefined }, 'data.userId'],
      ['missing deviceId', { deviceId: undefined }, 'data.deviceId'],
      ['empty merchantCategory', { merchantCategory: '' }, 'data.merchantCategory'],
      ['paymentId with spaces', { paymentId: 'pay 1' }, 'data.paymentId'],
      ['unknown channel', { channel: 'fax' }, 'data.channel'],
      ['newDevice as string', { newDevice: 'true' }, 'data.newDevice'],
      ['eventTime without offset', { eventTime: '2025-01-15T10:00:00' }, 'data.eventTime'],
    ],
  ],
  [
    paymentLabeledV1,
    [
      ['unknown label', { label: 'maybe' }, 'data.label'],
      ['unknown source', { source: 'gut-feeling' }, 'data.source'],
      ['missing labeledAt', { labeledAt: undefined }, 'data.labeledAt'],
      ['bad modelName', { modelName: 'Fraud Model' }, 'data.modelName'],
    ],
  ],
  [
    paymentScoredV1,
    [
      ['unknown decision', { decision: 'DECLINE' }, 'data.decision'],
      ['score above 1', { score: 1.5 }, 'data.score'],
      ['shadow without score', { shadow: { version: 'fraud-8' } }, 'data.shadow.score'],
      ['reason without feature', { reasons: [{ contribution: 0.1 }] }, 'data.reasons[0].feature'],
      ['fallback missing', { fallback: undefined }, 'data.fallback'],
      ['empty workflowId', { workflowId: '' }, 'data.workflowId'],
    ],
  ],
  [
    paymentFlaggedV1,
    [
      ['missing threshold', { threshold: undefined }, 'data.threshold'],
      ['negative amount', { amount: -3 }, 'data.amount'],
      ['second reason malformed', { reasons: [{ feature: 'a', contribution: 1 }, { feature: 'b', contribution: 'x' }] }, 'data.reasons[1].contribution'],
    ],
  ],
  [
    paymentFlagRetractedV1,
    [
      ['unknown reason', { reason: 'oops' }, 'data.reason'],
      ['detail too long', { detail: 'x'.repeat(501) }, 'data.detail'],
    ],
  ],
  [
    modelDriftDetectedV1,
    [
      ['share above 1', { share: 1.2 }, 'data.share'],
      ['features not an array', { driftedFeatures: 'amount' }, 'data.driftedFeatures'],
      ['datasetDrift missing', { datasetDrift: undefined }, 'data.datasetDrift'],
    ],
  ],
  [
    modelRetrainRequestedV1,
    [
      ['empty reason', { reason: '' }, 'data.reason'],
      ['modelName with slash', { modelName: 'fraud/v2' }, 'data.modelName'],
    ],
  ],
];

describe.each(cases.map(([c, list]) => [c.dataschema, c, list] as const))('%s refuses', (_name, contract, list) => {
  it.each(list)('%s', (_description, patch, path) => {
    const f = failure(eventWith(contract, patch));
    expect(f.code).toBe('CONTRACT_VIOLATION');
    expect(f.path).toBe(path);
    expect(f.message).toContain(`${contract.dataschema} ${path}:`);
  });
});

describe('optional fields', () => {
  it('payments.initiated is valid with required fields only', () => {
    const r = parseEvent(eventWith(paymentInitiatedV1, { newDevice: undefined, channel: undefined, eventTime: undefined }));
    expect(r.ok).toBe(true);
  });

  it('payments.scored is valid without a shadow and with no reasons', () => {
    expect(parseEvent(eventWith(paymentScoredV1, { shadow: undefined, reasons: [] })).ok).toBe(true);
  });
});
