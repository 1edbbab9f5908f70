/**
 * `npm start`: the main job on the embedded default. Starts the local stack (Temporal dev server
 * with its UI on :8233 and a persistent db file, a private PostgreSQL unless DATABASE_URL is
 * set, the API simulator, one worker), starts backfills for a few instruments, prints their
 * progress, and keeps serving (the worker stays up for anything you start yourself) until Ctrl-C.
 */
import { Client, Connection } from '@temporalio/client';
import { DEFAULT_TASK_QUEUE } from '../workflows/contracts/task-queues';
import { consoleStackLog, interrupted, runMain, sleep } from './cli-support';
import { startStack } from './index';
import {
  demoBackfills,
  demoReferences,
  describeProgress,
  describeReference,
  label,
  readProgress,
  refreshReferences,
  startBackfill,
  type StartedBackfill,
} from './jobs';

async function main(): Promise<number> {
  const { log, shuttingDown } = consoleStackLog();
  const stop = interrupted();
  const stack = await startStack({
    postgres: process.env.DATABASE_URL ? { databaseUrl: process.env.DATABASE_URL } : {},
    workers: [{ name: '1', env: {} }],
    log,
  });
  const connection = await Connection.connect({ address: stack.temporalAddress });
  try {
    const client = new Client({ connection, namespace: stack.namespace });
    console.log('\nReference data first (instruments give backfills their listing dates):');
    for (const r of await refreshReferences(client, DEFAULT_TASK_QUEUE, demoReferences())) {
      console.log(`  ${r.workflowId}: ${describeReference(r.result)}`);
    }
    const jobs: StartedBackfill[] = [];
    for (const r of demoBackfills()) jobs.push(await startBackfill(client, DEFAULT_TASK_QUEUE, r));
    console.log(
      `\ncrypto-ingest is running. Temporal UI: ${stack.uiUrl ?? '(headless)'}  PostgreSQL: ${stack.databaseUrl}`,
    );
    for (const j of jobs) console.log(`  ${j.started ? 'started ' : 'attached'} ${j.workflowId}`);
    console.log('Progress below; Ctrl-C stops everything.\n');

    const last = new Map<string, string>();
    let allDone = false;
    const watch = (async () => {
      while (!allDone) {
        const states = await Promise.all(jobs.map(readProgress));
        states.forEach((p, k) => {
          const line = `${label(jobs[k]!.request).padEnd(58)} ${describeProgress(p)}`;
          if (last.get(jobs[k]!.workflowId) !== line) console.log(line);
          last.set(jobs[k]!.workflowId, line);
        });
        if (states.every((p) => p?.status === 'completed')) {
          allDone = true;
          console.log(
            `\nAll ${jobs.length} backfills completed. The worker keeps serving task queue '${DEFAULT_TASK_QUEUE}':` +
              ` start more with the README's 'temporal workflow start' command. Ctrl-C to stop.`,
          );
        }
        await sleep(2_000);
      }
    })();
    const signal = await stop;
    allDone = true;
    shuttingDown();
    console.log(`\n${signal}: stopping the stack…`);
    await watch.catch(() => undefined);
    return 0;
  } finally {
    await connection.close();
    await stack.stop();
  }
}

runMain('npm start', main);
