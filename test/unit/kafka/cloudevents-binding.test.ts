import type { IHeaders } from 'kafkajs';
import { createEvent, paymentInitiatedV1, type ContractRegistry, type EventEnvelope, type LatestEventData, type PaymentInitiatedV1 } from '../../../schemas';
import { decodeRecord, encodeRecord, recordEventId, type DecodedRecord, type IncomingRecord } from '../../../src/kafka/cloudevents-binding';
import { BAD_EVENT_FIXTURES, goodEvents, readNdjson } from '../../fixtures/events';
import { paymentInitiatedV1ToV2, paymentInitiatedV2, registryWith } from '../schemas/test-contracts';

const RECORD_TIME_MS = Date.parse('2026-03-01T12:00:00.000Z');

function payment(overrides: { correlationId?: string; time?: string } = {}): EventEnvelope<PaymentInitiatedV1> {
  return createEvent(paymentInitiatedV1, {
    source: 'urn:test:checkout',
    id: 'evt-1',
    time: overrides.time ?? '2026-03-01T11:59:59.500Z',
    correlationId: overrides.correlationId,
    data: { paymentId: 'pay-1', userId: 'user-7', merchantId: 'merch-1', amount: 25, currency: 'EUR', country: 'DE', merchantCategory: 'grocery', deviceId: 'dev-1' },
  });
}

/** The record as a kafkajs consumer hands it over: key, value and header values are Buffers. */
function consumed(record: { key: string | null; value: string | null; headers?: Record<string, string | undefined> }, timestampMs = RECORD_TIME_MS): IncomingRecord {
  const headers: IHeaders = {};
  for (const [name, value] of Object.entries(record.headers ?? {})) if (value !== undefined) headers[name] = Buffer.from(value);
  return {
    key: record.key === null ? null : Buffer.from(record.key),
    value: record.value === null ? null : Buffer.from(record.value),
    headers,
    timestamp: String(timestampMs),
  };
}

/** Binary-mode headers of an event, as a CloudEvents producer writes them. */
function binaryHeaders(attributes: Record<string, string | undefined>, contentType: string | undefined = 'application/json'): Record<string, string | undefined> {
  const headers: Record<string, string | undefined> = contentType === undefined ? {} : { 'content-type': contentType };
  for (const [name, value] of Object.entries(attributes)) headers[`ce_${name}`] = value;
  return headers;
}

const minimalAttributes = { id: 'evt-9', source: 'urn:acme:checkout', specversion: '1.0', type: 'payments.initiated' };
const paymentData = payment().data;

function expectOk(result: DecodedRecord): Extract<DecodedRecord, { ok: true }> {
  if (!result.ok) throw new Error(`expected an event, got ${result.code}: ${result.message}`);
  return result;
}

function expectRefused(result: DecodedRecord): Extract<DecodedRecord, { ok: false }> {
  if (result.ok) throw new Error(`expected a refusal, got event ${result.envelope.id}`);
  return result;
}

describe('decodeRecord: plain JSON (no content-type, no ce_ headers)', () => {
  it('reads every good fixture exactly as parseEvent does', () => {
    for (const [type, lines] of Object.entries(goodEvents())) {
      for (const line of lines) {
        const envelope = JSON.parse(line) as EventEnvelope;
        const result = expectOk(decodeRecord(consumed({ key: envelope.subject, value: line })));
        expect(result).toMatchObject({ mode: 'plain', type });
        expect(result.envelope.id).toBe(envelope.id);
      }
    }
  });

  it('refuses every bad fixture with the same code and path as before', () => {
    for (const fixture of BAD_EVENT_FIXTURES) {
      for (const line of readNdjson(fixture.file)) {
        const result = expectRefused(decodeRecord(consumed({ key: 'user-42', value: line })));
        expect(result).toMatchObject({ mode: 'plain', code: fixture.code });
        if (fixture.path !== undefined) expect(result.path).toBe(fixture.path);
      }
    }
  });

  it('still requires every attribute: nothing is defaulted in plain mode', () => {
    const { correlationid: _c, time: _t, ...rest } = payment();
    expect(expectRefused(decodeRecord(consumed({ key: 'user-7', value: JSON.stringify(rest) })))).toMatchObject({ mode: 'plain', code: 'ENVELOPE_INVALID' });
  });
});

