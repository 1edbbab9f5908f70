/**
 * Python with pyarrow and duckdb, for tests that read what the service writes with other tools:
 * a virtualenv in `.tools/py`, created and filled from PyPI on first use (a minute or two), then
 * reused.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';

const VENV = path.resolve('.tools/py');
const PYTHON = path.join(VENV, 'bin', 'python');
const PACKAGES = ['pyarrow', 'duckdb'];

/** The venv's python, with pyarrow and duckdb importable (installed when missing). */
export function ensurePython(): string {
  const ok = () => existsSync(PYTHON) && spawnSync(PYTHON, ['-c', 'import pyarrow, duckdb']).status === 0;
  if (ok()) return PYTHON;
  execFileSync('python3', ['-m', 'venv', VENV], { stdio: 'inherit' });
  execFileSync(PYTHON, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', ...PACKAGES], {
    stdio: 'inherit',
    timeout: 600_000,
  });
  if (!ok()) throw new Error(`pyarrow and duckdb do not import in ${VENV} after installing them`);
  return PYTHON;
}

/** Run a Python script (its source) with arguments; its stdout parsed as JSON. */
export function runPython<T>(script: string, args: string[]): T {
  const out = execFileSync(ensurePython(), ['-c', script, ...args], { encoding: 'utf8', maxBuffer: 256 << 20 });
  return JSON.parse(out) as T;
}
