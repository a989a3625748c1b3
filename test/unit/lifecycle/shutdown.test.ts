import { ShutdownSequence } from '../../../src/lifecycle/shutdown';
import { createLogger } from '../../../src/observability/logger';

describe('ShutdownSequence', () => {
  it('runs steps once, in order, past a failing or hanging step', async () => {
    const ran: string[] = [];
    const shutdown = new ShutdownSequence(createLogger('silent'))
      .add('stop consuming', async () => void ran.push('stop consuming'))
      .add('drain', async () => {
        ran.push('drain');
        throw new Error('drain failed');
      })
      .add('hangs', () => new Promise<void>(() => ran.push('hangs')), 50)
      .add('close pool', async () => void ran.push('close pool'));
    await Promise.all([shutdown.run('test'), shutdown.run('again')]);
    expect(ran).toEqual(['stop consuming', 'drain', 'hangs', 'close pool']);
  });

  it('exits after the sequence on SIGTERM and at once on a second signal', async () => {
    const exits: number[] = [];
    let release!: () => void;
    const shutdown = new ShutdownSequence(createLogger('silent')).add('slow', () => new Promise<void>((r) => (release = r)));
    const remove = shutdown.exitOnSignals((code) => exits.push(code));
    try {
      process.emit('SIGTERM', 'SIGTERM');
      process.emit('SIGINT', 'SIGINT');
      expect(exits).toEqual([130]);
      release();
      await shutdown.run('wait');
      await new Promise((r) => setImmediate(r));
      expect(exits).toEqual([130, 0]);
    } finally {
      remove();
    }
  });
});
