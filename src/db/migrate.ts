import { join } from 'node:path';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import { projectRoot } from '../config/project-root';
import { createDb } from './client';

export const MIGRATIONS_FOLDER = join(projectRoot(), 'src', 'db', 'migrations');

/** Applies drizzle-kit's generated migrations; already applied ones are skipped (tracked by drizzle). */
export async function migrateDatabase(databaseUrl: string): Promise<void> {
  const handle = createDb(databaseUrl, { max: 1 });
  try {
    await migrate(handle.db, { migrationsFolder: MIGRATIONS_FOLDER });
  } finally {
    await handle.close();
  }
}
