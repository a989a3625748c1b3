import {
  createEvent,
  DEFAULT_MAX_EVENT_BYTES,
  EVENT_ERROR_CODES,
  parseEvent,
  paymentInitiatedV1,
  type EventErrorCode,
  type ParseFailure,
} from '../../../schemas';
import { BAD_EVENT_FIXTURES, readNdjson, tooLargeEvent } from '../../fixtures/events';

const event = createEvent(paymentInitiatedV1, {
  source: 'urn:test',
  data: paymentInitiatedV1.example,
  id: 'evt-1',
  time: '2025-01-15T10:00:00.500Z',
});
const line = JSON.stringify(event);

function failure(raw: unknown, options?: { maxBytes?: number }): ParseFailure {
  const r = parseEvent(raw, options);
  if (r.ok) throw new Error(`expected a failure, got ${r.type}`);
  return r;
}

describe('parseEvent', () => {
  it('accepts a Buffer, a string, a Uint8Array view and a parsed object alike', () => {
    const padded = Buffer.from(`xx${line}yy`);
    const view = new Uint8Array(padded.buffer, padded.byteOffset + 2, padded.byteLength - 4);
    for (const raw of [Buffer.from(line), line, view, JSON.parse(line) as unknown]) {
      const r = parseEvent(raw);
      expect(r).toEqual({ ok: true, type: 'payments.initiated', version: 1, envelope: event, data: event.data });
    }
  });

  it('narrows data by type', () => {
    const r = parseEvent(line);
    if (!r.ok || r.type !== 'payments.initiated') throw new Error('expected payments.initiated');
    const amount: number = r.data.amount; // compile-time check: data is PaymentInitiatedV1
    expect(amount).toBe(129.9);
  });

  it.each(BAD_EVENT_FIXTURES.map((f) => [f.file, f] as const))('bad fixture %s → its code', (_file, fixture) => {
    const lines = readNdjson(fixture.file);
    expect(lines).toHaveLength(1);
    const f = failure(Buffer.from(lines[0]));
    expect(f.code).toBe(fixture.code);
    expect(f.path).toBe(fixture.path);
    if (fixture.path !== undefined) expect(f.message).toContain(fixture.path);
  });

  describe('produces every code a payload can cause', () => {
    const produced = new Set<EventErrorCode>();
    afterAll(() => {
      // MISSING_KEY and ROUTE_MISMATCH are the bridge's (Kafka key, topic routes); UPCAST_FAILED needs an upcaster
      // (upcast.test.ts).
      const elsewhere: EventErrorCode[] = ['MISSING_KEY', 'ROUTE_MISMATCH', 'UPCAST_FAILED'];
      expect([...produced].sort()).toEqual(EVENT_ERROR_CODES.filter((c) => !elsewhere.includes(c)).sort());
    });
    const expectCode = (raw: unknown, code: EventErrorCode, path?: string, options?: { maxBytes?: number }): ParseFailure => {
      const f = failure(raw, options);
      expect(f.code).toBe(code);
      expect(f.path).toBe(path);
      produced.add(f.code);
      return f;
    };

    it('NOT_JSON for unparsable text and invalid UTF-8', () => {
      expectCode('{"id":', 'NOT_JSON');
      expectCode(Buffer.from('not json'), 'NOT_JSON');
      expectCode(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), 'NOT_JSON');
      expectCode('', 'NOT_JSON');
    });

    it('TOO_LARGE before parsing, default 256 KiB, configurable', () => {
      expect(DEFAULT_MAX_EVENT_BYTES).toBe(262_144);
      const big = tooLargeEvent();
      expect(Buffer.byteLength(big)).toBe(DEFAULT_MAX_EVENT_BYTES + 1);
      expectCode(big, 'TOO_LARGE');
      expectCode(Buffer.from(big), 'TOO_LARGE');
      // Exactly at the limit it is parsed (and valid: the padding is a tolerated extension attribute).
      expect(parseEvent(tooLargeEvent(DEFAULT_MAX_EVENT_BYTES)).ok).toBe(true);
      // Checked before parsing: garbage over the limit is TOO_LARGE, not NOT_JSON.
      expectCode('x'.repeat(200), 'TOO_LARGE', undefined, { maxBytes: 100 });
      expectCode(line, 'TOO_LARGE', undefined, { maxBytes: 100 });
      expect(parseEvent(line, { maxBytes: Buffer.byteLength(line) }).ok).toBe(true);
      // Bytes, not UTF-16 units: 100 × 'é' is 200 bytes.
      expectCode('é'.repeat(100), 'TOO_LARGE', undefined, { maxBytes: 150 });
    });

    it('ENVELOPE_INVALID for JSON that is not an envelope, naming the attribute', () => {
      expectCode('[]', 'ENVELOPE_INVALID');
      expectCode('42', 'ENVELOPE_INVALID');
      expectCode(null, 'ENVELOPE_INVALID');
      const { subject: _omit, ...noSubject } = event;
      expect(expectCode(noSubject, 'ENVELOPE_INVALID', 'subject').message).toMatch(/^subject: /);
      expectCode({ ...event, specversion: '2.0' }, 'ENVELOPE_INVALID', 'specversion');
      expectCode({ ...event, time: 'yesterday' }, 'ENVELOPE_INVALID', 'time');
      expectCode({ ...event, data: null }, 'ENVELOPE_INVALID', 'data');
      expectCode({ ...event, dataschema: 'payments.initiated' }, 'ENVELOPE_INVALID', 'dataschema');
      expectCode({ ...event, dataschema: 'payments.labeled/v1' }, 'ENVELOPE_INVALID', 'dataschema');
    });

    it('UNKNOWN_TYPE and UNKNOWN_VERSION', () => {
      const f = expectCode({ ...event, type: 'payments.refunded', dataschema: 'payments.refunded/v1' }, 'UNKNOWN_TYPE', 'type');
      expect(f.message).toContain('payments.refunded');
      const g = expectCode({ ...event, dataschema: 'payments.initiated/v2' }, 'UNKNOWN_VERSION', 'dataschema');
      expect(g.message).toContain('no version 2');
    });

    it('CONTRACT_VIOLATION naming the data field, or the subject when it is not the partition key', () => {
      const f = expectCode({ ...event, data: { ...event.data, amount: -5 } }, 'CONTRACT_VIOLATION', 'data.amount');
      expect(f.message).toMatch(/^payments\.initiated\/v1 data\.amount: /);
      const g = expectCode({ ...event, subject: 'user-7' }, 'CONTRACT_VIOLATION', 'subject');
      expect(g.message).toContain('data.userId');
      expect(g.message).not.toContain('user-7'); // values can be PII; messages end up in DLQ headers
    });
  });

  it('reports how many more issues there are', () => {
    const f = failure({ ...event, data: { ...event.data, amount: -5, currency: 'x', country: 'y' } });
    expect(f.message).toMatch(/data\.amount: .*\(\+2 more\)$/);
  });

  it('never throws, whatever it is given', () => {
    for (const raw of [undefined, 0, true, Symbol('x'), () => 1, new Map(), Buffer.alloc(0), { data: { amount: 1 } }]) {
      expect(parseEvent(raw).ok).toBe(false);
    }
  });

  it('gives the same failures as the uncompiled schemas (the compiled fast path falls back for errors)', () => {
    const bad = [{ ...event.data, amount: 'x' }, { ...event.data, channel: 'fax', eventTime: 'x' }, { ...event.data, extra: 1 }];
    for (const data of bad) {
      const f = failure({ ...event, data });
      const direct = paymentInitiatedV1.schema.safeParse(data);
      expect(direct.success).toBe(false);
      expect(f.message).toContain(direct.error?.issues[0].message);
    }
  });
});
