/**
 * The workflow sandbox rule is enforced by lint: code under workflows/ may import only
 * @temporalio/workflow, other workflow modules, and types.
 */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

const probe = `
import pg from 'pg';
import { toFailure } from '../activities/errors';
import type { Activities } from '../activities';
import { proxyActivities } from '@temporalio/workflow';
import { SA } from './contracts/search-attributes';
export const used = [pg, toFailure, proxyActivities, SA];
export type A = Activities;
`;

describe('workflow import ban (eslint)', () => {
  it('rejects runtime imports of Node/npm/activity modules in workflows/, allows the SDK, contracts and types', async () => {
    const eslint = new ESLint({ cwd: process.cwd() });
    // Lint the probe as if it were an existing workflow file (so the type-aware parser accepts it).
    const [result] = await eslint.lintText(probe, { filePath: 'workflows/backfill-series.ts' });
    const banned = result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports');
    expect(banned.map((m) => m.line)).toEqual([2, 3]);
    expect(banned[0]!.message).toContain('deterministic sandbox');
  }, 60_000);

  it('does not apply outside workflows/', async () => {
    const eslint = new ESLint({ cwd: process.cwd() });
    const [result] = await eslint.lintText(probe, { filePath: 'activities/index.ts' });
    expect(result!.messages.filter((m) => m.ruleId === '@typescript-eslint/no-restricted-imports')).toEqual([]);
  }, 60_000);
});
