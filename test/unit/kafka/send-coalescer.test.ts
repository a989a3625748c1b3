import type { Producer, TopicMessages } from 'kafkajs';
import { SendCoalescer } from '../../../src/kafka/producer';

/** A producer that records each produce request and acknowledges it when the test says so. */
function recordingProducer() {
  const requests: Array<{ topics: TopicMessages[]; ack: () => void; fail: (err: Error) => void }> = [];
  const producer: Pick<Producer, 'sendBatch'> = {
    sendBatch: ({ topicMessages }) =>
      new Promise((resolve, reject) => {
        requests.push({ topics: topicMessages ?? [], ack: () => resolve([]), fail: reject });
      }),
  };
  return { producer, requests };
}

const msg = (key: string) => ({ key, value: `v-${key}` });
const keysOf = (topics: TopicMessages[]) => topics.map((t) => `${t.topic}:${t.messages.map((m) => String(m.key)).join(',')}`);
const turn = () => new Promise((r) => setImmediate(r));

describe('SendCoalescer', () => {
  it('sends what was sent in one turn as one request, grouped by topic in the order sent', async () => {
    const { producer, requests } = recordingProducer();
    const coalescer = new SendCoalescer(producer);
    const sends = [coalescer.send('a', [msg('1')]), coalescer.send('b', [msg('2')]), coalescer.send('a', [msg('3'), msg('4')])];
    await turn();
    expect(requests).toHaveLength(1);
    expect(keysOf(requests[0].topics)).toEqual(['a:1,3,4', 'b:2']);
    requests[0].ack();
    await expect(Promise.all(sends)).resolves.toHaveLength(3);
  });

  it('holds sends made while a request is in flight and sends them together once it is acknowledged', async () => {
    const { producer, requests } = recordingProducer();
    const coalescer = new SendCoalescer(producer);
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
    const coalescer = new SendCoalescer(producer);
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
});
