import { accessSync, constants, statSync } from 'node:fs';

/**
 * Certificate and key files of connections to real clusters are checked when the configuration loads, so a typo
 * in a path is reported with the variable that holds it instead of as a TLS failure deep inside a connect.
 */

/** Why `path` (named by `variable`) cannot be used, or undefined when it is a readable file. */
export function unreadableFile(variable: string, path: string): string | undefined {
  try {
    if (!statSync(path).isFile()) return `${variable}=${path} is not a file`;
    accessSync(path, constants.R_OK);
    return undefined;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return `${variable}=${path}: file not found`;
    if (code === 'EACCES') return `${variable}=${path}: permission denied`;
    return `${variable}=${path} cannot be read: ${(err as Error).message}`;
  }
}

/** TLS file parameters libpq (and node-postgres) read from a connection string. */
export const DATABASE_URL_TLS_FILE_PARAMS = ['sslrootcert', 'sslcert', 'sslkey'] as const;
const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full', 'no-verify'] as const;

/** Problems with the TLS parameters of a PostgreSQL URL: unknown sslmode, unreadable files. Never echoes the password. */
export function databaseUrlTlsProblems(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    // Not ours to judge (libpq key=value strings, unusual escaping): node-postgres reports it on connect.
    return [];
  }
  const problems: string[] = [];
  const mode = parsed.searchParams.get('sslmode');
  if (mode !== null && !(SSL_MODES as readonly string[]).includes(mode)) problems.push(`DATABASE_URL sslmode=${mode} is not one of ${SSL_MODES.join(', ')}`);
  for (const param of DATABASE_URL_TLS_FILE_PARAMS) {
    const path = parsed.searchParams.get(param);
    if (path === null) continue;
    const problem = unreadableFile(`DATABASE_URL ${param}`, path);
    if (problem) problems.push(problem);
  }
  return problems;
}

/**
 * Adds a CA file to a PostgreSQL URL as `sslrootcert` (node-postgres reads it when connecting) and, without an
 * explicit sslmode, `sslmode=verify-full`: a CA given means the server is to be verified.
 */
export function withDatabaseCa(url: string, caPath: string): string {
  const parsed = new URL(url);
  if (parsed.searchParams.get('sslmode') === 'disable') {
    throw new Error('DATABASE_SSL_CA_FILE is set but DATABASE_URL has sslmode=disable: remove one of them');
  }
  parsed.searchParams.set('sslrootcert', caPath);
  if (!parsed.searchParams.has('sslmode')) parsed.searchParams.set('sslmode', 'verify-full');
  return parsed.toString();
}
