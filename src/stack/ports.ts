import { createServer } from 'node:net';
import { StackError } from './errors';

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

export async function assertPortFree(port: number, component: string, envVar: string): Promise<void> {
  if (await isPortFree(port)) return;
  throw new StackError(
    'PORT_IN_USE',
    `${component} cannot start: port ${port} is already in use.`,
    `Stop whatever listens there (\`ss -ltnp 'sport = :${port}'\` shows it) or choose another port with ${envVar}=<port>.`,
  );
}

/** An ephemeral port the OS considers free right now (tests start their stack on these). */
export function findFreePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port: 0, host: '127.0.0.1' }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
