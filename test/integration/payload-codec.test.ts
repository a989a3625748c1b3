// Payload encryption on the real stack: Kafka → bridge (client with the codec) → Temporal → worker with the codec.
// The history as the server stores it holds no cleartext payment data; the codec server gives it back as the UI
// would ask for it.
import { randomBytes, randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultPayloadConverter, type Payload } from '@temporalio/common';
import { NativeConnection, Worker } from '@temporalio/worker';
import { eq } from 'drizzle-orm';
import type { Kafka, Producer } from 'kafkajs';
import { Registry } from 'prom-client';
import { createActivities } from '../../activities';
import { createEvent, paymentInitiatedV1 } from '../../schemas';
import { createDb, type DbHandle } from '../../src/db/client';
import { decision, userRiskProfile } from '../../src/db/schema';
import { Bridge } from '../../src/kafka/bridge';
import { connectProducer } from '../../src/kafka/producer';
import { exportOnnx } from '../../src/model/onnx-export';
import { ModelRuntime } from '../../src/model/runtime';
import { generateTrainingSet } from '../../src/model/synthetic';
import { trainLogisticRegression } from '../../src/model/train';
import { createLogger } from '../../src/observability/logger';
import { startCodecServer } from '../../src/security/codec-server';
import { ENCRYPTED_ENCODING, METADATA_KEY_ID, parseCodecKeys } from '../../src/security/payload-codec';
import { temporalDataConverter } from '../../src/temporal/client';
import { bundleWorkflows } from '../../workers/bundle-workflows';
import { createTopics, testKafka } from '../helpers/kafka';
import { closeRig, startTestOutbox, type TestOutbox, deleteSagaRows, INTEGRATION_PII_KEY, lowRiskProfile, sagaTestTopics, testPaymentRoute } from '../helpers/saga-rig';
import { testStackEnv, uniqueName } from '../helpers/stack-env';
import { eventually } from '../helpers/wait';

const stackEnv = testStackEnv();
const logger = createLogger(process.env.TEST_LOG_LEVEL ?? 'silent');
const converter = new DefaultPayloadConverter();
const UI = 'http://localhost:8233';

/** Every Payload-shaped object in a history with where it sits, except search attributes (indexed, never encrypted). */
function collectPayloads(node: unknown, at = 'history', out: Array<{ at: string; payload: Payload }> = [], strings: string[] = []): { payloads: Array<{ at: string; payload: Payload }>; strings: string[] } {
  if (node instanceof Uint8Array || node === null || node === undefined) return { payloads: out, strings };
  if (typeof node === 'string') strings.push(node);
  if (typeof node !== 'object') return { payloads: out, strings };
  if (Array.isArray(node)) {
    node.forEach((item, i) => collectPayloads(item, `${at}[${i}]`, out, strings));
    return { payloads: out, strings };
  }
  const record = node as Record<string, unknown>;
  if ('data' in record && record.data instanceof Uint8Array && 'metadata' in record) out.push({ at, payload: record as Payload });
  for (const [key, value] of Object.entries(record)) {
    if (key === 'searchAttributes') continue;
    collectPayloads(value, `${at}.${key}`, out, strings);
  }
  return { payloads: out, strings };
}

