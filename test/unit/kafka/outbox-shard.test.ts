import { lastBatchOf, OUTBOX_TXN_HEADER, progressMessages, progressTopicOf, requestsByPartition, takeoverMessages, reconcileAttempted, shardOf, transactionMessages, type OutboxRow } from '../../../src/kafka/outbox/shard';
import { withPartitions } from '../../../src/kafka/partitioned-send';

const row = (id: number, topic: string, key: string | null = `k${id}`): OutboxRow => ({ id, eventId: `e${id}`, topic, key, value: Buffer.from(`v${id}`), headers: { h: String(id) } });

describe('shardOf', () => {
  it('is stable FNV-1a mod the shard count: rows queued by an earlier version keep their shard', () => {
    // FNV-1a 32 of "user-1" is 0xf5537974 (4115888500).
    expect(shardOf('user-1', 2 ** 32)).toBe(0xf5537974);
    expect(shardOf('user-1', 7)).toBe(4115888500 % 7);
    expect(shardOf('', 4)).toBe(0x811c9dc5 % 4);
    expect(shardOf(null, 4)).toBe(0);
  });

  it('spreads keys over every shard and keeps one key on one shard', () => {
    const counts = [0, 0, 0, 0];
    for (let i = 0; i < 4000; i++) counts[shardOf(`user-${i}`, 4)]++;
    for (const c of counts) expect(c).toBeGreaterThan(800);
    expect(new Set(Array.from({ length: 5 }, () => shardOf('user-42', 4))).size).toBe(1);
  });

  it('refuses a shard count that is not a positive integer', () => {
    expect(() => shardOf('k', 0)).toThrow(RangeError);
    expect(() => shardOf('k', 1.5)).toThrow(RangeError);
  });
});

describe('transactionMessages', () => {
  it('groups by topic in row order, whatever order the claim returned', () => {
    const batch = transactionMessages([row(3, 'b'), row(1, 'a'), row(2, 'b'), row(4, 'a', null)]);
    expect(batch.map((t) => [t.topic, t.messages.map((m) => String(m.value))])).toEqual([
      ['a', ['v1', 'v4']],
      ['b', ['v2', 'v3']],
    ]);
    expect(batch[0].messages[1]).toEqual({ key: null, value: Buffer.from('v4'), headers: { h: '4' } });
  });

  it('names the transaction on every record when told (which relay term wrote a copy), keeping the row headers', () => {
    const [topic] = transactionMessages([row(1, 'a'), row(2, 'a')], 'mainspring-outbox-0:14:9f3c');
    expect(topic.messages.map((m) => m.headers)).toEqual([
      { h: '1', [OUTBOX_TXN_HEADER]: 'mainspring-outbox-0:14:9f3c' },
      { h: '2', [OUTBOX_TXN_HEADER]: 'mainspring-outbox-0:14:9f3c' },
    ]);
  });
});

describe('reconcileAttempted', () => {
  it('marks rows of committed batches sent and publishes the others again', () => {
    const rows = [
      { id: 1, batch: 6 },
      { id: 2, batch: 7 },
      { id: 3, batch: 8 },
      { id: 4, batch: null },
    ];
    expect(reconcileAttempted(rows, 7)).toEqual({ sent: [1, 2], resend: [3, 4] });
    expect(reconcileAttempted(rows, -1)).toEqual({ sent: [], resend: [1, 2, 3, 4] });
  });
});

describe('progress records', () => {
  it('go to the shard\'s own one-partition topic, keyed by the shard, the batch number as the value', () => {
    expect(progressTopicOf('mainspring-outbox-3')).toBe('mainspring-outbox-3.progress');
    expect(progressMessages('mainspring-outbox-3', 3, 41)).toEqual({ topic: 'mainspring-outbox-3.progress', messages: [{ key: '3:batch', value: '41' }] });
    expect(takeoverMessages('t', 3, 'x')).toEqual({ topic: 't', messages: [{ key: '3:takeover', value: 'takeover:x' }] });
  });

  it('read back as the highest committed batch number, -1 when none', () => {
    expect(lastBatchOf([])).toBe(-1);
    expect(lastBatchOf([Buffer.from('12'), null, Buffer.from('40'), Buffer.from('39'), Buffer.from('x')])).toBe(40);
  });
});

describe('requestsByPartition', () => {
  it('makes one request per partition, each message with its partition set, in first-seen order', () => {
    const route = (_topic: string, message: { key?: string | Buffer | null }) => Number(String(message.key).slice(1)) % 3;
    const requests = requestsByPartition(
      withPartitions(
        [
          { topic: 'a', messages: [{ key: 'k1', value: '1' }, { key: 'k3', value: '3' }, { key: 'k4', value: '4' }, { key: 'k5', value: '5' }] },
          { topic: 'p', messages: [{ key: 'k0', value: 'batch' }] },
        ],
        route,
      ),
    );
    // k1 and k4 share partition 1; k5 is on partition 2: a request of its own, whichever broker leads it.
    expect(requests).toEqual([
      [{ topic: 'a', messages: [{ key: 'k1', value: '1', partition: 1 }, { key: 'k4', value: '4', partition: 1 }] }],
      [{ topic: 'a', messages: [{ key: 'k3', value: '3', partition: 0 }] }],
      [{ topic: 'a', messages: [{ key: 'k5', value: '5', partition: 2 }] }],
      [{ topic: 'p', messages: [{ key: 'k0', value: 'batch', partition: 0 }] }],
    ]);
  });
});
