import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { Pool, type PoolConfig } from 'pg';
import { databaseUrlTlsProblems } from '../security/connection-files';
import * as schema from './schema';

export type Db = NodePgDatabase<typeof schema>;

export interface DbHandle {
  db: Db;
  pool: Pool;
  close(): Promise<void>;
}

/** Opens a pooled connection; the caller owns it and closes it during shutdown. */
export function createDb(databaseUrl: string, options: Omit<PoolConfig, 'connectionString'> = {}): DbHandle {
  // TLS rides in the URL (sslmode, sslrootcert/sslcert/sslkey; DATABASE_SSL_CA_FILE becomes sslrootcert at config
  // load). node-postgres reads those files lazily on the first connect: check them now so the path is named.
  const problems = databaseUrlTlsProblems(databaseUrl);
  if (problems.length > 0) throw new Error(`PostgreSQL TLS: ${problems.join('; ')}`);
  const pool = new Pool({ connectionString: databaseUrl, max: 10, ...options });
  // An idle connection that dies (PostgreSQL restarted) is already dropped by the pool; without a listener its
  // 'error' event would crash the process (found by `mainspring chaos`: the worker died on a PostgreSQL kill).
  pool.on('error', () => undefined);
  // The pool listens only while a connection is idle: one that dies while checked out (mid-transaction) emits
  // 'error' with nobody listening, which also ends the process (found by a second chaos run). Its query already
  // rejects with the error, and the pool drops the broken connection on release.
  pool.on('connect', (client) => client.on('error', () => undefined));
  const db = drizzle(pool, { schema });
  return { db, pool, close: () => pool.end() };
}
