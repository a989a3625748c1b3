import { createServer } from 'node:net';

/** Ports a command needs are taken: nothing was started; the message names each port, who wanted it and how to move it. */
export class PortsInUseError extends Error {
  readonly code = 'PORT_IN_USE';
  readonly retryable = false;
  constructor(message: string) {
    super(message);
    this.name = 'PortsInUseError';
  }
}

/** A port a command is about to listen on: who wants it and the variable (or option) that moves it. */
export interface PortClaim {
  port: number;
  /** what wants it, as a person reads it: "Temporal UI", "bridge metrics" */
  component: string;
  /** how to choose another port: `MAINSPRING_TEMPORAL_UI_PORT` or `--port` */
  envVar: string;
  host?: string;
}

export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The lines of a PORT_IN_USE / PORT_CONFLICT report: one per port, naming it, who wanted it and how to move it. */
export async function portProblems(claims: readonly PortClaim[]): Promise<string[]> {
  const problems: string[] = [];
  const byPort = new Map<number, PortClaim[]>();
  for (const claim of claims) byPort.set(claim.port, [...(byPort.get(claim.port) ?? []), claim]);
  for (const [port, wanting] of byPort) {
    if (wanting.length > 1) {
      problems.push(`port ${port} is configured for ${wanting.map((c) => `${c.component} (${c.envVar})`).join(' and ')}: give each its own port.`);
      continue;
    }
    const [claim] = wanting;
    if (!(await isPortFree(port, claim!.host))) {
      problems.push(`port ${port} is already in use, wanted by ${claim!.component}: stop whatever listens there (\`ss -ltnp 'sport = :${port}'\` shows it) or ${setting(claim!)}.`);
    }
  }
  return problems;
}

const setting = (claim: PortClaim) => (claim.envVar.startsWith('--') ? `use ${claim.envVar} <port>` : `set ${claim.envVar}=<port>`);

/**
 * Checks every port a command will listen on before it starts anything, and names all taken ones at once: a
 * command that found one of them taken halfway (stack up, model trained, then a metrics port) left work half done.
 */
export async function assertPortsFree(claims: readonly PortClaim[], what = 'this command'): Promise<void> {
  const problems = await portProblems(claims);
  if (problems.length === 0) return;
  throw new PortsInUseError(
    `nothing was started: ${what} needs ${problems.length === 1 ? 'a port that is' : 'ports that are'} not free.\n${problems.map((p) => `  ✘ ${p}`).join('\n')}`,
  );
}

export async function assertPortFree(port: number, component: string, envVar: string): Promise<void> {
  await assertPortsFree([{ port, component, envVar }], component);
}

/** An ephemeral port the OS considers free right now (tests start their stack on these). */
/**
 * A port free right now on 127.0.0.1: any the OS picks, or one below `below` (services that store their port in a
 * smallint — the Temporal server's membership table on PostgreSQL — need one under 32768).
 */
export async function findFreePort(options: { below?: number } = {}): Promise<number> {
  if (options.below === undefined) return listenOn(0);
  const low = Math.min(20_000, Math.floor(options.below / 2));
  for (let attempt = 0; attempt < 50; attempt++) {
    const candidate = low + Math.floor(Math.random() * (options.below - low));
    const port = await listenOn(candidate).catch(() => undefined);
    if (port !== undefined) return port;
  }
  throw new Error(`no free port found below ${options.below}`);
}

function listenOn(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ port, host: '127.0.0.1' }, () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
