// Bad input through the real bridge: a few hundred fuzzed records (random bytes, huge and 100k-deep JSON, wrong
// types, unicode edge cases, missing keys) mixed with valid events. The consumer keeps running, every bad record
// is in the DLQ with the reason parseEvent gives, every valid event got its workflow, and every offset is committed.
// FUZZ_SEED=<n> reproduces a run; the seed is printed.
import { createHash } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import type { Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { createEvent, parseEvent, paymentInitiatedV1 } from '../../schemas';
import { Bridge, DLQ_VALUE_OMITTED_HEADER } from '../../src/kafka/bridge';
import { readDeadLetter } from '../../src/kafka/dlq';
import { productRoutes } from '../../workers/product-routes';
import type { StartRoute } from '../../src/kafka/routes';
import { dlqTopic } from '../../src/kafka/topics';
import { createLogger } from '../../src/observability/logger';
import { committedOffsets, createTopics, deleteTopics, readTopic, testKafka } from '../helpers/kafka';
import { testStackEnv, uniqueName } from '../helpers/stack-env';
import { eventually } from '../helpers/wait';
import { buildCorpus, matches, type BaseEvent, type FuzzCase } from '../unit/fuzz/corpus';

const stackEnv = testStackEnv();
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const SEED = Number(process.env.FUZZ_SEED ?? 7_331);
const run = uniqueName('fz');
const digest = (key: Buffer | null, value: Buffer | null) => createHash('sha256').update(key ?? Buffer.from('<null>')).update('|').update(value ?? Buffer.alloc(0)).digest('hex');

const base: BaseEvent = (i) =>
  createEvent(paymentInitiatedV1, {
    source: 'urn:it-fuzz',
    id: `${run}-${i}`,
    data: { ...paymentInitiatedV1.example, paymentId: `pay-${run}-${i}`, userId: `user-${i % 23}`, newDevice: false, channel: 'web', eventTime: new Date().toISOString() },
  });

/** What the bridge must decide, computed independently of it: the key check, then parseEvent. */
function expectedVerdict(c: FuzzCase): { ok: true; workflowId: string } | { ok: false; code: string } {
  if (c.key === null || c.key.length === 0) return { ok: false, code: 'MISSING_KEY' };
  const r = parseEvent(c.value);
  return r.ok ? { ok: true, workflowId: `payment-${r.envelope.id}` } : { ok: false, code: r.code };
}

describe(`bridge under fuzzed input (seed ${SEED})`, () => {
  const topic = uniqueName('it-fuzz-payments');
  const taskQueue = uniqueName('it-fuzz');
  const groupId = uniqueName('it-fuzz-bridge');
  let kafka: Kafka;
  let producer: Producer;
  let connection: Connection;
  let temporal: Client;
  let bridge: Bridge;
  const metrics = new Registry();

  beforeAll(async () => {
    kafka = testKafka();
    await createTopics(kafka, [topic, dlqTopic(topic)], 3);
    producer = kafka.producer();
    await producer.connect();
    connection = await Connection.connect({ address: stackEnv.temporalAddress });
    temporal = new Client({ connection, namespace: stackEnv.temporalNamespace });
    // The product route (search attributes, summary) on this file's topic; no worker: the bridge's job ends at acceptance.
    const route = { ...(productRoutes({ piiHashKey: 'fuzz-pii-key-0123456789' })[0] as StartRoute), topic, taskQueue };
    bridge = new Bridge({ kafka, temporal, producer, routes: [route], logger, metrics }, { groupId });
    await bridge.start();
  });

  afterAll(async () => {
    await bridge?.stop();
    await producer?.disconnect();
    if (temporal) {
      for await (const wf of temporal.workflow.list({ query: `TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'` })) {
        await temporal.workflow.getHandle(wf.workflowId).terminate('test cleanup').catch(() => undefined);
      }
    }
    await connection?.close();
    if (kafka) await deleteTopics(kafka, [topic, dlqTopic(topic)]).catch(() => undefined);
  });

  async function fullyCommitted(): Promise<boolean> {
    const admin = kafka.admin();
    await admin.connect();
    try {
      const ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
      const committed = await committedOffsets(kafka, groupId, topic);
      return [...ends].every(([p, end]) => end === 0n || committed.get(p) === end);
    } finally {
      await admin.disconnect();
    }
  }

  it('dead-letters every bad record with its reason, starts every valid event, loses nothing and keeps consuming', async () => {
    process.stderr.write(`[bridge-fuzz it] seed ${SEED} (FUZZ_SEED=${SEED} reproduces)\n`);
    const corpus = buildCorpus({ seed: SEED, randomCases: 250, base, maxDeepCases: 6 });
    // Valid traffic around the garbage, with same-key bursts.
    const valid: FuzzCase[] = Array.from({ length: 60 }, (_, i) => {
      const e = base(10_000 + i);
      return { kind: 'valid', key: Buffer.from(e.subject), value: Buffer.from(JSON.stringify(e)), expect: 'valid' };
    });
    const all = [...corpus];
    valid.forEach((v, i) => all.splice(Math.min(all.length, i * 5), 0, v));
    const verdicts = all.map((c) => ({ c, v: expectedVerdict(c) }));
    // The local verdicts agree with the corpus expectations (else the corpus, not the bridge, is wrong).
    expect(verdicts.filter(({ c, v }) => !matches(c.expect, v.ok ? { ok: true } : { ok: false, code: v.code })).map(({ c }) => c.kind)).toEqual([]);
    const bad = verdicts.filter((x) => !x.v.ok);
    const good = verdicts.filter((x) => x.v.ok).map((x) => (x.v as { workflowId: string }).workflowId);
    expect(bad.length).toBeGreaterThan(200);
    expect(new Set(good).size).toBe(good.length);

    for (let i = 0; i < all.length; i += 25) {
      await producer.send({ topic, acks: -1, messages: all.slice(i, i + 25).map((c) => ({ key: c.key, value: c.value })) });
    }

    // Every bad record lands in the DLQ: the original key and bytes, the reason parseEvent gives.
    const dead = await readTopic(kafka, dlqTopic(topic), bad.length, 120_000);
    expect(dead).toHaveLength(bad.length);
    const expectedCodes = new Map<string, string[]>();
    for (const { c, v } of bad) {
      const d = digest(c.key, c.value);
      expectedCodes.set(d, [...(expectedCodes.get(d) ?? []), (v as { code: string }).code]);
    }
    const mismatches: string[] = [];
    for (const m of dead) {
      const letter = readDeadLetter(m);
      const codes = expectedCodes.get(digest(m.key, m.value));
      if (!letter || !codes) {
        mismatches.push(`unexpected DLQ record at ${m.offset}: ${letter?.code}`);
        continue;
      }
      const at = codes.indexOf(letter.code);
      if (at < 0) mismatches.push(`DLQ record has ${letter.code}, expected ${codes.join('/')}`);
      else codes.splice(at, 1);
      if (letter.message.length === 0 || letter.origin.topic !== topic) mismatches.push(`DLQ record ${m.offset} lacks its reason or origin`);
    }
    expect(mismatches).toEqual([]);
    expect([...expectedCodes.values()].flat()).toEqual([]);

    // Every valid event got its workflow, and every offset was committed (nothing stuck behind a bad record).
    await eventually(() => fullyCommitted(), Boolean, { timeoutMs: 120_000, what: 'all offsets committed' });
    const missing = (
      await Promise.all(good.map((id) => temporal.workflow.getHandle(id).describe().then(() => undefined, () => id)))
    ).filter((id): id is string => id !== undefined);
    expect(missing).toEqual([]);
    const dlqTotal = (await metrics.getSingleMetric('mainspring_bridge_dlq_total')?.get())?.values.reduce((s, v) => s + v.value, 0);
    expect(dlqTotal).toBe(bad.length);

    // Still consuming: one more event after the storm gets its workflow.
    const after = base(99_999);
    await producer.send({ topic, acks: -1, messages: [{ key: after.subject, value: JSON.stringify(after) }] });
    await eventually(() => temporal.workflow.getHandle(`payment-${after.id}`).describe().then(() => true, () => false), Boolean, { timeoutMs: 60_000, what: 'workflow of the event after the fuzz' });
    process.stderr.write(`[bridge-fuzz it] ${all.length} records: ${bad.length} dead-lettered, ${good.length} started, 0 lost\n`);
  });

  it('dead-letters a record as large as the broker accepts: when record + headers exceed the DLQ topic, reason and origin are kept, the value omitted', async () => {
    const own = uniqueName('it-fuzz-big');
    const dlq = dlqTopic(own);
    // Both with the broker's default size limit: the DLQ copy (original + headers) cannot fit.
    await createTopics(kafka, [own, dlq], 1);
    const route = { ...(productRoutes({ piiHashKey: 'fuzz-pii-key-0123456789' })[0] as StartRoute), topic: own, taskQueue };
    // Own producer: kafkajs keeps refreshing metadata of every topic a producer ever sent to, deleted ones included.
    const bigProducer = kafka.producer();
    await bigProducer.connect();
    const big = new Bridge({ kafka, temporal, producer: bigProducer, routes: [route], logger, metrics: new Registry() }, { groupId: uniqueName('it-fuzz-big') });
    try {
      const event = base(77_777);
      const text = JSON.stringify(event);
      // The largest value the broker takes on the origin topic: start at its default limit and step down.
      let value = '';
      for (let candidate = 1_048_588; candidate > 1_040_000 && value === ''; candidate -= 64) {
        const attempt = `{"pad":"${'x'.repeat(candidate - text.length - 9)}",${text.slice(1)}`;
        try {
          await bigProducer.send({ topic: own, acks: -1, messages: [{ key: event.subject, value: attempt }] });
          value = attempt;
        } catch (err) {
          if ((err as { type?: string }).type !== 'MESSAGE_TOO_LARGE') throw err;
        }
      }
      expect(value.length).toBeGreaterThan(1_040_000);
      const after = base(88_888);
      await bigProducer.send({ topic: own, acks: -1, messages: [{ key: after.subject, value: JSON.stringify(after) }] });
      await big.start();

      const [dead] = await readTopic(kafka, dlq, 1, 60_000);
      const letter = readDeadLetter(dead)!;
      expect(letter).toMatchObject({ code: 'TOO_LARGE', origin: { topic: own, partition: 0, offset: '0' } });
      expect(dead.value).toBeNull();
      expect(dead.headers?.[DLQ_VALUE_OMITTED_HEADER]?.toString()).toBe(String(Buffer.byteLength(value)));
      expect(letter.message).toMatch(/value of \d+ bytes omitted \(too large for the DLQ topic\): read it at the origin offset/);
      // The partition was not blocked: the event behind it got its workflow.
      await eventually(() => temporal.workflow.getHandle(`payment-${after.id}`).describe().then(() => true, () => false), Boolean, { timeoutMs: 60_000, what: 'workflow of the event behind the big record' });
    } finally {
      await big.stop();
      await bigProducer.disconnect();
      await deleteTopics(kafka, [own, dlq]).catch(() => undefined);
    }
  });
});
