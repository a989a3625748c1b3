// The worker's PostgreSQL pool on the real server: a connection that dies while checked out (PostgreSQL restarted
// mid-transaction) must fail its query, not the process (found by `mainspring chaos`: the worker exited with code 1
// on a PostgreSQL kill, from an 'error' event of a checked-out client that had no listener).
import { createDb } from '../../src/db/client';
import { testStackEnv } from '../helpers/stack-env';

it('a connection killed while checked out fails its query, and the pool serves the next one', async () => {
  const url = testStackEnv().databaseUrl;
  const handle = createDb(url, { max: 2 });
  const admin = createDb(url, { max: 1 });
  try {
    const client = await handle.pool.connect();
    const { rows } = await client.query<{ pid: number }>('select pg_backend_pid() as pid');
    await admin.pool.query('select pg_terminate_backend($1)', [rows[0].pid]);
    // The server closes the socket; give the client's 'error' event time to fire.
    await new Promise((resolve) => setTimeout(resolve, 300));
    await expect(client.query('select 1')).rejects.toThrow();
    client.release(true);
    const after = await handle.pool.query<{ one: number }>('select 1 as one');
    expect(after.rows[0].one).toBe(1);
  } finally {
    await handle.close();
    await admin.close();
  }
});
