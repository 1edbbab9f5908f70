// The dashboard page: fetches each panel's JSON from the server (dashboard/server.ts) and draws it
// with ECharts or as tables. Read-only; every panel loads on its own, so one slow or failing panel
// (e.g. Temporal unreachable) never blanks the others. Text from the database is only ever set as
// textContent, never as HTML.
/* global echarts */
'use strict';

const STATE_COLORS = {
  complete: '#3fb950',
  holes: '#f85149',
  'certified-empty': '#58a6ff',
  'not-listed': '#3a434e',
  pending: '#6e7681',
};
const STATES = Object.keys(STATE_COLORS);
/** Text for an ECharts tooltip formatter (whose string ECharts sets as HTML). */
const esc = (s) => echarts.format.encodeHTML(String(s));
const PALETTE = ['#58a6ff', '#3fb950', '#d29922', '#bc8cff', '#f85149', '#39c5cf', '#db61a2', '#8a96a3'];

/** `h('td', {class: 'num'}, 'text', child…)`: an element; strings become text nodes. */
function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

function table(headers, rows, attrs) {
  return h(
    'div',
    { class: 'scroll' },
    h(
      'table',
      attrs || {},
      h(
        'thead',
        {},
        h(
          'tr',
          {},
          headers.map((x) => h('th', {}, x)),
        ),
      ),
      h('tbody', {}, rows),
    ),
  );
}

const badge = (text, cls) => h('span', { class: `badge ${cls || text}` }, text);
const num = (n) => h('td', { class: 'num' }, n === null || n === undefined ? '–' : Number(n).toLocaleString('en'));
const when = (iso) => (iso ? iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, 'Z') : '–');

function age(seconds) {
  if (seconds === null || seconds === undefined) return '–';
  const s = Math.round(seconds);
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86400).toFixed(1)} d`;
}

async function getJson(path) {
  const res = await fetch(path, { cache: 'no-store' });
  const body = await res.json().catch(() => ({ error: `HTTP ${res.status}` }));
  if (!res.ok) throw new Error(body.error || `HTTP ${res.status}`);
  return body;
}

/** The panel's body element, filled with `children` (null/false ones left out). */
function body(id) {
  const el = document.querySelector(`#${id} .body`);
  return {
    el,
    replaceChildren: (...children) =>
      el.replaceChildren(...children.filter((c) => c !== null && c !== undefined && c !== false)),
  };
}

function fail(id, err) {
  body(id).replaceChildren(h('p', { class: 'error', 'data-testid': `${id}-error` }, `could not load: ${err.message}`));
}

const charts = {};
function chart(id) {
  if (!charts[id]) charts[id] = echarts.init(document.getElementById(id), 'dark', { renderer: 'canvas' });
  return charts[id];
}
window.addEventListener('resize', () => Object.values(charts).forEach((c) => c.resize()));

async function copyText(button, text) {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    // No clipboard permission (plain HTTP on another host): select the text for Ctrl-C instead.
    const range = document.createRange();
    range.selectNodeContents(button.previousElementSibling);
    const sel = window.getSelection();
    sel.removeAllRanges();
    sel.addRange(range);
  }
  button.classList.add('done');
  button.textContent = 'copied';
  setTimeout(() => {
    button.classList.remove('done');
    button.textContent = 'copy';
  }, 1500);
}

const copyable = (text, testid) =>
  h(
    'div',
    { class: 'repair' },
    h('code', { 'data-testid': testid }, text),
    h('button', { class: 'copy', type: 'button', onclick: (e) => copyText(e.currentTarget, text) }, 'copy'),
  );

/** `1 source`, `2 sources` …: the noun's plural when n ≠ 1. */
const plural = (n, one, many = `${one}s`) => `${Number(n).toLocaleString('en')} ${n === 1 ? one : many}`;

// Chips: what needs attention, at a glance.
const attention = {};
function chip(key, text, cls) {
  attention[key] = text ? badge(text, cls) : null;
  document.getElementById('chips').replaceChildren(...Object.values(attention).filter(Boolean));
}

let config = { slo: {}, temporalUiUrl: null };

