/**
 * docs/benchmarks.md and its plot (a hand-built SVG: no charting library is installed; a static
 * polyline per scenario needs none).
 */
import { writeFileSync } from 'node:fs';

export interface RateSeries {
  name: string;
  /** [seconds since the scenario started, rows stored so far], one point a second. */
  points: Array<[number, number]>;
}

/** Rows/s over time: the difference of stored rows over a sliding `window` of seconds. */
export function rowsPerSecond(points: Array<[number, number]>, window = 5): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let i = 0; i < points.length; i++) {
    const j = Math.max(0, i - window);
    const [t1, r1] = points[i]!;
    const [t0, r0] = points[j]!;
    out.push([t1, t1 > t0 ? (r1 - r0) / (t1 - t0) : 0]);
  }
  return out;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e'];

function niceStep(max: number, ticks: number): number {
  const raw = max / ticks;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 2.5, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A line chart of rows/s against seconds, one polyline per series. */
export function rowsPerSecondSvg(series: RateSeries[], title: string): string {
  const W = 800;
  const H = 400;
  const m = { l: 70, r: 20, t: 40, b: 50 };
  const rates = series.map((s) => ({ name: s.name, pts: rowsPerSecond(s.points) }));
  const maxT = Math.max(1, ...rates.flatMap((s) => s.pts.map(([t]) => t)));
  const maxY = Math.max(1, ...rates.flatMap((s) => s.pts.map(([, y]) => y)));
  const xStep = niceStep(maxT, 8);
  const yStep = niceStep(maxY, 6);
  const xMax = Math.ceil(maxT / xStep) * xStep;
  const yMax = Math.ceil(maxY / yStep) * yStep;
  const x = (t: number): number => m.l + (t / xMax) * (W - m.l - m.r);
  const y = (v: number): number => H - m.b - (v / yMax) * (H - m.t - m.b);
  const f = (n: number): string => n.toFixed(1);
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="#fff"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>`,
  ];
  for (let v = 0; v <= yMax + 1e-9; v += yStep) {
    parts.push(
      `<line x1="${m.l}" y1="${f(y(v))}" x2="${W - m.r}" y2="${f(y(v))}" stroke="#ddd"/>`,
      `<text x="${m.l - 6}" y="${f(y(v) + 4)}" text-anchor="end">${Math.round(v).toLocaleString('en-US')}</text>`,
    );
  }
  for (let t = 0; t <= xMax + 1e-9; t += xStep) {
    parts.push(
      `<line x1="${f(x(t))}" y1="${H - m.b}" x2="${f(x(t))}" y2="${H - m.b + 5}" stroke="#333"/>`,
      `<text x="${f(x(t))}" y="${H - m.b + 18}" text-anchor="middle">${Math.round(t)}</text>`,
    );
  }
  parts.push(
    `<line x1="${m.l}" y1="${H - m.b}" x2="${W - m.r}" y2="${H - m.b}" stroke="#333"/>`,
    `<line x1="${m.l}" y1="${m.t}" x2="${m.l}" y2="${H - m.b}" stroke="#333"/>`,
    `<text x="${(m.l + W - m.r) / 2}" y="${H - 12}" text-anchor="middle">seconds since the first workflow started</text>`,
    `<text transform="translate(16 ${(m.t + H - m.b) / 2}) rotate(-90)" text-anchor="middle">rows/s (5 s sliding window)</text>`,
  );
  rates.forEach((s, i) => {
    const color = COLORS[i % COLORS.length]!;
    parts.push(
      `<polyline fill="none" stroke="${color}" stroke-width="1.5" points="${s.pts.map(([t, v]) => `${f(x(t))},${f(y(v))}`).join(' ')}"/>`,
      `<line x1="${W - m.r - 170}" y1="${m.t + 8 + i * 18}" x2="${W - m.r - 150}" y2="${m.t + 8 + i * 18}" stroke="${color}" stroke-width="2"/>`,
      `<text x="${W - m.r - 144}" y="${m.t + 12 + i * 18}">${esc(s.name)}</text>`,
    );
  });
  parts.push('</svg>');
  return parts.join('\n') + '\n';
}

export function writeSvg(file: string, series: RateSeries[], title: string): void {
  writeFileSync(file, rowsPerSecondSvg(series, title));
}
