/**
 * What every command gets: the environment, where to print, and lazily opened connections
 * (a command that needs only PostgreSQL never dials Temporal, and argument mistakes are reported
 * before anything is dialled). `close()` releases whatever was opened.
 */
import type pg from 'pg';
import { DEFAULT_TASK_QUEUE } from '../workflows/contracts/task-queues';
import {
  connectTemporal,
  databaseUrl,
  openDatabase,
  temporalTarget,
  type Env,
  type TemporalSession,
  type TemporalTarget,
} from './connect';

export interface Output {
  /** One line of normal output (stdout). */
  log(line: string): void;
  /** One line of diagnostics (stderr). */
  error(line: string): void;
  /** The terminal for live progress bars, when stdout is one. */
  readonly tty: NodeJS.WriteStream | undefined;
}

export const consoleOutput: Output = {
  log: (line) => process.stdout.write(`${line}\n`),
  error: (line) => process.stderr.write(`${line}\n`),
  tty: process.stdout.isTTY ? process.stdout : undefined,
};

export interface GlobalFlags {
  address?: string;
  namespace?: string;
}

export class CliContext {
  readonly flags: GlobalFlags = {};
  #temporal: Promise<TemporalSession> | undefined;
  #db: Promise<pg.Pool> | undefined;

  constructor(
    readonly env: Env,
    readonly out: Output,
  ) {}

  /** The workflow task queue commands start workflows on unless `--task-queue` says otherwise. */
  get defaultTaskQueue(): string {
    return this.env.INGEST_TASK_QUEUE || DEFAULT_TASK_QUEUE;
  }

  /** Where Temporal is (without connecting). */
  target(): TemporalTarget {
    return temporalTarget(this.env, this.flags);
  }

  /** Connected on first use; a failed attempt is not kept, so a later call (the dashboard's next refresh) tries again. */
  temporal(): Promise<TemporalSession> {
    const attempt = (this.#temporal ??= (async () => connectTemporal(this.target()))());
    attempt.catch(() => {
      if (this.#temporal === attempt) this.#temporal = undefined;
    });
    return attempt;
  }

  db(): Promise<pg.Pool> {
    this.#db ??= openDatabase(databaseUrl(this.env));
    return this.#db;
  }

  async close(): Promise<void> {
    const t = this.#temporal;
    const d = this.#db;
    this.#temporal = undefined;
    this.#db = undefined;
    await Promise.all([
      t?.then((s) => s.close()).catch(() => undefined),
      d?.then((p) => p.end()).catch(() => undefined),
    ]);
  }
}