async function loadFreshness() {
  const d = await getJson('/api/freshness');
  document.getElementById('slo').textContent =
    'stale after: ' +
    Object.entries(d.slo)
      .map(([i, s]) => `${i} ${age(s)}`)
      .join(', ');
  const count = (state) => d.summary.reduce((n, r) => n + r[state], 0);
  const stale = count('stale');
  const never = count('never');
  chip(
    'stale',
    stale ? `${stale} stale series` : `${count('fresh')} of ${d.total} series fresh`,
    stale ? 'stale' : 'fresh',
  );
  chip('never', never ? `${never} series never stored` : null, 'never');
  const summary = table(
    ['source', 'dataset', 'interval', 'fresh', 'stale', 'never', 'backfilling'],
    d.summary.map((r) =>
      h(
        'tr',
        {},
        h('td', {}, r.source),
        h('td', {}, r.dataset),
        h('td', {}, r.interval),
        num(r.fresh),
        num(r.stale),
        num(r.never),
        num(r.backfilling),
      ),
    ),
  );
  const series = table(
    ['series', 'state', 'age', 'SLO', 'last final period', 'watermark', 'last tick'],
    d.series.map((s) =>
      h(
        'tr',
        { 'data-series': `${s.source}/${s.dataset}/${s.market}/${s.instrument}/${s.interval}` },
        h('td', {}, `${s.dataset} ${s.market} ${s.instrument} ${s.interval}`),
        h('td', {}, badge(s.state)),
        h('td', { class: 'num' }, age(s.ageSeconds)),
        h('td', { class: 'num' }, age(s.sloSeconds)),
        h('td', {}, when(s.lastFinalTs)),
        h('td', {}, when(s.lastTs)),
        h('td', {}, when(s.lastSyncTick)),
      ),
    ),
    { 'data-testid': 'freshness-series' },
  );
  body('freshness').replaceChildren(
    summary,
    h(
      'p',
      { class: 'dim' },
      `${d.total} tracked series, the worst first${d.total > d.series.length ? ` (first ${d.series.length})` : ''}`,
    ),
    series,
  );
}

async function loadCoverage() {
  const scope = document.getElementById('coverage-scope').value;
  const days = document.getElementById('coverage-days').value;
  const d = await getJson(`/api/coverage?days=${days}${scope ? `&scope=${encodeURIComponent(scope)}` : ''}`);
  const select = document.getElementById('coverage-scope');
  if (select.options.length !== d.scopes.length + 1) {
    select.replaceChildren(
      h('option', { value: '' }, 'every dataset'),
      ...d.scopes.map((s) => h('option', { value: s }, s)),
    );
    select.value = scope;
  }
  const labels = d.series.map((s) => `${s.dataset} ${s.market} ${s.instrument} ${s.interval}`);
  const cells = [];
  d.series.forEach((s, y) => s.states.forEach((st, x) => cells.push([x, y, STATES.indexOf(st), s.missing[x]])));
  const c = chart('coverage-chart');
  document.getElementById('coverage-chart').style.height = `${Math.max(180, 110 + 20 * labels.length)}px`;
  c.resize();
  c.setOption(
    {
      backgroundColor: 'transparent',
      animation: false,
      grid: { left: 260, right: 16, top: 8, bottom: 90 },
      tooltip: {
        formatter: (p) => {
          const [x, y, state, missing] = p.data;
          return `${esc(labels[y])}<br>${d.days[x]}: ${STATES[state]}${missing ? ` (${missing} missing)` : ''}`;
        },
      },
      xAxis: { type: 'category', data: d.days, axisLabel: { rotate: 45 } },
      yAxis: { type: 'category', data: labels, inverse: true },
      visualMap: {
        type: 'piecewise',
        dimension: 2,
        orient: 'horizontal',
        left: 'center',
        bottom: 0,
        pieces: STATES.map((s, i) => ({ value: i, label: s, color: STATE_COLORS[s] })),
        textStyle: { color: '#d8dee6' },
      },
      series: [{ type: 'heatmap', data: cells, itemStyle: { borderColor: '#171d24', borderWidth: 1 } }],
    },
    true,
  );
  c.off('click');
  c.on('click', (p) => {
    const [x, y] = p.data;
    const s = d.series[y];
    if (s.states[x] !== 'holes') return;
    const cmd = s.repairs[d.days[x]];
    document
      .getElementById('coverage-picked')
      .replaceChildren(
        h('span', { class: 'dim' }, `${labels[y]} ${d.days[x]}: ${s.missing[x]} missing`),
        copyable(cmd, 'repair-picked'),
      );
  });
  const holed = d.series.filter((s) => s.repair);
  const holes = holed.reduce((n, s) => n + s.missing.reduce((a, b) => a + b, 0), 0);
  chip('holes', holes ? plural(holes, 'missing period') : 'no holes', holes ? 'holes' : 'fresh');
  body('coverage').replaceChildren(
    h('div', { id: 'coverage-picked' }, h('span', { class: 'dim' }, 'click a red day for its repair command')),
    d.truncated ? h('p', { class: 'dim' }, `${d.truncated} more series: pick a dataset`) : null,
    holed.length
      ? table(
          ['series', 'missing', 'first hole', 'repair'],
          holed.map((s) =>
            h(
              'tr',
              { 'data-hole': `${s.source}/${s.dataset}/${s.market}/${s.instrument}/${s.interval}` },
              h('td', {}, `${s.dataset} ${s.market} ${s.instrument} ${s.interval}`),
              num(s.missing.reduce((a, b) => a + b, 0)),
              h('td', {}, d.days[s.states.indexOf('holes')]),
              h('td', {}, copyable(s.repair, 'repair-command')),
            ),
          ),
          { 'data-testid': 'holes' },
        )
      : h('p', { class: 'dim', 'data-testid': 'holes' }, 'no holes in these days'),
  );
}

