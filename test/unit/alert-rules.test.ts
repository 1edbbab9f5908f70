/**
 * deploy/prometheus/alerts.yml: a Prometheus rule file that parses, holds the alerts the operators
 * rely on, names only metrics that exist (ours from the registry, the SDK's as Core 1.24 exports
 * them: test/integration/metrics.test.ts sees them in a real scrape) with labels they carry, and
 * points at runbook sections that exist.
 */
import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { registry } from '../../activities/metrics';
import '../../workers/metrics-server'; // registers the database gauges and the scrape error counter

interface Rule {
  alert?: unknown;
  expr?: unknown;
  for?: unknown;
  labels?: Record<string, unknown>;
  annotations?: Record<string, unknown>;
}

/** Temporal Core's metrics the rules use, with their labels (seen in a scrape of a 1.24 worker). */
export const SDK_METRICS: Record<string, readonly string[]> = {
  temporal_workflow_failed: ['namespace', 'task_queue', 'workflow_type', 'service_name'],
  temporal_workflow_completed: ['namespace', 'task_queue', 'workflow_type', 'service_name'],
};

export const RULES_PATH = 'deploy/prometheus/alerts.yml';

function rules(): Rule[] {
  const doc = load(readFileSync(RULES_PATH, 'utf8')) as { groups?: Array<{ name?: unknown; rules?: Rule[] }> };
  expect(Array.isArray(doc.groups)).toBe(true);
  return doc.groups!.flatMap((g) => {
    expect(typeof g.name).toBe('string');
    expect(Array.isArray(g.rules)).toBe(true);
    return g.rules!;
  });
}

/** GitHub's heading anchors of a markdown file. */
function anchors(file: string): Set<string> {
  const out = new Set<string>();
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    const m = /^#{1,6}\s+(.*)$/.exec(line);
    if (m)
      out.add(
        m[1]!
          .trim()
          .toLowerCase()
          .replace(/[^\p{L}\p{N}\s_-]/gu, '')
          .replace(/\s/g, '-'),
      );
  }
  return out;
}

function labelNamesOf(metric: string): readonly string[] | undefined {
  const base = metric.replace(/_(bucket|count|sum)$/, '');
  const ours = registry.getSingleMetric(metric) ?? registry.getSingleMetric(base);
  if (ours) return (ours as unknown as { labelNames: readonly string[] }).labelNames;
  return SDK_METRICS[metric];
}

describe(RULES_PATH, () => {
  it('holds the alerts for stale series, long pauses, quarantine growth and failing schedules', () => {
    const names = rules().map((r) => r.alert);
    expect(names).toEqual(
      expect.arrayContaining([
        'CryptoIngestSeriesStale',
        'CryptoIngestSourcePausedLong',
        'CryptoIngestSourcePausedContinuously',
        'CryptoIngestQuarantineGrowing',
        'CryptoIngestScheduleFailing',
        'CryptoIngestSyncLagging',
      ]),
    );
    expect(new Set(names).size).toBe(names.length);
  });

  it('gives every alert an expression, a severity, what to do and a runbook section that exists', () => {
    const runbook = anchors('docs/runbook.md');
    for (const r of rules()) {
      expect(typeof r.alert, JSON.stringify(r)).toBe('string');
      expect(typeof r.expr).toBe('string');
      if (r.for !== undefined) expect(r.for).toMatch(/^\d+[smhd]$/);
      expect(['warning', 'critical']).toContain(r.labels?.severity);
      expect(typeof r.annotations?.summary).toBe('string');
      expect(String(r.annotations?.description).length).toBeGreaterThan(80);
      const url = String(r.annotations?.runbook_url);
      const m = /^docs\/runbook\.md#(.+)$/.exec(url);
      expect(m, `${String(r.alert)}: ${url}`).not.toBeNull();
      expect(runbook.has(m![1]!), `${String(r.alert)}: no section #${m![1]} in docs/runbook.md`).toBe(true);
    }
  });

  it('names only metrics that exist, with labels they carry, in balanced expressions', () => {
    for (const r of rules()) {
      const expr = String(r.expr);
      for (const [open, close] of [
        ['(', ')'],
        ['{', '}'],
        ['[', ']'],
      ] as const)
        expect(expr.split(open).length, `${String(r.alert)}: ${open}${close}`).toBe(expr.split(close).length);
      const metrics = [...expr.matchAll(/\b((?:crypto_ingest|temporal)_[a-z0-9_]+)\b/g)].map((m) => m[1]!);
      expect(metrics.length, String(r.alert)).toBeGreaterThan(0);
      for (const metric of metrics) {
        const labels = labelNamesOf(metric);
        expect(labels, `${String(r.alert)}: unknown metric ${metric}`).toBeDefined();
        // Matchers right after the name: {label="…", label=~"…"}.
        const matchers = new RegExp(`\\b${metric}\\{([^}]*)\\}`).exec(expr)?.[1] ?? '';
        for (const [, label] of matchers.matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)/g))
          expect(labels, `${String(r.alert)}: ${metric} has no label ${label}`).toContain(label);
      }
      // Aggregation labels: `by (a, b)` must be labels of the metrics aggregated.
      for (const [, by] of expr.matchAll(/\bby\s*\(([^)]*)\)/g)) {
        for (const label of by!.split(',').map((l) => l.trim()))
          expect(
            metrics.some((m) => labelNamesOf(m)?.includes(label)),
            `${String(r.alert)}: by (${label})`,
          ).toBe(true);
      }
    }
  });

  it('uses the workflow types the scheduled workflows are registered under', async () => {
    const workflows = await import('../../workflows/index');
    const expr = String(rules().find((r) => r.alert === 'CryptoIngestScheduleFailing')?.expr);
    const types = /workflow_type=~"([^"]+)"/.exec(expr)![1]!.split('|');
    expect(types).toEqual(['syncDataset', 'repairCoverage', 'refreshUniverse']);
    for (const t of types) expect(Object.keys(workflows)).toContain(t);
  });
});
