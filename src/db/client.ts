import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { Pool, type PoolConfig } from 'pg';
import * as schema from './schema';

export type Db = NodePgDatabase<typeof schema>;

export interface DbHandle {
  db: Db;
  pool: Pool;
  close(): Promise<void>;
}

/** Opens a pooled connection; the caller owns it and closes it during shutdown. */
export function createDb(databaseUrl: string, options: Omit<PoolConfig, 'connectionString'> = {}): DbHandle {
  const pool = new Pool({ connectionString: databaseUrl, max: 10, ...options });
  const db = drizzle(pool, { schema });
  return { db, pool, close: () => pool.end() };
}