/** The last `minutes` minutes up to `asOf` (the database's clock), as ISO strings. */
function minuteAxis(minutes, asOf) {
  const end = Math.floor(Date.parse(asOf) / 60000) * 60000;
  const out = [];
  for (let t = end - (minutes - 1) * 60000; t <= end; t += 60000) out.push(new Date(t).toISOString());
  return out;
}

async function loadThroughput() {
  const d = await getJson('/api/throughput?minutes=360');
  const axis = minuteAxis(d.minutes, d.asOf);
  const index = new Map(axis.map((t, i) => [t, i]));
  const per = new Map();
  for (const p of d.points) {
    const k = `${p.source}/${p.dataset}`;
    if (!per.has(k)) per.set(k, new Array(axis.length).fill(0));
    const i = index.get(p.minute);
    if (i !== undefined) per.get(k)[i] = p.rows;
  }
  chart('throughput-chart').setOption(
    {
      backgroundColor: 'transparent',
      color: PALETTE,
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { top: 0, textStyle: { color: '#d8dee6' } },
      grid: { left: 60, right: 16, top: 30, bottom: 30 },
      xAxis: { type: 'category', data: axis.map((t) => t.slice(11, 16)) },
      yAxis: { type: 'value', name: 'rows/min' },
      series: [...per].map(([name, data]) => ({
        name,
        type: 'line',
        stack: 'rows',
        areaStyle: {},
        showSymbol: false,
        data,
      })),
    },
    true,
  );
}

async function loadBudget() {
  const d = await getJson('/api/budget');
  const windows = d.windows.filter((w) => w.limit);
  chart('budget-chart').setOption(
    {
      backgroundColor: 'transparent',
      animation: false,
      tooltip: {
        trigger: 'axis',
        formatter: (ps) =>
          ps
            .map((p) => {
              const w = windows[p.dataIndex];
              return `${esc(w.source)} ${w.window}: ${p.seriesName} ${Number(p.data.raw).toLocaleString('en')} of ${w.limit.toLocaleString('en')}`;
            })
            .join('<br>'),
      },
      legend: { top: 0, textStyle: { color: '#d8dee6' } },
      grid: { left: 130, right: 24, top: 30, bottom: 24 },
      xAxis: { type: 'value', max: 100, axisLabel: { formatter: '{value}%' } },
      yAxis: { type: 'category', data: windows.map((w) => `${w.source} ${w.window}`), inverse: true },
      series: [
        {
          name: 'used',
          type: 'bar',
          color: '#58a6ff',
          data: windows.map((w) => ({ value: (100 * w.used) / w.limit, raw: w.used })),
        },
        {
          name: 'syncs need',
          type: 'bar',
          color: '#d29922',
          data: windows.map((w) => ({ value: Math.min(100, (100 * w.syncNeed) / w.limit), raw: w.syncNeed })),
        },
      ],
    },
    true,
  );
  const active = d.pauses.filter((p) => p.active);
  chip('paused', active.length ? `${plural(active.length, 'source')} paused` : null, 'paused');
  body('budget').replaceChildren(
    table(
      ['source', 'window', 'used', 'limit', 'syncs need', 'resets'],
      d.windows.map((w) =>
        h(
          'tr',
          {},
          h('td', {}, w.source),
          h('td', {}, w.window),
          num(w.used),
          num(w.limit),
          num(w.syncNeed),
          h('td', {}, when(w.resetsAt)),
        ),
      ),
    ),
    h(
      'p',
      { class: 'dim' },
      'limits: ' +
        Object.entries(d.limitsFrom)
          .map(([s, f]) => `${s} from ${f}`)
          .join('; '),
    ),
    d.pauses.length
      ? table(
          ['source', 'state', 'until', 'cause', 'set by'],
          d.pauses.map((p) =>
            h(
              'tr',
              {},
              h('td', {}, p.key),
              h('td', {}, badge(p.active ? 'paused' : 'ended', p.active ? 'paused' : 'completed')),
              h('td', {}, when(p.pausedUntil)),
              h('td', {}, p.reason),
              h('td', {}, p.setBy),
            ),
          ),
          { 'data-testid': 'pauses' },
        )
      : h('p', { class: 'dim', 'data-testid': 'pauses' }, 'no pause recorded'),
    d.syncs.length
      ? table(
          ['sync', 'series', 'calls/tick', 'every', 'lagging'],
          d.syncs.map((s) =>
            h(
              'tr',
              {},
              h('td', {}, `${s.source} ${s.dataset} ${s.interval}`),
              num(s.series),
              num(s.callsPerTick),
              h('td', { class: 'num' }, age(s.everySeconds)),
              num(s.lagging),
            ),
          ),
        )
      : null,
  );
}