describe('decodeRecord: structured mode', () => {
  it.each([
    'application/cloudevents+json',
    'application/cloudevents+json; charset=UTF-8',
    'application/cloudevents+json;charset=utf-8',
    'Application/CloudEvents+JSON; charset="utf8"',
  ])('reads a full envelope with content-type %s', (contentType) => {
    const event = payment();
    const result = expectOk(decodeRecord(consumed({ key: event.subject, value: JSON.stringify(event), headers: { 'content-type': contentType } })));
    expect(result.mode).toBe('structured');
    expect(result.envelope).toEqual(event);
  });

  it('defaults correlationid, time, subject and dataschema', () => {
    const value = JSON.stringify({ ...minimalAttributes, datacontenttype: 'application/json', data: paymentData });
    const result = expectOk(decodeRecord(consumed({ key: 'user-7', value, headers: { 'content-type': 'application/cloudevents+json' } })));
    expect(result.envelope).toMatchObject({
      id: 'evt-9',
      correlationid: 'evt-9',
      time: new Date(RECORD_TIME_MS).toISOString(),
      subject: 'user-7',
      dataschema: 'payments.initiated/v1',
    });
  });

  it('finds the header whatever its case (Content-Type)', () => {
    const event = payment();
    expect(decodeRecord(consumed({ key: event.subject, value: JSON.stringify(event), headers: { 'Content-Type': 'application/cloudevents+json' } })).mode).toBe('structured');
  });

  it.each(['id', 'source', 'specversion', 'type'])('refuses an event without %s, naming it', (attribute) => {
    const value = JSON.stringify({ ...minimalAttributes, [attribute]: undefined, data: paymentData });
    const result = expectRefused(decodeRecord(consumed({ key: 'user-7', value, headers: { 'content-type': 'application/cloudevents+json' } })));
    expect(result).toMatchObject({ code: 'ENVELOPE_INVALID', path: attribute, mode: 'structured' });
    expect(result.message).toBe(`${attribute}: required CloudEvents attribute is missing`);
  });

  it('refuses other event formats, batches, charsets and non-JSON values by name', () => {
    const refuse = (contentType: string, value = JSON.stringify(payment())) => expectRefused(decodeRecord(consumed({ key: 'user-7', value, headers: { 'content-type': contentType } })));
    expect(refuse('application/cloudevents+avro')).toMatchObject({ code: 'NOT_JSON', message: expect.stringContaining('application/cloudevents+avro') });
    expect(refuse('application/cloudevents-batch+json', `[${JSON.stringify(payment())}]`)).toMatchObject({ code: 'NOT_JSON', message: expect.stringContaining('one event per record') });
    expect(refuse('application/cloudevents+json; charset=ISO-8859-1')).toMatchObject({ code: 'NOT_JSON', message: expect.stringContaining('charset ISO-8859-1') });
    expect(refuse('application/cloudevents+json', '{"id": nope')).toMatchObject({ code: 'NOT_JSON' });
    expect(refuse('application/cloudevents+json', '[1,2]')).toMatchObject({ code: 'ENVELOPE_INVALID' });
  });

  it('still checks the defaulted subject against the contract', () => {
    const value = JSON.stringify({ ...minimalAttributes, data: paymentData });
    const result = expectRefused(decodeRecord(consumed({ key: 'someone-else', value, headers: { 'content-type': 'application/cloudevents+json' } })));
    expect(result).toMatchObject({ code: 'CONTRACT_VIOLATION', path: 'subject' });
  });

  it('applies the byte limit to the value', () => {
    const event = payment();
    const result = expectRefused(decodeRecord(consumed({ key: event.subject, value: JSON.stringify(event), headers: { 'content-type': 'application/cloudevents+json' } }), { maxBytes: 100 }));
    expect(result.code).toBe('TOO_LARGE');
  });
});

