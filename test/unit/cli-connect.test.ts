/**
 * Where the CLI's PostgreSQL URL comes from: the flag, `DATABASE_URL`, else the local stack's
 * cluster with the owner's password from the stack's credentials file (the cluster requires one).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { databaseUrl, DEFAULT_DATABASE_URL } from '../../cli/connect';

describe('databaseUrl', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'cli-connect-'));

  it('takes the flag, then DATABASE_URL, as given', () => {
    expect(databaseUrl({ DATABASE_URL: 'postgres://a:b@h:1/d', STACK_DATA_DIR: dataDir }, 'postgres://x@y/z')).toBe(
      'postgres://x@y/z',
    );
    expect(databaseUrl({ DATABASE_URL: 'postgres://a:b@h:1/d', STACK_DATA_DIR: dataDir })).toBe('postgres://a:b@h:1/d');
  });

  it("defaults to the local stack's cluster without a password when it has no credentials file", () => {
    expect(databaseUrl({ STACK_DATA_DIR: dataDir })).toBe(DEFAULT_DATABASE_URL);
  });

  it("adds the owner's password from the local stack's credentials file", () => {
    fs.mkdirSync(path.join(dataDir, 'pg'), { recursive: true });
    fs.writeFileSync(
      path.join(dataDir, 'pg', 'crypto-ingest-credentials.json'),
      JSON.stringify({ owner: 'own3r-pw', worker: 'w' }),
    );
    expect(databaseUrl({ STACK_DATA_DIR: dataDir })).toBe(
      'postgres://crypto_ingest:own3r-pw@127.0.0.1:54329/crypto_ingest',
    );
  });
});