function workflowRows(rows) {
  return rows.map((w) =>
    h(
      'tr',
      {},
      h('td', {}, w.type),
      h(
        'td',
        {},
        w.url
          ? h('a', { href: w.url, target: '_blank', rel: 'noopener', 'data-testid': 'workflow-link' }, w.workflowId)
          : w.workflowId,
      ),
      h('td', {}, badge(w.pausedUntil ? 'paused' : w.status, w.pausedUntil ? 'paused' : w.status)),
      h('td', { class: 'num' }, w.percent === null ? '' : `${w.percent}%`),
      h('td', {}, [w.source, w.dataset].filter(Boolean).join(' ')),
      h('td', {}, when(w.startTime)),
      h('td', {}, when(w.closeTime)),
    ),
  );
}

async function loadWorkflows() {
  const d = await getJson('/api/workflows');
  const headers = ['type', 'workflow', 'status', 'done', 'source', 'started', 'closed'];
  chip('failed', d.failed.length ? plural(d.failed.length, 'failed workflow') : null, 'failed');
  body('workflows').replaceChildren(
    h('p', { class: 'dim' }, `running: ${d.running.length}${d.uiUrl ? '' : ' (set the Temporal UI URL for links)'}`),
    d.running.length ? table(headers, workflowRows(d.running), { 'data-testid': 'workflows-running' }) : null,
    h('p', { class: 'dim' }, `failed, timed out or terminated in the last ${d.failedSinceHours} h: ${d.failed.length}`),
    d.failed.length ? table(headers, workflowRows(d.failed), { 'data-testid': 'workflows-failed' }) : null,
    d.more ? h('p', { class: 'dim' }, 'more than shown: filter in the Temporal UI') : null,
  );
}

async function loadQuarantine() {
  const d = await getJson('/api/quarantine?hours=168');
  const hours = [...new Set(d.buckets.map((b) => b.hour))].sort();
  const reasons = [...new Set(d.buckets.map((b) => `${b.dataset}: ${b.reason}`))];
  chart('quarantine-chart').setOption(
    {
      backgroundColor: 'transparent',
      color: PALETTE,
      animation: false,
      tooltip: { trigger: 'axis' },
      legend: { top: 0, type: 'scroll', textStyle: { color: '#d8dee6' } },
      grid: { left: 50, right: 16, top: 30, bottom: 30 },
      xAxis: { type: 'category', data: hours.map((t) => t.slice(5, 13).replace('T', ' ') + 'h') },
      yAxis: { type: 'value', name: 'rows' },
      series: reasons.map((r) => ({
        name: r,
        type: 'bar',
        stack: 'q',
        data: hours.map((t) =>
          d.buckets.filter((b) => b.hour === t && `${b.dataset}: ${b.reason}` === r).reduce((n, b) => n + b.rows, 0),
        ),
      })),
    },
    true,
  );
  chip(
    'quarantine',
    d.buckets.length
      ? `${plural(
          d.buckets.reduce((n, b) => n + b.rows, 0),
          'row',
        )} quarantined (7 d)`
      : null,
    'never',
  );
  body('quarantine').replaceChildren(
    h('p', { class: 'dim' }, `${d.total.toLocaleString('en')} quarantined rows in all; the latest:`),
    d.recent.length
      ? table(
          ['first seen', 'series', 'period', 'reason', 'raw'],
          d.recent.map((q) =>
            h(
              'tr',
              {},
              h('td', {}, when(q.firstSeenAt)),
              h('td', {}, `${q.dataset} ${q.market} ${q.instrument} ${q.interval || ''}`),
              h('td', {}, when(q.ts)),
              h('td', {}, q.reason),
              h('td', {}, h('pre', {}, q.raw)),
            ),
          ),
          { 'data-testid': 'quarantine-recent' },
        )
      : h('p', { class: 'dim' }, 'nothing quarantined'),
  );
}

