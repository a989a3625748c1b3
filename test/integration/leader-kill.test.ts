// A three-broker KRaft cluster of its own (the rehearsal's topology, without Temporal): records sent while partition
// leaders are killed with SIGKILL are all on the topic once the sends were acknowledged, through mainspring's producer
// path (src/kafka/partitioned-send.ts). kafkajs's own producer.send lost records so (6 of 21,948 over three kills):
// this fails if the check on its acknowledgements goes. (The outbox relay's transactions use the same check; the
// rehearsal kills a leader under them.)
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { localKafkaCluster, type LocalKafka } from '../../stack/kafka';
import { stackPaths, toolPaths } from '../../stack/paths';
import { readPid, sleep } from '../../stack/processes';
import { whileKafkaSettles } from '../../src/kafka/client';
import { connectProducer, sendRecords } from '../../src/kafka/producer';
import { eventually } from '../helpers/wait';

const PARTITIONS = 6;
/** Each kill lost records in about half of the runs without the check: five make a miss unlikely. */
const KILLS = 5;
const home = mkdtempSync(join(tmpdir(), 'mainspring-leader-kill-'));
const paths = stackPaths(home);
let brokers: LocalKafka[] = [];
let kafka: Kafka;
let admin: Admin;
let producer: Producer | undefined;

beforeAll(async () => {
  brokers = await localKafkaCluster({ size: 3, libs: toolPaths().kafkaLibs, paths, partitions: PARTITIONS, heap: '384m', startTimeoutMs: 120_000 });
  await Promise.all(brokers.map((b) => b.start(() => undefined)));
  kafka = new Kafka({ clientId: 'leader-kill-test', brokers: brokers.flatMap((b) => b.brokers), logLevel: logLevel.NOTHING });
  admin = kafka.admin();
  await admin.connect();
}, 240_000);

afterAll(async () => {
  await producer?.disconnect().catch(() => undefined);
  await admin?.disconnect().catch(() => undefined);
  await Promise.all(brokers.map((b) => b.stop().catch(() => undefined)));
  rmSync(home, { recursive: true, force: true });
});

async function createTopic(topic: string): Promise<void> {
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS, replicationFactor: 3, configEntries: [{ name: 'min.insync.replicas', value: '2' }] }], waitForLeaders: true });
}

async function recordsOn(topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((n, o) => n + Number(o.high) - Number(o.low), 0);
}

/** The partition's leader, as soon as the broker asked knows it (right after a restart it may not yet). */
async function leaderOf(topic: string, partition: number): Promise<number | undefined> {
  const meta = await whileKafkaSettles(() => admin.fetchTopicMetadata({ topics: [topic] }), { timeoutMs: 5_000 });
  return meta.topics[0].partitions.find((p) => p.partitionId === partition)?.leader;
}

/** kill -9 the leader of the topic's partition 0, wait for its partitions to move, start it again. */
async function killLeader(topic: string): Promise<void> {
  const leader = await leaderOf(topic, 0);
  const victim = brokers.find((b) => b.name === `kafka-${leader}`);
  const pid = victim && readPid(paths.pid(victim.name));
  if (!victim || pid === undefined) throw new Error(`no running leader for ${topic}/0 (leader ${leader})`);
  process.kill(-pid, 'SIGKILL');
  await sleep(5_000);
  await victim.start(() => undefined);
}

it('acknowledged sends of multi-partition batches are all on the topic after five partition-leader kills', async () => {
  const topic = 'leader-kill.records';
  await createTopic(topic);
  producer = await connectProducer(kafka);
  let acknowledged = 0;
  let sending = true;
  const load = (async () => {
    for (let batch = 0; sending; batch++) {
      // 12 keys a batch: every send spans all six partitions, so all three brokers.
      const messages = Array.from({ length: 12 }, (_, i) => ({ key: `k${batch}-${i}`, value: `${batch}:${i}` }));
      await sendRecords(producer!, topic, messages);
      acknowledged += messages.length;
    }
  })();
  for (let kill = 0; kill < KILLS; kill++) {
    await sleep(1_500);
    const before = acknowledged;
    await killLeader(topic);
    // Each kill lands on a load in progress: sends go on being acknowledged after the broker is back.
    await eventually(async () => acknowledged, (n) => n > before + 24, { timeoutMs: 90_000, what: `sends acknowledged after kill ${kill + 1}` });
  }
  sending = false;
  await load;
  expect(await recordsOn(topic)).toBe(acknowledged);
}, 300_000);
