/** Plain-text formatting shared by the commands: tables, bars, instants and durations. */

export interface Column {
  readonly header: string;
  readonly align?: 'left' | 'right';
}

/** A table: header line, then one line per row; columns two spaces apart, no trailing blanks. */
export function table(columns: readonly Column[], rows: ReadonlyArray<readonly string[]>): string[] {
  const widths = columns.map((c, i) => Math.max(c.header.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? '';
        return c.align === 'right' ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!);
      })
      .join('  ')
      .trimEnd();
  return [line(columns.map((c) => c.header)), ...rows.map(line)];
}

/** `[##########..........]` for 0–100 (clamped). */
export function percentBar(percent: number, width = 20): string {
  const p = Math.max(0, Math.min(100, Number.isFinite(percent) ? percent : 0));
  const full = Math.round((p / 100) * width);
  return `[${'#'.repeat(full)}${'.'.repeat(width - full)}]`;
}

/** `2024-01-01T00:00:00Z` (second precision, UTC), or `-`. */
export function formatInstant(value: Date | string | number | undefined | null): string {
  if (value === undefined || value === null) return '-';
  const d = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** `45s`, `12m 5s`, `1h 59m`, `3d 4h`: the two largest units (the second omitted when 0); `0s` for ≤ 0. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms <= 0) return '0s';
  if (ms < 1_000) return `${Math.round(ms)}ms`;
  const total = Math.floor(ms / 1_000);
  const values: Array<[number, string]> = [
    [Math.floor(total / 86_400), 'd'],
    [Math.floor((total % 86_400) / 3_600), 'h'],
    [Math.floor((total % 3_600) / 60), 'm'],
    [total % 60, 's'],
  ];
  const first = values.findIndex(([n]) => n > 0);
  const [n1, u1] = values[first]!;
  const next = values[first + 1];
  return next && next[0] > 0 ? `${n1}${u1} ${next[0]}${next[1]}` : `${n1}${u1}`;
}

/** `12,345` style thousands separators (stable, not locale dependent). */
export function formatCount(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return '-';
  return Math.trunc(n)
    .toString()
    .replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}
