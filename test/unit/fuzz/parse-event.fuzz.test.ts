// Seeded fuzzing of the bridge's edge: every input gets a verdict (valid, or a coded reason fit for a DLQ header and
// a log line), nothing throws, nothing overflows the stack. FUZZ_SEED=<n> reproduces a run; the seed is printed.
import { createHash } from 'node:crypto';
import { createEvent, EVENT_ERROR_CODES, parseEvent, paymentInitiatedV1 } from '../../../schemas';
import { buildCorpus, deepArray, deepObject, matches, type BaseEvent, type FuzzCase, DEEP } from './corpus';

const SEED = Number(process.env.FUZZ_SEED ?? 20261123);
const base: BaseEvent = (i) =>
  createEvent(paymentInitiatedV1, {
    source: 'urn:fuzz',
    id: `evt-fuzz-${i}`,
    time: '2026-11-23T10:00:00.000Z',
    correlationId: `corr-${i}`,
    data: { ...paymentInitiatedV1.example, paymentId: `pay-fuzz-${i}`, userId: `user-${i % 17}`, newDevice: false, channel: 'web' },
  });

/** What the bridge does before parseEvent: a record without key is refused as MISSING_KEY. */
function verdict(c: FuzzCase): ReturnType<typeof parseEvent> | { ok: false; code: 'MISSING_KEY'; message: string } {
  if (c.key === null || c.key.length === 0) return { ok: false, code: 'MISSING_KEY', message: 'record has no key' };
  return parseEvent(c.value);
}

const PRINTABLE = /^[\x20-\x7e]*$/;

describe(`parseEvent fuzz (seed ${SEED})`, () => {
  const corpus = buildCorpus({ seed: SEED, randomCases: 1500, base });

  it('is reproducible from its seed', () => {
    const digest = (cases: FuzzCase[]) => createHash('sha256').update(cases.map((c) => `${c.kind}|${c.key?.toString('hex')}|${c.value.toString('hex')}`).join('\n')).digest('hex');
    expect(digest(buildCorpus({ seed: SEED, randomCases: 200, base }))).toBe(digest(buildCorpus({ seed: SEED, randomCases: 200, base })));
    expect(digest(buildCorpus({ seed: SEED + 1, randomCases: 200, base }))).not.toBe(digest(buildCorpus({ seed: SEED, randomCases: 200, base })));
  });

  it('gives every input a verdict with a reason and never throws', () => {
    const wrong: string[] = [];
    const kinds = new Set<string>();
    for (const [i, c] of corpus.entries()) {
      kinds.add(c.kind.replace(/-(envelope|data)\..*$/, ''));
      let r: ReturnType<typeof verdict>;
      try {
        r = verdict(c);
      } catch (err) {
        wrong.push(`#${i} ${c.kind}: threw ${(err as Error).message}`);
        continue;
      }
      if (!matches(c.expect, r)) {
        wrong.push(`#${i} ${c.kind}: expected ${String(c.expect)}, got ${r.ok ? 'valid' : `${r.code} ${r.message}`}`);
        continue;
      }
      if (r.ok) continue;
      // A reason that can go into a Kafka header and a log line as it is: coded, non-empty, printable, bounded.
      if (!(EVENT_ERROR_CODES as readonly string[]).includes(r.code)) wrong.push(`#${i} ${c.kind}: unknown code ${r.code}`);
      if (r.message.length === 0 || r.message.length > 512 || !PRINTABLE.test(r.message)) wrong.push(`#${i} ${c.kind}: unfit message ${JSON.stringify(r.message.slice(0, 80))}`);
      const path = 'path' in r ? r.path : undefined;
      if (path !== undefined && (path.length > 256 || !PRINTABLE.test(path))) wrong.push(`#${i} ${c.kind}: unfit path ${JSON.stringify(path.slice(0, 80))}`);
      if (c.path !== undefined && path !== c.path) wrong.push(`#${i} ${c.kind}: path ${path}, expected ${c.path}`);
    }
    expect(wrong).toEqual([]);
    // The corpus covers what the issue names.
    for (const k of ['random-bytes', 'truncated-json', 'too-large-by-one', 'deep-array-top', 'deep-object-extra-key', 'wrong-type', 'missing', 'unicode-nul-in-text', 'unicode-lone-high-surrogate-in-id', 'unicode-rtl-in-source', 'invalid-utf8', 'no-key']) {
      expect([...kinds]).toContain(k);
    }
  });

  it('keeps unicode free text exactly as sent (no silent replacement of NUL, RTL marks or lone surrogates)', () => {
    for (const c of corpus.filter((x) => /^unicode-.*-in-text$/.test(x.kind))) {
      const r = parseEvent(c.value);
      if (!r.ok || r.type !== 'payments.initiated') throw new Error(`${c.kind} was refused`);
      const sent = (JSON.parse(c.value.toString('utf8')) as { data: { merchantCategory: string } }).data.merchantCategory;
      expect(r.data.merchantCategory).toBe(sent);
    }
  });

  it('parses 100k-deep JSON without overflowing the stack, also above the default size limit', () => {
    for (const raw of [deepArray(DEEP), deepObject(DEEP), `{"id":${deepArray(DEEP)}}`]) {
      const r = parseEvent(raw, { maxBytes: 4 * 1024 * 1024 });
      expect(r.ok).toBe(false);
      if (!r.ok) expect(['ENVELOPE_INVALID', 'NOT_JSON']).toContain(r.code);
    }
    // Ten times deeper still gets a verdict.
    expect(parseEvent(deepArray(DEEP * 10), { maxBytes: 4 * 1024 * 1024 })).toMatchObject({ ok: false });
  });

  it('drops "__proto__" keys without touching prototypes', () => {
    for (const c of corpus.filter((x) => x.kind.startsWith('proto-'))) {
      const r = parseEvent(c.value);
      if (!r.ok || r.type !== 'payments.initiated') throw new Error(`${c.kind} was refused`);
      expect(Object.getPrototypeOf(r.data)).toBe(Object.prototype);
      expect(Object.getPrototypeOf(r.envelope)).toBe(Object.prototype);
      expect((r.data as unknown as Record<string, unknown>).isAdmin).toBeUndefined();
      expect(r.data.amount).toBe(paymentInitiatedV1.example.amount);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });

  it('names unknown keys without echoing unbounded or unprintable input', () => {
    const e = base(0);
    const key = `k\u0000\u202E${'x'.repeat(100_000)}`;
    const r = parseEvent(JSON.stringify({ ...e, data: { ...e.data, [key]: 1 } }));
    expect(r).toMatchObject({ ok: false, code: 'CONTRACT_VIOLATION' });
    if (r.ok) return;
    expect(r.message.length).toBeLessThanOrEqual(512);
    expect(r.path!.length).toBeLessThanOrEqual(256);
    expect(r.path!.startsWith('data.k\\u0000\\u202exxx')).toBe(true);
    expect(PRINTABLE.test(r.message)).toBe(true);
  });

  it('does not copy raw input into NOT_JSON reasons (it may be personal data)', () => {
    const r = parseEvent('{"userId": alice.smith@example.com}');
    expect(r).toMatchObject({ ok: false, code: 'NOT_JSON' });
    if (!r.ok) expect(r.message).not.toContain('alice');
  });
});
