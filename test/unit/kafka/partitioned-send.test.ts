import { Partitioners, type Kafka, type PartitionMetadata } from 'kafkajs';
import { PartitionRouter, unacknowledged, withPartitions } from '../../../src/kafka/partitioned-send';

const partitionsOf = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({ partitionId, leader: 1 + (partitionId % 3), partitionErrorCode: 0, replicas: [1, 2, 3], isr: [1, 2, 3] }));

/**
 * An admin client whose topics have the given partition counts; counts the metadata requests. Answers the first
 * `unsettled` requests as a broker that does not know the topics yet (kafkajs: UNKNOWN_TOPIC_OR_PARTITION, retriable).
 */
function kafkaWith(counts: Record<string, number>, options: { unsettled?: number; refuse?: Error } = {}) {
  const fetched: string[][] = [];
  let unsettled = options.unsettled ?? 0;
  const kafka = {
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicMetadata: async ({ topics }: { topics: string[] }) => {
        fetched.push(topics);
        if (options.refuse) throw options.refuse;
        if (unsettled-- > 0) throw Object.assign(new Error('This server does not host this topic-partition'), { retriable: true });
        return { topics: topics.map((name) => ({ name, partitions: partitionsOf(counts[name] ?? 0) })) };
      },
    }),
  } as unknown as Pick<Kafka, 'admin'>;
  return { kafka, fetched, counts };
}

describe('PartitionRouter', () => {
  it('puts a key on the partition kafkajs (and the Java client) would', async () => {
    const { kafka } = kafkaWith({ payments: 6 });
    const route = await new PartitionRouter(kafka).routeFor(['payments']);
    const kafkajs = Partitioners.DefaultPartitioner();
    for (const key of ['user-1', 'user-2', 'user-42', 'ü-unicode']) {
      const expected = kafkajs({ topic: 'payments', partitionMetadata: partitionsOf(6), message: { key, value: null } });
      expect(route('payments', { key, value: null })).toBe(expected);
    }
  });

  it('fetches a topic once, again when its metadata is older than maxAgeMs or forgotten, and names a topic it cannot route', async () => {
    const { kafka, fetched, counts } = kafkaWith({ a: 2, b: 3 });
    const router = new PartitionRouter(kafka, 50);
    await router.routeFor(['a', 'b', 'a']);
    await router.routeFor(['a']);
    expect(fetched).toEqual([['a', 'b']]);
    counts.a = 4; // partitions added
    await new Promise((r) => setTimeout(r, 60));
    const route = await router.routeFor(['a']);
    expect(fetched).toEqual([['a', 'b'], ['a']]);
    const placed = new Set(Array.from({ length: 200 }, (_, i) => route('a', { key: `k${i}`, value: null })));
    expect([...placed].sort()).toEqual([0, 1, 2, 3]);
    router.forget();
    await router.routeFor(['b']);
    expect(fetched).toHaveLength(3);
    expect(() => route('c', { key: 'k', value: null })).toThrow('no partitions known for topic c');
  });
});

describe('PartitionRouter while brokers catch up', () => {
  it('retries what a broker answers about a topic created a moment ago, and names a topic it cannot learn', async () => {
    const settling = kafkaWith({ fresh: 3 }, { unsettled: 2 });
    const route = await new PartitionRouter(settling.kafka).routeFor(['fresh']);
    expect(settling.fetched).toHaveLength(3);
    expect(route('fresh', { key: 'k', value: null })).toBeLessThan(3);

    const refused = kafkaWith({}, { refuse: new Error('Not authorized to access topics') });
    await expect(new PartitionRouter(refused.kafka).routeFor(['secret'])).rejects.toThrow('no partition metadata for secret: Not authorized to access topics');
    expect(refused.fetched).toHaveLength(1); // not retriable: no second try
  });
});

describe('unacknowledged', () => {
  it('keeps, in order, the messages of every topic-partition the acknowledgement lacks', () => {
    const sent = withPartitions(
      [
        { topic: 'a', messages: [{ key: '0', value: 'a0' }, { key: '1', value: 'a1' }, { key: '2', value: 'a2' }] },
        { topic: 'b', messages: [{ key: '1', value: 'b1' }] },
      ],
      (_topic, m) => Number(m.key) % 2,
    );
    const missing = unacknowledged(sent, [
      { topicName: 'a', partition: 1, errorCode: 0 },
      { topicName: 'b', partition: 0, errorCode: 0 }, // the other topic's partition 1 is not acknowledged
    ]);
    expect(missing.map((b) => [b.topic, b.messages.map((m) => m.value)])).toEqual([
      ['a', ['a0', 'a2']],
      ['b', ['b1']],
    ]);
    expect(unacknowledged(sent, [0, 1].flatMap((partition) => ['a', 'b'].map((topicName) => ({ topicName, partition, errorCode: 0 }))))).toEqual([]);
  });
});
