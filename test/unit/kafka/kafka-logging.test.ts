// kafkajs speaks through pino at the configured level: no raw kafkajs JSON, no v2 partitioner or EoS warning for our
// producer, and a fresh broker's start-up states at debug, not error.
import { Writable } from 'node:stream';
import type { Kafka, ProducerConfig } from 'kafkajs';
import pino from 'pino';
import { createEnvelope } from '../../../schemas';
import { createKafka } from '../../../src/kafka/client';
import { connectProducer, publishEvents, SendTimeoutError } from '../../../src/kafka/producer';

/** A pino logger whose lines the test reads. */
function capturingLogger(level = 'debug') {
  const lines: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  return { logger: pino({ level }, stream), lines };
}

const settings = { brokers: ['127.0.0.1:1'], clientId: 'logging-test', ssl: false };
const levelName = (n: unknown) => pino.levels.labels[n as number];

/** kafkajs' logger of a client, as its components get it (namespace, level, message, extra). */
function kafkajsLogger(kafka: Kafka) {
  return kafka.logger().namespace('Connection');
}

describe('kafkajs logging through pino', () => {
  it('keeps kafkajs levels, drops to debug what a fresh broker says while it starts, and writes nothing raw', async () => {
    const { logger, lines } = capturingLogger();
    const log = kafkajsLogger(createKafka(settings, { logger }));
    const raw = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    log.error('Response FindCoordinator(key: 10, version: 2)', { error: "The coordinator is loading and hence can't process requests for this group" });
    log.error('Response JoinGroup(key: 11, version: 5)', { error: 'The group coordinator is not available' });
    log.error('Response Metadata(key: 3, version: 6)', { error: 'There is no leader for this topic-partition as we are in the middle of a leadership election' });
    log.error('Response AddPartitionsToTxn(key: 24, version: 1)', { error: 'The producer attempted to update a transaction while another concurrent operation on the same transaction was ongoing' });
    log.error('Connection timeout', { broker: '127.0.0.1:1' });
    log.error('Restarting the consumer in 100ms', { retryTime: 100 });
    await new Promise((r) => setImmediate(r));
    expect(raw).not.toHaveBeenCalled();
    raw.mockRestore();
    expect(lines.map((l) => [levelName(l.level), l.msg])).toEqual([
      ['debug', '[Connection] Response FindCoordinator(key: 10, version: 2)'],
      ['debug', '[Connection] Response JoinGroup(key: 11, version: 5)'],
      ['debug', '[Connection] Response Metadata(key: 3, version: 6)'],
      ['debug', '[Connection] Response AddPartitionsToTxn(key: 24, version: 1)'],
      ['error', '[Connection] Connection timeout'],
      ['info', '[Connection] Restarting the consumer in 100ms'],
    ]);
    expect(lines[4]).toMatchObject({ lib: 'kafkajs', broker: '127.0.0.1:1' });
  });

  it('builds no kafkajs entry below the logger level', () => {
    const { logger, lines } = capturingLogger('warn');
    const log = kafkajsLogger(createKafka(settings, { logger }));
    log.info('Starting', {});
    log.debug('Request', {});
    log.warn('Something to know', {});
    expect(lines.map((l) => l.msg)).toEqual(['[Connection] Something to know']);
  });

  it('creates our idempotent producer without the partitioner or the EoS warning', async () => {
    // connectProducer's configuration, handed to a real kafkajs client (no broker needed to create a producer).
    let config: ProducerConfig | undefined;
    await connectProducer({ producer: (c: ProducerConfig) => ((config = c), { connect: async () => undefined }), logger: () => capturingLogger().logger } as unknown as Kafka);
    const { logger, lines } = capturingLogger();
    createKafka(settings, { logger }).producer(config);
    expect(lines.filter((l) => (l.level as number) >= 40)).toEqual([]);
    expect(config?.retry?.retries).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe('publishEvents: bounded waits on an unbounded producer', () => {
  it('stops waiting at the timeout; the send goes on and a retry joins it instead of sending a copy', async () => {
    const requests: Array<() => void> = [];
    const ack = [{ topicName: 't', partition: 0, errorCode: 0 }];
    const kafka = {
      producer: () => ({ connect: async () => undefined, sendBatch: () => new Promise((resolve) => requests.push(() => resolve(ack))) }),
      admin: () => ({ connect: async () => undefined, disconnect: async () => undefined, fetchTopicMetadata: async () => ({ topics: [{ name: 't', partitions: [{ partitionId: 0, leader: 1 }] }] }) }),
      logger: () => capturingLogger().logger,
    } as unknown as Kafka;
    const producer = await connectProducer(kafka);
    const envelope = createEnvelope({ type: 'payments.initiated', version: 1, source: 'urn:test', subject: 'user-1', data: { a: 1 } });
    await expect(publishEvents(producer, 't', [envelope], { timeoutMs: 50 })).rejects.toBeInstanceOf(SendTimeoutError);
    const retry = publishEvents(producer, 't', [envelope], { timeoutMs: 5_000 });
    await new Promise((r) => setTimeout(r, 20));
    expect(requests).toHaveLength(1);
    requests[0]!();
    await expect(retry).resolves.toBe('joined');
    expect(requests).toHaveLength(1);
  });
});