describe('decodeRecord: binary mode', () => {
  it('reads attributes from ce_ headers and the data from the value', () => {
    const event = payment({ correlationId: 'corr-1' });
    const { data, ...attributes } = event;
    const result = expectOk(decodeRecord(consumed({ key: event.subject, value: JSON.stringify(data), headers: binaryHeaders(attributes) })));
    expect(result.mode).toBe('binary');
    expect(result.envelope).toEqual(event);
  });

  it.each([undefined, 'application/json; charset=utf-8', 'application/vnd.acme+json'])('takes JSON data with content-type %s', (contentType) => {
    const result = expectOk(decodeRecord(consumed({ key: 'user-7', value: JSON.stringify(paymentData), headers: binaryHeaders(minimalAttributes, contentType) })));
    expect(result.mode).toBe('binary');
  });

  it('defaults correlationid to the id, time to the record timestamp, subject to the key, dataschema to the only version', () => {
    const result = expectOk(decodeRecord(consumed({ key: 'user-7', value: JSON.stringify(paymentData), headers: binaryHeaders(minimalAttributes) }, RECORD_TIME_MS + 1)));
    expect(result.envelope).toEqual({
      ...minimalAttributes,
      correlationid: 'evt-9',
      time: new Date(RECORD_TIME_MS + 1).toISOString(),
      subject: 'user-7',
      dataschema: 'payments.initiated/v1',
      data: paymentData,
    });
  });

  it.each(['https://schemas.acme.io/events/payments.initiated/v1', 'urn:acme:payments.initiated/v1'])('reads a dataschema URI (as the SDK requires) by the contract it ends in: %s', (dataschema) => {
    const result = expectOk(decodeRecord(consumed({ key: 'user-7', value: JSON.stringify(paymentData), headers: binaryHeaders({ ...minimalAttributes, dataschema }) })));
    expect(result.envelope.dataschema).toBe('payments.initiated/v1');
  });

  it('refuses a dataschema URI that names no contract, or another version', () => {
    const noContract = decodeRecord(consumed({ key: 'user-7', value: JSON.stringify(paymentData), headers: binaryHeaders({ ...minimalAttributes, dataschema: 'https://schemas.acme.io/payment.json' }) }));
    expect(expectRefused(noContract)).toMatchObject({ path: 'dataschema' });
    const unknown = decodeRecord(consumed({ key: 'user-7', value: JSON.stringify(paymentData), headers: binaryHeaders({ ...minimalAttributes, dataschema: 'urn:acme:payments.initiated/v7' }) }));
    expect(expectRefused(unknown)).toMatchObject({ code: 'UNKNOWN_VERSION', path: 'dataschema' });
  });

  it('keeps what the producer set over every default', () => {
    const headers = binaryHeaders({ ...minimalAttributes, correlationid: 'corr-2', time: '2026-01-01T00:00:00Z', subject: 'user-7', dataschema: 'payments.initiated/v1' });
    const result = expectOk(decodeRecord(consumed({ key: 'user-7', value: JSON.stringify(paymentData), headers })));
    expect(result.envelope).toMatchObject({ correlationid: 'corr-2', time: '2026-01-01T00:00:00Z', subject: 'user-7' });
  });

  it('tolerates the extension and datacontenttype headers the CloudEvents SDK adds', () => {
    const headers = binaryHeaders({ ...minimalAttributes, partitionkey: 'user-7', datacontenttype: 'application/json' });
    expect(expectOk(decodeRecord(consumed({ key: 'user-7', value: JSON.stringify(paymentData), headers }))).envelope).not.toHaveProperty('partitionkey');
  });

  it('takes a header without a value (null, as kafkajs reads what the CloudEvents SDK writes for unset attributes) as absent', () => {
    const record = consumed({ key: 'user-7', value: JSON.stringify(paymentData), headers: binaryHeaders(minimalAttributes) });
    const headers = { ...record.headers, ce_subject: null, ce_dataschema: null } as unknown as IHeaders;
    expect(expectOk(decodeRecord({ ...record, headers })).envelope).toMatchObject({ subject: 'user-7', dataschema: 'payments.initiated/v1' });
    const withoutSource = { ...record.headers, ce_source: null } as unknown as IHeaders;
    expect(expectRefused(decodeRecord({ ...record, headers: withoutSource }))).toMatchObject({ code: 'ENVELOPE_INVALID', path: 'source' });
  });

  it.each(['id', 'source', 'specversion', 'type'])('refuses an event without ce_%s, naming the header', (attribute) => {
    const headers = binaryHeaders({ ...minimalAttributes, [attribute]: undefined });
    const result = expectRefused(decodeRecord(consumed({ key: 'user-7', value: JSON.stringify(paymentData), headers })));
    expect(result).toMatchObject({ mode: 'binary', code: 'ENVELOPE_INVALID', path: attribute });
    expect(result.message).toBe(`${attribute}: required CloudEvents attribute is missing (header ce_${attribute})`);
  });

  it('refuses a wrong specversion, non-JSON data, non-object data and a missing value', () => {
    const refuse = (headers: Record<string, string | undefined>, value: string | null = JSON.stringify(paymentData)) => expectRefused(decodeRecord(consumed({ key: 'user-7', value, headers })));
    expect(refuse(binaryHeaders({ ...minimalAttributes, specversion: '0.3' }))).toMatchObject({ code: 'ENVELOPE_INVALID', path: 'specversion' });
    expect(refuse(binaryHeaders(minimalAttributes, 'application/avro'))).toMatchObject({ code: 'NOT_JSON', message: expect.stringContaining('application/avro') });
    expect(refuse(binaryHeaders(minimalAttributes), 'not json')).toMatchObject({ code: 'NOT_JSON', message: expect.stringContaining('data is not JSON') });
    expect(refuse(binaryHeaders(minimalAttributes), '"a string"')).toMatchObject({ code: 'ENVELOPE_INVALID', path: 'data' });
    expect(refuse(binaryHeaders(minimalAttributes), null)).toMatchObject({ code: 'NOT_JSON', path: 'data' });
  });

  it('refuses an unknown type without dataschema as UNKNOWN_TYPE', () => {
    const result = expectRefused(decodeRecord(consumed({ key: 'user-7', value: JSON.stringify(paymentData), headers: binaryHeaders({ ...minimalAttributes, type: 'payments.refunded' }) })));
    expect(result).toMatchObject({ code: 'UNKNOWN_TYPE', path: 'type' });
  });

  it('reads header values given as strings too (a producer-side message)', () => {
    const event = payment();
    const record = encodeRecord(event, 'binary');
    expect(expectOk(decodeRecord({ ...record, timestamp: String(RECORD_TIME_MS) })).envelope).toEqual(event);
  });
});