describe('payload codec on the real stack', () => {
  const { topics, all: allTopics } = sagaTestTopics('it-codec');
  const taskQueue = uniqueName('it-codec');
  const keys = parseCodecKeys(`it2:${randomBytes(32).toString('base64')},it1:${randomBytes(32).toString('base64')}`, 'test');
  const dataConverter = temporalDataConverter({ codec: { keys } });
  const userId = uniqueName('it-codec-user-CLEARTEXT');
  const paymentId = `pay-CLEARTEXT-${randomUUID()}`;
  const amount = 4321.77;
  let kafka: Kafka;
  let producer: Producer;
  let db: DbHandle;
  let outbox: TestOutbox | undefined;
  let models: ModelRuntime;
  let connection: Connection;
  let sealedClient: Client;
  let plainClient: Client;
  let nativeConnection: NativeConnection;
  let worker: Worker;
  let workerRun: Promise<void>;
  let bridge: Bridge;
  let codecServer: Awaited<ReturnType<typeof startCodecServer>>;
  let workflowId = '';

  beforeAll(async () => {
    kafka = testKafka();
    await createTopics(kafka, allTopics, 1);
    [producer, connection, nativeConnection] = await Promise.all([
      connectProducer(kafka),
      Connection.connect({ address: stackEnv.temporalAddress }),
      NativeConnection.connect({ address: stackEnv.temporalAddress }),
    ]);
    sealedClient = new Client({ connection, namespace: stackEnv.temporalNamespace, dataConverter });
    plainClient = new Client({ connection, namespace: stackEnv.temporalNamespace });
    db = createDb(stackEnv.databaseUrl, { max: 4 });
    outbox = startTestOutbox(kafka, stackEnv.databaseUrl);
    await db.db.insert(userRiskProfile).values(lowRiskProfile(userId));
    models = new ModelRuntime({ modelName: 'fraud' });
    const set = generateTrainingSet({ rows: 4_000, seed: 31 });
    const artifact = exportOnnx(trainLogisticRegression(set.X, set.y), { modelName: 'fraud', modelVersion: 'fraud-codec-1' });
    await models.setChampion('fraud-codec-1', artifact.bytes, artifact.sha256);
    const activities = createActivities({ db: db.db, models, piiHashKey: INTEGRATION_PII_KEY, topics, logger });
    worker = await Worker.create({ connection: nativeConnection, namespace: stackEnv.temporalNamespace, taskQueue, workflowBundle: await bundleWorkflows(), activities, dataConverter });
    workerRun = worker.run();
    bridge = new Bridge({ kafka, temporal: sealedClient, producer, routes: [testPaymentRoute(topics.initiated, taskQueue)], logger, metrics: new Registry() }, { groupId: uniqueName('it-codec-bridge') });
    await bridge.start();
    codecServer = await startCodecServer({ codec: dataConverter!.payloadCodecs![0], corsOrigins: [UI], authToken: 'ui-token', port: 0 });
  });

  afterAll(async () => {
    await bridge?.stop();
    if (workflowId) await plainClient.workflow.getHandle(workflowId).terminate('test cleanup').catch(() => undefined);
    worker?.shutdown();
    await workerRun?.catch(() => undefined);
    await codecServer?.close();
    if (db) {
      await deleteSagaRows(db.db, { payments: [paymentId], users: [userId], workflows: [workflowId] });
      await db.close();
    }
    await closeRig({ outbox, producer, models, nativeConnections: [nativeConnection], connection, kafka, topics: allTopics });
  });

  it('stores only ciphertext in the history, the codec server decodes it for the UI, and the codec worker completes the saga', async () => {
    const event = createEvent(paymentInitiatedV1, {
      source: 'urn:it-codec',
      data: { paymentId, userId, merchantId: 'merch-CLEARTEXT', amount, currency: 'EUR', country: 'DE', merchantCategory: 'grocery', deviceId: 'dev-home', eventTime: new Date().toISOString() },
    });
    workflowId = `payment-${event.id}`;
    await producer.send({ topic: topics.initiated, acks: -1, messages: [{ key: event.subject, value: JSON.stringify(event) }] });

    // The worker with the codec runs the saga to its end (approve path) and records the decision.
    const row = await eventually(async () => (await db.db.select().from(decision).where(eq(decision.paymentId, paymentId)))[0], (r) => r?.status === 'approved', {
      timeoutMs: 90_000,
      what: 'decision recorded',
    });
    expect(row).toMatchObject({ decision: 'APPROVE', workflowId, modelVersion: 'fraud-codec-1' });
    const result = (await sealedClient.workflow.getHandle(workflowId).result()) as { decision?: string };
    expect(result).toMatchObject({ decision: 'APPROVE' });

    // The history as any client without the keys gets it (the server's view).
    const history = await plainClient.workflow.getHandle(workflowId).fetchHistory();
    const { payloads: found, strings } = collectPayloads(history);
    const payloads = found.map((f) => f.payload);
    expect(payloads.length).toBeGreaterThan(10); // input, activity inputs/results, memo, summaries, result
    const encodingOf = (p: Payload) => Buffer.from(p.metadata?.encoding ?? new Uint8Array()).toString();
    // Listed with their place in the history, so a failure shows what leaked.
    // Exception: what the SDK core writes into markers itself never passes a codec — the local-activity marker's
    // `data` (seq, attempt, activity type, times; the activity's result beside it is encrypted) and a patch marker's
    // `patch-data` (the patch id). The secrets check below covers them too.
    const coreMarker = (at: string) => /markerRecordedEventAttributes\.details\.(data|patch-data)\.payloads\[\d+\]$/.test(at);
    const clear = found.filter((f) => encodingOf(f.payload) !== ENCRYPTED_ENCODING && !coreMarker(f.at)).map((f) => `${f.at.replace(/^history\.events/, '')}: ${Buffer.from(f.payload.data!).toString().slice(0, 80)}`);
    expect(clear).toEqual([]);
    expect(new Set(found.filter((f) => !coreMarker(f.at)).map((f) => Buffer.from(f.payload.metadata![METADATA_KEY_ID]!).toString()))).toEqual(new Set(['it2']));
    const secrets = [paymentId, userId, 'merch-CLEARTEXT', String(amount), 'CLEARTEXT'];
    for (const p of payloads) for (const s of secrets) expect(Buffer.from(p.data!).includes(s)).toBe(false);
    for (const s of secrets) expect(strings.filter((x) => x.includes(s))).toEqual([]);

    // The Temporal UI's call: POST /decode with the token, X-Namespace and its origin.
    const started = history.events!.find((e) => e.workflowExecutionStartedEventAttributes)!.workflowExecutionStartedEventAttributes!;
    const input = started.input!.payloads!;
    const body = { payloads: input.map((p) => ({ metadata: Object.fromEntries(Object.entries(p.metadata!).map(([k, v]) => [k, Buffer.from(v!).toString('base64')])), data: Buffer.from(p.data!).toString('base64') })) };
    const unauthorized = await fetch(`${codecServer.url}/decode`, { method: 'POST', headers: { 'Content-Type': 'application/json', Origin: UI }, body: JSON.stringify(body) });
    expect(unauthorized.status).toBe(401);
    const res = await fetch(`${codecServer.url}/decode`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Origin: UI, 'X-Namespace': stackEnv.temporalNamespace, Authorization: 'Bearer ui-token' },
      body: JSON.stringify(body),
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(UI);
    const decoded = ((await res.json()) as { payloads: Array<{ metadata: Record<string, string>; data: string }> }).payloads;
    expect(Buffer.from(decoded[0].metadata.encoding, 'base64').toString()).toBe('json/plain');
    const original = converter.fromPayload<{ envelope: { id: string; data: Record<string, unknown> } }>({
      metadata: Object.fromEntries(Object.entries(decoded[0].metadata).map(([k, v]) => [k, Buffer.from(v, 'base64')])),
      data: Buffer.from(decoded[0].data, 'base64'),
    });
    expect(original.envelope.id).toBe(event.id);
    expect(original.envelope.data).toMatchObject({ paymentId, userId, amount, merchantId: 'merch-CLEARTEXT' });
  });
});
