/**
 * The Temporal CLI dev server (`temporal server start-dev`, CLI v1.5.1) as a supervised child,
 * plus search-attribute registration on the namespace the project uses.
 *
 * Note: with a persistent `--db-filename`, `--search-attribute` only registers attributes when the
 * file is created; attributes added to the code later are NOT registered on restart (seen with
 * CLI 1.5.1). That is why every start verifies them with `operator search-attribute list` and
 * creates the missing ones.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import {
  ComponentStartError,
  REPO_ROOT,
  StackError,
  ToolMissingError,
  type ManagedProcess,
  type Supervisor,
} from './processes';

export interface SearchAttributeRegistration {
  name: string;
  /** Text, Keyword, Int, Double, Bool, Datetime, KeywordList */
  type: string;
}

// ---------------------------------------------------------------------------------------------
// CLI resolution
// ---------------------------------------------------------------------------------------------

const INSTALL_SCRIPT = path.join(REPO_ROOT, 'scripts', 'install-temporal-cli.sh');
let cliPromise: Promise<string> | undefined;

/**
 * Absolute path of the Temporal CLI: runs `scripts/install-temporal-cli.sh` (which honours
 * TEMPORAL_CLI_PATH, a 1.5.1 `temporal` on PATH, the cached `.tools/bin/temporal`, or builds it)
 * and takes its last stdout line. Cached per process. `build: false` passes `--no-build` and
 * throws ToolMissingError instead of building (minutes).
 */
export function resolveTemporalCli(opts: { log?: (line: string) => void; build?: boolean } = {}): Promise<string> {
  const build = opts.build ?? true;
  if (cliPromise) return cliPromise;
  const attempt = runInstallScript(build, opts.log ?? (() => {}));
  if (build) {
    cliPromise = attempt;
    attempt.catch(() => {
      if (cliPromise === attempt) cliPromise = undefined;
    });
  } else {
    // a successful lookup without build is as good as any: cache it
    attempt.then(
      (p) => (cliPromise ??= Promise.resolve(p)),
      () => {},
    );
  }
  return attempt;
}

