import {
  createEnvelope,
  createEvent,
  envelopeSchema,
  EventContractError,
  paymentInitiatedV1,
  parseDataschema,
} from '../../../schemas';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function thrown(fn: () => unknown): EventContractError {
  try {
    fn();
  } catch (err) {
    if (err instanceof EventContractError) return err;
    throw err;
  }
  throw new Error('expected an EventContractError');
}

describe('createEnvelope', () => {
  const base = { type: 'payments.initiated', version: 1, source: 'urn:test', subject: 'user-42', data: { a: 1 } };

  it('fills id, time, specversion, dataschema and starts its own correlation chain', () => {
    const before = Date.now();
    const e = createEnvelope(base);
    expect(e.id).toMatch(UUID);
    expect(e.correlationid).toBe(e.id);
    expect(e.specversion).toBe('1.0');
    expect(e.dataschema).toBe('payments.initiated/v1');
    expect(Date.parse(e.time)).toBeGreaterThanOrEqual(before - 1);
    expect(e.time.endsWith('Z')).toBe(true);
    expect('causationid' in e).toBe(false);
    expect('traceparent' in e).toBe(false);
    expect(envelopeSchema.safeParse(e).success).toBe(true);
  });

  it('keeps given id, time, correlation, causation and traceparent', () => {
    const e = createEnvelope({
      ...base,
      id: 'evt-1',
      time: '2025-01-15T11:00:00+01:00',
      correlationId: 'corr-1',
      causationId: 'cause-1',
      traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
    });
    expect(e).toMatchObject({ id: 'evt-1', time: '2025-01-15T11:00:00+01:00', correlationid: 'corr-1', causationid: 'cause-1' });
    expect(createEnvelope({ ...base, time: new Date(Date.UTC(2025, 0, 15)) }).time).toBe('2025-01-15T00:00:00.000Z');
  });

  it.each([
    ['subject', { subject: '' }],
    ['time', { time: '2025-01-15T10:00:00' }], // no offset: ambiguous
    ['type', { type: 'Payments' }],
    ['id', { id: 'has space' }],
    ['source', { source: '' }],
    ['traceparent', { traceparent: 'nope' }],
  ])('refuses a bad %s with ENVELOPE_INVALID naming it', (field, patch) => {
    const err = thrown(() => createEnvelope({ ...base, ...patch }));
    expect(err.code).toBe('ENVELOPE_INVALID');
    expect(err.path).toBe(field);
    expect(err.message).toMatch(new RegExp(`^${field}: `));
  });
});

describe('envelopeSchema', () => {
  const good = createEnvelope({ type: 'payments.initiated', version: 1, source: 's', subject: 'k', data: {} });

  it('requires dataschema to belong to the envelope type', () => {
    const r = envelopeSchema.safeParse({ ...good, dataschema: 'payments.labeled/v1' });
    expect(r.success).toBe(false);
    expect(r.error?.issues[0].path).toEqual(['dataschema']);
    // A type that is a prefix of another is not enough.
    expect(envelopeSchema.safeParse({ ...good, type: 'payments.init', dataschema: 'payments.initiated/v1' }).success).toBe(false);
  });

  it('requires data to be an object and every required attribute to be present', () => {
    expect(envelopeSchema.safeParse({ ...good, data: [1] }).success).toBe(false);
    expect(envelopeSchema.safeParse({ ...good, data: 'x' }).success).toBe(false);
    for (const key of ['id', 'type', 'source', 'specversion', 'time', 'subject', 'dataschema', 'correlationid', 'data']) {
      const copy: Record<string, unknown> = { ...good };
      delete copy[key];
      expect([key, envelopeSchema.safeParse(copy).success]).toEqual([key, false]);
    }
  });

  it('tolerates and drops extension attributes', () => {
    const r = envelopeSchema.safeParse({ ...good, partitionkey: 'x' });
    expect(r.success && 'partitionkey' in r.data).toBe(false);
    expect(r.success).toBe(true);
  });

  it('refuses another specversion', () => {
    expect(envelopeSchema.safeParse({ ...good, specversion: '0.3' }).success).toBe(false);
  });
});

describe('parseDataschema', () => {
  it('splits type and version', () => {
    expect(parseDataschema('payments.initiated/v1')).toEqual({ type: 'payments.initiated', version: 1 });
    expect(parseDataschema('model.drift-detected/v12')).toEqual({ type: 'model.drift-detected', version: 12 });
  });

  it.each(['payments.initiated', 'payments.initiated/v0', 'payments.initiated/1', 'payments/v1', 'payments.initiated/v01'])(
    'refuses %s',
    (bad) => {
      const err = thrown(() => parseDataschema(bad));
      expect(err.code).toBe('ENVELOPE_INVALID');
      expect(err.path).toBe('dataschema');
    },
  );
});

describe('createEvent', () => {
  it('checks data and takes the subject from the contract', () => {
    const e = createEvent(paymentInitiatedV1, { source: 'urn:test', data: paymentInitiatedV1.example });
    expect(e.subject).toBe('user-42');
    expect(e.dataschema).toBe('payments.initiated/v1');
  });

  it('refuses invalid data with CONTRACT_VIOLATION naming the field', () => {
    const err = thrown(() =>
      createEvent(paymentInitiatedV1, { source: 'urn:test', data: { ...paymentInitiatedV1.example, currency: 'eur' } }),
    );
    expect(err.code).toBe('CONTRACT_VIOLATION');
    expect(err.path).toBe('data.currency');
    expect(err.message).toContain('data.currency');
  });
});
