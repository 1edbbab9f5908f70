/**
 * One transaction on one pooled connection, the way every store writes: BEGIN, the work, COMMIT;
 * ROLLBACK on any error. A connection that cannot roll back is discarded instead of returned. With
 * a `signal` (the activity's cancellation), an abort cancels the running statement on the server
 * (`pg_cancel_backend`, on a connection of its own so a saturated pool cannot hold it up), and the
 * connection is destroyed afterwards: a late cancel must not hit the next user of that backend.
 */
import pg from 'pg';

export async function inTransaction<T>(
  pool: pg.Pool,
  signal: AbortSignal | undefined,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  signal?.throwIfAborted();
  const client = await pool.connect();
  let broken: Error | undefined;
  const pid = (client as unknown as { processID?: number }).processID;
  const cancel = () => {
    if (pid === undefined) return;
    const canceller = new pg.Client((pool as unknown as { options: pg.ClientConfig }).options);
    void canceller
      .connect()
      .then(() => canceller.query('SELECT pg_cancel_backend($1)', [pid]))
      .catch(() => undefined)
      .finally(() => void canceller.end().catch(() => undefined));
  };
  signal?.addEventListener('abort', cancel, { once: true });
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((e: unknown) => {
      broken = e instanceof Error ? e : new Error(String(e));
    });
    throw err;
  } finally {
    signal?.removeEventListener('abort', cancel);
    client.release(broken ?? (signal?.aborted ? new Error('write cancelled') : undefined));
  }
}