describe('decodeRecord: a type with several versions', () => {
  const registry = registryWith([paymentInitiatedV2], [paymentInitiatedV1ToV2]) as unknown as ContractRegistry<LatestEventData>;

  it('refuses a missing dataschema as UNKNOWN_VERSION, naming the versions', () => {
    const result = expectRefused(decodeRecord(consumed({ key: 'user-7', value: JSON.stringify(paymentData), headers: binaryHeaders(minimalAttributes) }), { registry }));
    expect(result).toMatchObject({ code: 'UNKNOWN_VERSION', path: 'dataschema' });
    expect(result.message).toBe('dataschema: missing, and payments.initiated has versions v1, v2: name one (e.g. "payments.initiated/v2")');
  });

  it('upcasts a named older version as parseEvent does', () => {
    const headers = binaryHeaders({ ...minimalAttributes, dataschema: 'payments.initiated/v1' });
    const result = expectOk(decodeRecord(consumed({ key: 'user-7', value: JSON.stringify(paymentData), headers }), { registry }));
    expect(result).toMatchObject({ version: 1, envelope: { dataschema: 'payments.initiated/v2' } });
  });
});

describe('encodeRecord → decodeRecord', () => {
  it.each(['structured', 'binary'] as const)('round-trips an envelope in %s mode (key = subject)', (mode) => {
    const event = { ...payment({ correlationId: 'corr-7' }), causationid: 'evt-0', traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' };
    const record = encodeRecord(event, mode);
    expect(record.key).toBe(event.subject);
    const result = expectOk(decodeRecord(consumed(record)));
    expect(result.mode).toBe(mode);
    expect(result.envelope).toEqual(event);
  });

  it('writes structured mode as today: the JSON envelope with content-type application/cloudevents+json', () => {
    const event = payment();
    expect(encodeRecord(event, 'structured')).toEqual({ key: 'user-7', value: JSON.stringify(event), headers: { 'content-type': 'application/cloudevents+json' } });
  });

  it('writes binary mode as the spec shows: ce_ headers, content-type of the data, the data as the value', () => {
    const event = payment();
    const record = encodeRecord(event, 'binary');
    expect(record.value).toBe(JSON.stringify(event.data));
    expect(record.headers).toEqual({
      'content-type': 'application/json',
      ce_id: 'evt-1',
      ce_type: 'payments.initiated',
      ce_source: 'urn:test:checkout',
      ce_specversion: '1.0',
      ce_time: '2026-03-01T11:59:59.500Z',
      ce_subject: 'user-7',
      ce_dataschema: 'payments.initiated/v1',
      ce_correlationid: 'evt-1',
    });
  });
});

describe('recordEventId', () => {
  it('reads the id of either mode and of plain JSON, and nothing of garbage', () => {
    const event = payment();
    expect(recordEventId(consumed(encodeRecord(event, 'binary')))).toBe('evt-1');
    expect(recordEventId(consumed(encodeRecord(event, 'structured')))).toBe('evt-1');
    expect(recordEventId(consumed({ key: null, value: 'garbage' }))).toBeUndefined();
    expect(recordEventId(consumed({ key: null, value: null }))).toBeUndefined();
  });
});
