import { ExitOnFatal } from '../../../cli/fatal';
import { ShutdownSequence } from '../../../src/lifecycle/shutdown';
import { createLogger } from '../../../src/observability/logger';

describe('ExitOnFatal', () => {
  it('on a component failing after start: one line naming it, the ordered shutdown once, then exit 1', async () => {
    const ran: string[] = [];
    const exits: number[] = [];
    const stderr = jest.spyOn(console, 'error').mockImplementation(() => undefined);
    const shutdown = new ShutdownSequence(createLogger('silent')).add('bridge', async () => void ran.push('bridge')).add('worker', async () => void ran.push('worker'));
    const fatal = new ExitOnFatal('The stack stays up.', (code) => exits.push(code)).attach(shutdown);
    fatal.onFatal("the bridge's Kafka consumer", new Error('The group is rebalancing'));
    fatal.onFatal('the worker of task queue "payments"', new Error('second failure'));
    await shutdown.run('wait');
    await new Promise((r) => setImmediate(r));
    expect(ran).toEqual(['bridge', 'worker']);
    expect(exits).toEqual([1]);
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(String(stderr.mock.calls[0]![0])).toMatch(/^mainspring: the bridge's Kafka consumer failed after start: The group is rebalancing\n.*exiting with code 1\. The stack stays up\.$/);
    stderr.mockRestore();
  });
});