async function loadDrift() {
  const d = await getJson('/api/drift');
  body('drift').replaceChildren(
    d.length
      ? table(
          ['first seen', 'source', 'dataset', 'field', 'sample'],
          d.map((e) =>
            h(
              'tr',
              {},
              h('td', {}, when(e.firstSeenAt)),
              h('td', {}, e.source),
              h('td', {}, e.dataset),
              h('td', {}, h('code', {}, e.field)),
              h('td', {}, h('pre', {}, e.sample || '')),
            ),
          ),
          { 'data-testid': 'drift-events' },
        )
      : h('p', { class: 'dim' }, 'no unknown field seen'),
  );
}

async function loadReconcile() {
  const d = await getJson('/api/reconcile');
  chip(
    'reconcile',
    d.open ? plural(d.open, 'disagreement between sources', 'disagreements between sources') : null,
    'stale',
  );
  const last = d.runs[0];
  body('reconcile').replaceChildren(
    h(
      'p',
      { class: 'dim' },
      last
        ? `last run ${when(last.asOf)}: ${last.pairs} pairs, ${last.compared} periods compared, ${last.disagreements} disagreements; open now: ${d.open}`
        : 'no reconciliation run yet (config key `reconcile`, or `crypto-ingest reconcile`)',
    ),
    d.diffs.length
      ? table(
          ['period', 'series', 'column', 'left', 'right', 'difference', 'tolerance'],
          d.diffs.map((x) =>
            h(
              'tr',
              {},
              h('td', {}, when(x.ts)),
              h('td', {}, `${x.market} ${x.instrument} ${x.interval}: ${x.left} vs ${x.right}`),
              h('td', {}, x.column),
              num(x.leftValue),
              num(x.rightValue),
              h('td', { class: 'num' }, `${(100 * x.relativeDiff).toFixed(3)}%`),
              h('td', { class: 'num' }, `${(100 * x.tolerance).toFixed(3)}%`),
            ),
          ),
          { 'data-testid': 'reconcile-diffs' },
        )
      : null,
  );
}

const PANELS = {
  freshness: loadFreshness,
  coverage: loadCoverage,
  throughput: loadThroughput,
  budget: loadBudget,
  workflows: loadWorkflows,
  quarantine: loadQuarantine,
  drift: loadDrift,
  reconcile: loadReconcile,
};

async function refresh() {
  const results = await Promise.allSettled(
    Object.entries(PANELS).map(([id, load]) =>
      load().then(
        () => document.getElementById(id).removeAttribute('data-error'),
        (err) => {
          document.getElementById(id).setAttribute('data-error', err.message);
          fail(id, err);
          throw err;
        },
      ),
    ),
  );
  const failed = results.filter((r) => r.status === 'rejected').length;
  document.getElementById('as-of').textContent =
    `updated ${new Date().toISOString().slice(11, 19)}Z${failed ? ` · ${failed} panel(s) failed` : ''}`;
  document.body.dataset.loaded = String(Date.now());
}

async function start() {
  config = await getJson('/api/config').catch(() => config);
  if (config.database)
    document.getElementById('reader').textContent =
      `reads as ${config.database.user}${config.database.read_only === 'on' ? ' (read-only)' : ''}`;
  document
    .getElementById('coverage-scope')
    .addEventListener('change', () => loadCoverage().catch((e) => fail('coverage', e)));
  document
    .getElementById('coverage-days')
    .addEventListener('change', () => loadCoverage().catch((e) => fail('coverage', e)));
  await refresh();
  setInterval(() => {
    if (document.getElementById('auto').checked && !document.hidden) void refresh();
  }, 30000);
}

void start();