function runInstallScript(build: boolean, log: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [INSTALL_SCRIPT, ...(build ? [] : ['--no-build'])], {
      cwd: REPO_ROOT,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: process.env,
    });
    let stdout = '';
    const stderrLines: string[] = [];
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      partial += d;
      let nl: number;
      while ((nl = partial.indexOf('\n')) >= 0) {
        const line = partial.slice(0, nl);
        partial = partial.slice(nl + 1);
        stderrLines.push(line);
        if (stderrLines.length > 20) stderrLines.shift();
        log(`[temporal-cli] ${line}`);
      }
    });
    child.on('error', (err) =>
      reject(new ToolMissingError(`cannot run ${INSTALL_SCRIPT} with bash: ${err.message}`, { cause: err })),
    );
    child.on('close', (code) => {
      if (partial) stderrLines.push(partial);
      const last = stdout.trim().split('\n').pop()?.trim() ?? '';
      if (code === 0 && last && fs.existsSync(last)) return resolve(last);
      if (code === 3)
        return reject(
          new ToolMissingError(
            'no Temporal CLI 1.5.1 found: run `npm run setup` (builds it into .tools/bin, needs Go >= 1.25) or set TEMPORAL_CLI_PATH',
          ),
        );
      const why =
        stderrLines
          .filter((l) => l.includes('error'))
          .pop()
          ?.replace(/^install-temporal-cli: (error: )?/, '') ?? `exit code ${code}`;
      reject(new ToolMissingError(`Temporal CLI unavailable: ${why} (script: scripts/install-temporal-cli.sh)`));
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Search attributes
// ---------------------------------------------------------------------------------------------

/** The registrations the code defines (`workflows/contracts/search-attributes.ts`). */
export async function loadSearchAttributeRegistrations(): Promise<ReadonlyArray<SearchAttributeRegistration>> {
  const file = path.join(REPO_ROOT, 'workflows', 'contracts', 'search-attributes.ts');
  try {
    const mod = (await import('../workflows/contracts/search-attributes')) as {
      SEARCH_ATTRIBUTE_REGISTRATIONS: ReadonlyArray<SearchAttributeRegistration>;
    };
    return mod.SEARCH_ATTRIBUTE_REGISTRATIONS;
  } catch (err) {
    throw new StackError(
      `cannot load the search attribute list from ${file}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}

/** 'KeywordList' → 'KEYWORD_LIST' (the enum suffix the server reports). */
function typeKey(type: string): string {
  return type
    .replace(/^INDEXED_VALUE_TYPE_/, '')
    .replace(/([a-z])([A-Z])/g, '$1_$2')
    .toUpperCase();
}

/** The CLI's env without TEMPORAL_* settings (API keys, TLS, profiles) meant for other servers. */
function cliEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('TEMPORAL_')) env[k] = v;
  return env;
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run the Temporal CLI once (never throws for a non-zero exit). */
export function runCli(cli: string, args: string[], timeoutMs = 15_000): Promise<CliResult> {
  return new Promise((resolve) => {
    execFile(cli, args, { env: cliEnv(), timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && !stdout ? err.message : '')) });
    });
  });
}

/** `temporal operator cluster health` answers SERVING. */
export async function temporalHealthy(cli: string, address: string): Promise<boolean> {
  const r = await runCli(
    cli,
    ['operator', 'cluster', 'health', '--address', address, '--command-timeout', '3s'],
    5_000,
  );
  if (r.code === 0 && r.stdout.includes('SERVING')) return true;
  throw new Error(lastLine(r.stderr || r.stdout) || `exit code ${r.code}`);
}

function lastLine(s: string): string {
  return s.trim().split('\n').pop()?.trim() ?? '';
}

/** Custom search attributes on `namespace`: name → type key (KEYWORD, DATETIME, …). */
async function listSearchAttributesCli(cli: string, address: string, namespace: string): Promise<Map<string, string>> {
  const r = await runCli(cli, [
    'operator',
    'search-attribute',
    'list',
    '--address',
    address,
    '--namespace',
    namespace,
    '--output',
    'json',
    '--command-timeout',
    '10s',
  ]);
  if (r.code !== 0)
    throw new StackError(
      `temporal operator search-attribute list --namespace ${namespace} failed: ${lastLine(r.stderr || r.stdout)}`,
    );
  const parsed = JSON.parse(r.stdout) as { customAttributes?: Record<string, string> };
  return new Map(Object.entries(parsed.customAttributes ?? {}).map(([k, v]) => [k, typeKey(v)]));
}

/**
 * Make sure every attribute exists on `namespace` with the right type, creating the missing ones
 * with `temporal operator search-attribute create`. A type conflict is a StackError.
 * Returns the names it created.
 */
export async function ensureSearchAttributes(
  cli: string,
  address: string,
  namespace: string,
  attrs: ReadonlyArray<SearchAttributeRegistration>,
  log: (line: string) => void = () => {},
): Promise<string[]> {
  const existing = await listSearchAttributesCli(cli, address, namespace);
  const missing = checkAttributes(existing, attrs, namespace, address);
  // One create call per attribute: CLI 1.5.1 given `--name A --name B --type Keyword` reports
  // "Search attributes have been added" but registers only A.
  for (const a of missing) {
    log(`[temporal] registering search attribute ${a.name} (${a.type}) on namespace ${namespace}`);
    const r = await runCli(cli, [
      'operator',
      'search-attribute',
      'create',
      '--address',
      address,
      '--namespace',
      namespace,
      '--name',
      a.name,
      '--type',
      a.type,
      '--command-timeout',
      '10s',
    ]);
    if (r.code !== 0) {
      const why = lastLine(r.stderr || r.stdout);
      if (/cannot have more than \d+ search attribute/i.test(why)) {
        throw new StackError(slotsExhaustedMessage(a, why, existing, attrs, address, namespace));
      }
      throw new StackError(
        `temporal operator search-attribute create --namespace ${namespace} --name ${a.name} --type ${a.type} failed: ${why}`,
      );
    }
  }
  if (missing.length > 0) {
    const after = await listSearchAttributesCli(cli, address, namespace);
    const still = checkAttributes(after, attrs, namespace, address);
    if (still.length > 0)
      throw new StackError(
        `search attribute(s) ${still.map((a) => a.name).join(', ')} still missing on namespace ${namespace} at ${address} after create`,
      );
  }
  return missing.map((a) => a.name);
}

function checkAttributes(
  existing: Map<string, string>,
  attrs: ReadonlyArray<SearchAttributeRegistration>,
  namespace: string,
  address: string,
): SearchAttributeRegistration[] {
  const missing: SearchAttributeRegistration[] = [];
  for (const a of attrs) {
    const have = existing.get(a.name);
    if (have === undefined) missing.push(a);
    else if (have !== typeKey(a.type))
      throw new StackError(
        `search attribute ${a.name} is registered as ${have} on namespace ${namespace} at ${address}, the code needs ${typeKey(a.type)}: use a fresh Temporal database (delete the --db-filename file) or rename the attribute`,
      );
  }
  return missing;
}

/** The dev server's SQL visibility has fixed slots per type; say which attributes to remove. */
function slotsExhaustedMessage(
  wanted: SearchAttributeRegistration,
  why: string,
  existing: Map<string, string>,
  attrs: ReadonlyArray<SearchAttributeRegistration>,
  address: string,
  namespace: string,
): string {
  const needed = new Set(attrs.map((a) => a.name));
  const obsolete = [...existing.entries()]
    .filter(([name, type]) => !needed.has(name) && type === typeKey(wanted.type))
    .map(([name]) => name);
  const fix =
    obsolete.length > 0
      ? `attributes not used by the code: ${obsolete.join(', ')}; remove them with \`temporal operator search-attribute remove --address ${address} --namespace ${namespace} ${obsolete.map((n) => `--name ${n}`).join(' ')} --yes\`, or start with a fresh Temporal db file`
      : 'start with a fresh Temporal db file or use fewer attributes of this type';
  return `cannot register search attribute ${wanted.name} (${wanted.type}) on namespace ${namespace}: ${why} — ${fix}`;
}

// IndexedValueType wire values (temporal.api.enums.v1.IndexedValueType).
const INDEXED_VALUE_TYPE: Readonly<Record<string, number>> = {
  TEXT: 1,
  KEYWORD: 2,
  INT: 3,
  DOUBLE: 4,
  BOOL: 5,
  DATETIME: 6,
  KEYWORD_LIST: 7,
};

/**
 * Same as `ensureSearchAttributes`, through the gRPC operator service (`@temporalio/client`), for
 * a server we did not start (no CLI needed).
 */
export async function ensureSearchAttributesViaClient(
  address: string,
  namespace: string,
  attrs: ReadonlyArray<SearchAttributeRegistration>,
  log: (line: string) => void = () => {},
): Promise<string[]> {
  const { Connection } = await import('@temporalio/client');
  let connection;
  try {
    connection = await Connection.connect({ address, connectTimeout: 10_000 });
  } catch (err) {
    throw new StackError(
      `cannot connect to Temporal at ${address}: ${err instanceof Error ? err.message : String(err)} (check TEMPORAL_ADDRESS)`,
      { cause: err },
    );
  }
  try {
    const names = Object.fromEntries(Object.entries(INDEXED_VALUE_TYPE).map(([k, v]) => [v, k]));
    const list = async (): Promise<Map<string, string>> => {
      const res = await connection.operatorService.listSearchAttributes({ namespace });
      return new Map(
        Object.entries(res.customAttributes ?? {}).map(
          ([k, v]) => [k, names[Number(v)] ?? String(v)] as [string, string],
        ),
      );
    };
    const missing = checkAttributes(await list(), attrs, namespace, address);
    if (missing.length > 0) {
      log(
        `[temporal] registering search attribute(s) ${missing.map((a) => a.name).join(', ')} on namespace ${namespace}`,
      );
      await connection.operatorService.addSearchAttributes({
        namespace,
        searchAttributes: Object.fromEntries(missing.map((a) => [a.name, INDEXED_VALUE_TYPE[typeKey(a.type)] ?? 0])),
      });
      const still = checkAttributes(await list(), attrs, namespace, address);
      if (still.length > 0)
        throw new StackError(
          `search attribute(s) ${still.map((a) => a.name).join(', ')} still missing on ${namespace}`,
        );
    }
    return missing.map((a) => a.name);
  } catch (err) {
    if (err instanceof StackError) throw err;
    throw new StackError(
      `cannot register search attributes on namespace ${namespace} at ${address}: ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  } finally {
    await connection.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Dev server
// ---------------------------------------------------------------------------------------------

export interface TemporalDevOptions {
  supervisor: Supervisor;
  /** Frontend gRPC port (must be a real port; pick a free one before). */
  port: number;
  /** Web UI port, or false for headless. */
  uiPort: number | false;
  /** SQLite file, or null for in-memory. */
  dbFile: string | null;
  namespace: string;
  /** Default: SEARCH_ATTRIBUTE_REGISTRATIONS from workflows/contracts/search-attributes.ts. */
  searchAttributes?: ReadonlyArray<SearchAttributeRegistration>;
  /** Extra `start-dev` arguments, e.g. `['--dynamic-config-value', 'limit.historyCount.suggestContinueAsNew=50']`. */
  extraArgs?: string[];
  readyTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface TemporalDev {
  address: string;
  namespace: string;
  uiUrl?: string;
  cliPath: string;
  process: ManagedProcess;
  /** Search attributes created after start (missing from an existing db file). */
  createdSearchAttributes: string[];
}

export async function startTemporalDev(opts: TemporalDevOptions): Promise<TemporalDev> {
  const log = opts.log ?? opts.supervisor.log;
  const [cli, attrs] = await Promise.all([
    resolveTemporalCli({ log }),
    opts.searchAttributes ? Promise.resolve(opts.searchAttributes) : loadSearchAttributeRegistrations(),
  ]);
  const address = `127.0.0.1:${opts.port}`;
  const args = ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port)];
  if (opts.uiPort === false) args.push('--headless');
  else args.push('--ui-port', String(opts.uiPort));
  if (opts.dbFile) {
    fs.mkdirSync(path.dirname(opts.dbFile), { recursive: true });
    args.push('--db-filename', opts.dbFile);
  }
  args.push('--namespace', opts.namespace, '--log-level', 'warn');
  for (const a of attrs) args.push('--search-attribute', `${a.name}=${a.type}`);
  args.push('--dynamic-config-value', 'frontend.enableServerVersionCheck=false');
  args.push(...(opts.extraArgs ?? []));

  const proc = await opts.supervisor.start({
    name: 'temporal',
    label: `Temporal dev server (port ${opts.port})`,
    command: cli,
    args,
    env: cliEnv(),
    stopSignal: 'SIGTERM',
    stopTimeoutMs: 15_000,
  });
  await proc.waitUntilReady(() => temporalHealthy(cli, address), {
    timeoutMs: opts.readyTimeoutMs ?? 60_000,
    intervalMs: 250,
  });
  let created: string[];
  try {
    created = await ensureSearchAttributes(cli, address, opts.namespace, attrs, log);
  } catch (err) {
    if (err instanceof ComponentStartError) throw err;
    throw proc.startError(
      `started but search attributes could not be verified: ${err instanceof Error ? err.message : String(err)}`,
      err,
    );
  }
  return {
    address,
    namespace: opts.namespace,
    ...(opts.uiPort === false ? {} : { uiUrl: `http://127.0.0.1:${opts.uiPort}` }),
    cliPath: cli,
    process: proc,
    createdSearchAttributes: created,
  };
}
