import type { Producer, RecordMetadata, TopicMessages } from 'kafkajs';
import { SendCoalescer } from '../../../src/kafka/producer';
import type { Route } from '../../../src/kafka/partitioned-send';

/**
 * A producer that records each produce request and acknowledges it when the test says so: every partition the
 * request wrote to, or all but some (what kafkajs 2.2.4 does when a partition's leader moved mid-send).
 */
function recordingProducer() {
  const requests: Array<{ topics: TopicMessages[]; ack: (options?: { without?: string[] }) => void; fail: (err: Error) => void }> = [];
  const producer: Pick<Producer, 'sendBatch'> = {
    sendBatch: ({ topicMessages }) =>
      new Promise((resolve, reject) => {
        const topics = topicMessages ?? [];
        const ack = ({ without = [] }: { without?: string[] } = {}) => {
          const partitions = new Set(topics.flatMap((t) => t.messages.map((m) => `${t.topic}/${m.partition}`)));
          resolve(
            [...partitions]
              .filter((p) => !without.includes(p))
              .map((p): RecordMetadata => ({ topicName: p.split('/')[0], partition: Number(p.split('/')[1]), errorCode: 0 })),
          );
        };
        requests.push({ topics, ack, fail: reject });
      }),
  };
  return { producer, requests };
}

/** Two partitions per topic: even keys on 0, odd keys on 1. */
function router() {
  const calls = { forget: 0 };
  const route: Route = (_topic, message) => Number(message.key) % 2;
  return { calls, routeFor: async () => route, forget: () => void calls.forget++ };
}

const msg = (key: string) => ({ key, value: `v-${key}` });
const keysOf = (topics: TopicMessages[]) => topics.map((t) => `${t.topic}:${t.messages.map((m) => String(m.key)).join(',')}`);
const turn = () => new Promise((r) => setImmediate(r));

describe('SendCoalescer', () => {
  it('sends what was sent in one turn as one request, grouped by topic in the order sent', async () => {
    const { producer, requests } = recordingProducer();
    const coalescer = new SendCoalescer(producer, router());
    const sends = [coalescer.send('a', [msg('1')]), coalescer.send('b', [msg('2')]), coalescer.send('a', [msg('3'), msg('4')])];
    await turn();
    expect(requests).toHaveLength(1);
    expect(keysOf(requests[0].topics)).toEqual(['a:1,3,4', 'b:2']);
    requests[0].ack();
    await expect(Promise.all(sends)).resolves.toHaveLength(3);
  });

  it('holds sends made while a request is in flight and sends them together once it is acknowledged', async () => {
    const { producer, requests } = recordingProducer();
    const coalescer = new SendCoalescer(producer, router());
    const first = coalescer.send('a', [msg('1')]);
    await turn();
    const later = [coalescer.send('a', [msg('2')]), coalescer.send('a', [msg('3')])];
    await turn();
    expect(requests).toHaveLength(1); // one in flight at a time
    requests[0].ack();
    await first;
    await turn();
    expect(requests).toHaveLength(2);
    expect(keysOf(requests[1].topics)).toEqual(['a:2,3']);
    requests[1].ack();
    await Promise.all(later);
  });

  it('fails every send of a failed request, and later sends still go', async () => {
    const { producer, requests } = recordingProducer();
    const coalescer = new SendCoalescer(producer, router());
    const failed = [coalescer.send('a', [msg('1')]), coalescer.send('a', [msg('2')])];
    await turn();
    requests[0].fail(new Error('broker gone'));
    for (const f of failed) await expect(f).rejects.toThrow('broker gone');
    const next = coalescer.send('a', [msg('3')]);
    await turn();
    expect(requests).toHaveLength(2);
    expect(keysOf(requests[1].topics)).toEqual(['a:3']);
    requests[1].ack();
    await next;
  });

  it('sets each message its partition, as the router picks it', async () => {
    const { producer, requests } = recordingProducer();
    const coalescer = new SendCoalescer(producer, router());
    const sent = coalescer.send('a', [msg('1'), msg('2')]);
    await turn();
    expect(requests[0].topics[0].messages.map((m) => [m.key, m.partition])).toEqual([['1', 1], ['2', 0]]);
    requests[0].ack();
    await sent;
  });

  it('sends a partition the acknowledgement lacks again at once, with the same records, before later sends', async () => {
    const { producer, requests } = recordingProducer();
    const resent: number[] = [];
    const coalescer = new SendCoalescer(producer, router(), (missing, attempt) => resent.push(attempt, missing[0].messages.length));
    const first = coalescer.send('a', [msg('1'), msg('2'), msg('3')]);
    await turn();
    const later = coalescer.send('a', [msg('5')]);
    requests[0].ack({ without: ['a/1'] });
    await turn();
    expect(requests).toHaveLength(2);
    expect(keysOf(requests[1].topics)).toEqual(['a:1,3']); // only the lost partition, nothing of the later send
    expect(resent).toEqual([1, 2]);
    let settled = false;
    void first.then(() => (settled = true));
    await turn();
    expect(settled).toBe(false); // not acknowledged until every partition is
    requests[1].ack();
    await first;
    await turn();
    expect(keysOf(requests[2].topics)).toEqual(['a:5']);
    requests[2].ack();
    await later;
  });

  it('fails the sends when a partition stays unacknowledged, and routes afresh for the next request', async () => {
    const { producer, requests } = recordingProducer();
    const r = router();
    const coalescer = new SendCoalescer(producer, r);
    const sent = coalescer.send('a', [msg('1')]);
    for (let attempt = 0; attempt < 5; attempt++) {
      await turn();
      requests[attempt].ack({ without: ['a/1'] });
    }
    await expect(sent).rejects.toThrow('Kafka acknowledged the send without a [1]');
    expect(requests).toHaveLength(5);
    expect(r.calls.forget).toBe(1);
  });
});
