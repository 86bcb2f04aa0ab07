// The results page: a plain ES module, no build step. Two hash routes: `#/` (sweeps and the submit
// form) and `#/sweeps/<id>` (progress, results table, equity chart, heatmap). Everything comes from
// the JSON API next to it; the bearer token, when the API wants one, is asked once and kept in
// localStorage.

const main = document.getElementById('main');
const POLL_MS = 1500;
/** Looks for a completed optimization's statistics while they are being computed: a minute. */
const STATISTICS_LOOKS = 40;
/** Metrics that are fractions (0.12 = 12 %), shown as percent. */
const PERCENT = new Set(['total_return', 'cagr', 'max_drawdown', 'win_rate', 'exposure']);
const TABLE_METRICS = ['total_return', 'cagr', 'sharpe_ratio', 'sortino_ratio', 'max_drawdown', 'calmar_ratio', 'win_rate', 'profit_factor', 'total_trades', 'expectancy', 'exposure', 'sqn'];
const ALL_METRICS = ['final_equity', ...TABLE_METRICS, 'avg_trade_duration'];
const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#ca8a04', '#db2777', '#4b5563', '#65a30d'];

let pollTimer = null;
let charts = [];

// ---------- API ----------

class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
  }
}

function authHeaders() {
  const token = localStorage.getItem('sweeplab-token');
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/** fetch with the stored token; on 401 asks for a token once and retries. */
async function request(path, init = {}, retried = false) {
  const res = await fetch(path, { ...init, headers: { ...(init.headers ?? {}), ...authHeaders() } });
  if (res.status === 401 && !retried) {
    const token = window.prompt('This sweeplab API needs a token (SWEEPLAB_API_TOKEN):');
    if (token) {
      localStorage.setItem('sweeplab-token', token.trim());
      return request(path, init, true);
    }
  }
  return res;
}

async function api(path, init) {
  const res = await request(path, init);
  const body = await res.json().catch(() => null);
  if (!res.ok) throw new ApiError(res.status, body);
  return body;
}

// ---------- helpers ----------

function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'testid') el.dataset.testid = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const child of children.flat()) if (child !== null && child !== undefined) el.append(child instanceof Node ? child : String(child));
  return el;
}

function fmtMetric(name, v) {
  if (v === null || v === undefined) return '—';
  if (PERCENT.has(name)) return `${(v * 100).toFixed(2)} %`;
  if (name === 'total_trades') return String(v);
  if (name === 'final_equity') return v.toLocaleString('en-US', { maximumFractionDigits: 2 });
  return Math.abs(v) >= 100 ? v.toFixed(1) : v.toFixed(3);
}

function fmtDuration(s) {
  if (s === null || s === undefined || !Number.isFinite(s)) return '—';
  if (s < 60) return `${Math.round(s)} s`;
  if (s < 3600) return `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`;
  return `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min`;
}

function paramText(params) {
  return Object.entries(params ?? {})
    .map(([k, v]) => (k === 'variant' ? String(v) : `${k}=${v}`))
    .join(' ');
}

function kindText(kind) {
  return { optimization: 'optimization', variant_test: 'variant test', walk_forward: 'walk-forward' }[kind] ?? kind;
}

function pct(view) {
  return view.total ? Math.floor(((view.done + view.failed) / view.total) * 100) : view.status === 'completed' ? 100 : 0;
}

function progressBar(view) {
  const p = pct(view);
  const failedShare = view.total ? (view.failed / view.total) * 100 : 0;
  return h(
    'div',
    { class: 'progress', testid: 'progress-bar', 'data-pct': String(p), role: 'progressbar', 'aria-valuenow': String(p), 'aria-valuemin': '0', 'aria-valuemax': '100' },
    h('div', { class: 'progress-done', style: `width:${Math.max(0, p - failedShare)}%` }),
    h('div', { class: 'progress-failed', style: `width:${failedShare}%` }),
  );
}

function statusBadge(status) {
  return h('span', { class: `badge badge-${status}`, testid: 'sweep-status' }, status);
}

function running(view) {
  return view.status === 'running' || view.status === 'paused';
}

function stopPolling() {
  clearTimeout(pollTimer);
  pollTimer = null;
}

function destroyCharts() {
  for (const c of charts) c.destroy();
  charts = [];
}

// ---------- list ----------

async function renderList() {
  const listBox = h('div', { testid: 'sweep-list' }, h('p', { class: 'muted' }, 'Loading…'));
  main.replaceChildren(h('section', { class: 'card' }, h('h2', {}, 'Sweeps'), listBox), submitForm());

  const refresh = async () => {
    try {
      const { rows, total } = await api('/api/sweeps?limit=100');
      listBox.replaceChildren(sweepTable(rows, total));
      if (rows.some(running)) pollTimer = setTimeout(refresh, POLL_MS);
    } catch (err) {
      listBox.replaceChildren(h('p', { class: 'error' }, err.message));
    }
  };
  await refresh();
}

function sweepTable(rows, total) {
  if (rows.length === 0) return h('p', { class: 'muted' }, 'No sweeps yet. Submit one below.');
  return h(
    'div',
    {},
    h(
      'table',
      { class: 'grid' },
      h('thead', {}, h('tr', {}, h('th', {}, 'Name'), h('th', {}, 'Kind'), h('th', {}, 'Status'), h('th', { class: 'wide' }, 'Progress'), h('th', { class: 'num' }, 'Done'), h('th', { class: 'num' }, 'Rate'), h('th', {}, 'Best'))),
      h(
        'tbody',
        {},
        rows.map((v) =>
          h(
            'tr',
            { testid: `sweep-row-${v.id}` },
            h('td', {}, h('a', { href: `#/sweeps/${encodeURIComponent(v.id)}` }, v.name), h('div', { class: 'muted small' }, v.id)),
            h('td', {}, kindText(v.kind)),
            h('td', {}, statusBadge(v.status)),
            h('td', {}, progressBar(v)),
            h('td', { class: 'num' }, `${v.done + v.failed} / ${v.total}`),
            h('td', { class: 'num' }, v.rate === null ? '—' : `${v.rate.toFixed(1)}/s`),
            h('td', {}, v.best ? `${fmtMetric(v.primary_metric, v.best.value)} (${paramText(v.best.params)})` : '—'),
          ),
        ),
      ),
    ),
    total > rows.length ? h('p', { class: 'muted' }, `${rows.length} of ${total} shown`) : null,
  );
}

function submitForm() {
  const kind = h('select', { testid: 'submit-kind', name: 'kind' }, h('option', { value: 'optimizations' }, 'Optimization'), h('option', { value: 'variant-tests' }, 'Variant test'), h('option', { value: 'walk-forwards' }, 'Walk-forward'));
  const path = h('input', { type: 'text', testid: 'submit-path', placeholder: 'optimization.yaml', class: 'path' });
  const yaml = h('textarea', { testid: 'submit-yaml', rows: '12', spellcheck: 'false', placeholder: 'optimization_config:\n  name: …\n  base_operation: operation.yaml   # paths start at the workspace root\n  …' });
  const file = h('input', {
    type: 'file',
    accept: '.yaml,.yml',
    testid: 'submit-file',
    onchange: async () => {
      if (file.files?.[0]) yaml.value = await file.files[0].text();
    },
  });
  const error = h('pre', { class: 'error', testid: 'submit-error', hidden: true });
  const button = h('button', { type: 'submit', testid: 'submit-button', class: 'primary' }, 'Start');
  const form = h(
    'form',
    {
      class: 'card',
      testid: 'submit-form',
      onsubmit: async (e) => {
        e.preventDefault();
        error.hidden = true;
        button.disabled = true;
        try {
          const pasted = yaml.value.trim() !== '';
          const init = pasted
            ? { method: 'POST', headers: { 'Content-Type': 'application/yaml' }, body: yaml.value }
            : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ path: path.value.trim() }) };
          const { id } = await api(`/api/${kind.value}`, init);
          location.hash = `#/sweeps/${encodeURIComponent(id)}`;
        } catch (err) {
          error.textContent = err.message;
          error.hidden = false;
        } finally {
          button.disabled = false;
        }
      },
    },
    h('h2', {}, 'Start a sweep'),
    h('div', { class: 'row' }, h('label', {}, 'Kind ', kind), h('label', { class: 'grow' }, 'Workspace file ', path)),
    h('label', { class: 'block' }, 'or paste / upload the YAML document ', file),
    yaml,
    h('div', { class: 'row' }, button),
    error,
  );
  return form;
}

// ---------- one sweep ----------

async function renderSweep(id) {
  const state = { id, view: null, sort: null, order: null, limit: 50, offset: 0, filter: '', rows: [], total: 0, params: [], selected: new Set(), shownDone: -1 };
  const header = h('section', { class: 'card', testid: 'sweep-header' }, h('p', { class: 'muted' }, 'Loading…'));
  const results = h('section', { class: 'card', testid: 'results' });
  const chart = h('section', { class: 'card', testid: 'chart-card' });
  const heat = h('section', { class: 'card', testid: 'heatmap-card' });
  const robust = h('section', { class: 'card', testid: 'robustness', hidden: true });
  main.replaceChildren(header, robust, chart, results, heat);
  let statisticsShown = false;

  const poll = async () => {
    try {
      state.view = await api(`/api/sweeps/${encodeURIComponent(id)}`);
    } catch (err) {
      header.replaceChildren(h('p', { class: 'error' }, err.message), h('a', { href: '#/' }, '← all sweeps'));
      return;
    }
    if (state.view.kind === 'walk_forward') return renderWalkForward(header, state);
    renderHeader(header, state);
    const finished = state.view.done + state.view.failed;
    // Table, chart and heatmap follow the stored results: redraw when more operations finished.
    if (finished !== state.shownDone) {
      state.shownDone = finished;
      await loadResults(results, chart, heat, state);
    }
    // The statistics are computed right after an optimization completes, by a workflow of their own:
    // look once on opening, and after the end until they are there (for a minute at most).
    let waitForStatistics = false;
    if (state.view.kind === 'optimization' && (!statisticsShown || !running(state.view))) {
      statisticsShown = true;
      state.statisticsLooks = running(state.view) ? 0 : (state.statisticsLooks ?? 0) + 1;
      const found = await loadStatistics(robust, state);
      waitForStatistics = !found && !running(state.view) && state.statisticsLooks < STATISTICS_LOOKS;
    }
    if (running(state.view) || waitForStatistics) pollTimer = setTimeout(poll, POLL_MS);
  };
  await poll();
}

// ---------- robustness statistics (docs/metrics.md) ----------

async function loadStatistics(box, state, compute = false) {
  const url = `/api/sweeps/${encodeURIComponent(state.id)}/statistics`;
  let statistics = null;
  try {
    statistics = await api(url, compute ? { method: 'POST' } : undefined);
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 404) || compute) {
      box.hidden = false;
      box.replaceChildren(h('h2', {}, 'How far to trust the best row'), h('p', { class: 'error', testid: 'robustness-error' }, err.message));
      return false;
    }
  }
  box.hidden = false;
  const button = h(
    'button',
    {
      testid: 'btn-statistics',
      onclick: async () => {
        button.disabled = true;
        button.textContent = 'Computing…';
        await loadStatistics(box, state, true);
      },
    },
    statistics ? 'Recompute now' : 'Compute now',
  );
  const head = h('div', { class: 'row spread' }, h('h2', {}, 'How far to trust the best row'), button);
  if (!statistics) {
    const text = running(state.view)
      ? 'DSR, PBO, neighbourhood stability and a Monte Carlo of the best’s trades are computed when the optimization completes; “Compute now” gives them for the rows so far.'
      : state.statisticsLooks < STATISTICS_LOOKS
        ? 'The optimization has completed; its statistics are being computed now and appear here in a moment.'
        : 'No statistics are stored for this sweep (it ended before they were computed, or computing them failed): “Compute now” computes them.';
    box.replaceChildren(head, h('p', { class: 'muted', testid: 'robustness-pending' }, text));
    return false;
  }
  const when = `${statistics.partial ? 'computed while running (figures will change), ' : ''}${statistics.computed_at.replace('T', ' ').replace(/\..*$/, '')} UTC · ${statistics.elapsed_ms} ms`;
  const names = ['pbo', 'dsr', 'neighbourhood', 'monte-carlo'];
  box.replaceChildren(
    head,
    statistics.best ? h('p', { class: 'muted small' }, `best: #${statistics.best.idx} ${paramText(statistics.best.params)} · ${statistics.primary_metric} ${fmtMetric(statistics.primary_metric, statistics.best.value)} · ${when}`) : null,
    h('ul', { class: 'readings' }, statistics.readings.map((r, i) => h('li', { testid: `reading-${names[i]}` }, r))),
    h('div', { class: 'robust-grid' }, logitHistogram(statistics.pbo), neighbourTable(statistics), monteCarloTable(statistics.monte_carlo)),
  );
  return true;
}

function logitHistogram(pbo) {
  if ('reason' in pbo) return null;
  const most = Math.max(...pbo.logit_histogram.map((b) => b.count));
  return h(
    'figure',
    { class: 'hist', testid: 'logit-histogram' },
    h('div', { class: 'hist-bars' }, pbo.logit_histogram.map((b) => h('div', { class: `hist-bar${b.to <= 0 ? ' overfit' : ''}`, style: `height:${Math.max(1, (b.count / most) * 100)}%`, title: `λ ${b.from.toFixed(2)} … ${b.to.toFixed(2)}: ${b.count}` }))),
    h('figcaption', { class: 'muted small' }, `logits λ of ${pbo.evaluated.toLocaleString()} splits (${pbo.blocks} blocks${pbo.sampled ? ', sampled' : ''}); red: λ ≤ 0, the IS winner below the OOS median`),
  );
}

function neighbourTable(statistics) {
  if (!statistics.neighbourhood.length) return null;
  const m = statistics.primary_metric;
  return h(
    'table',
    { class: 'grid', testid: 'neighbourhood' },
    h('thead', {}, h('tr', {}, h('th', {}, 'top rows'), h('th', { class: 'num' }, m), h('th', { class: 'num' }, 'neighbours'), h('th', { class: 'num' }, 'mean'), h('th', { class: 'num' }, 'min'), h('th', { class: 'num' }, 'kept'))),
    h(
      'tbody',
      {},
      statistics.neighbourhood.map((r) =>
        h('tr', {}, h('td', {}, paramText(r.params)), h('td', { class: 'num' }, fmtMetric(m, r.value)), h('td', { class: 'num' }, String(r.neighbours.length)), h('td', { class: 'num' }, fmtMetric(m, r.mean)), h('td', { class: 'num' }, fmtMetric(m, r.min)), h('td', { class: 'num' }, r.retained === null ? '—' : `${Math.round(r.retained * 100)} %`)),
      ),
    ),
  );
}

function monteCarloTable(mc) {
  if ('reason' in mc) return null;
  const q = (p, f) => ['p5', 'p25', 'p50', 'p75', 'p95'].map((k) => h('td', { class: 'num' }, f(p[k])));
  const dd = (x) => `${(x * 100).toFixed(1)} %`;
  const eq = (x) => x.toFixed(0);
  return h(
    'table',
    { class: 'grid', testid: 'monte-carlo' },
    h('thead', {}, h('tr', {}, h('th', {}, `${mc.paths} paths, ${mc.trades} trades`), ...['p5', 'p25', 'p50', 'p75', 'p95'].map((k) => h('th', { class: 'num' }, k)))),
    h(
      'tbody',
      {},
      h('tr', {}, h('td', {}, 'max drawdown, reshuffled'), ...q(mc.shuffled.max_drawdown, dd)),
      h('tr', {}, h('td', {}, 'max drawdown, bootstrap'), ...q(mc.bootstrap.max_drawdown, dd)),
      h('tr', {}, h('td', {}, 'final equity, bootstrap'), ...q(mc.bootstrap.final_equity, eq)),
    ),
  );
}

function renderHeader(box, state) {
  const v = state.view;
  const control = (action, enabled) =>
    h(
      'button',
      {
        testid: `btn-${action}`,
        disabled: !enabled,
        onclick: async () => {
          try {
            state.view = await api(`/api/sweeps/${encodeURIComponent(v.id)}/${action}`, { method: 'POST' });
            renderHeader(box, state);
            stopPolling();
            route();
          } catch (err) {
            alert(err.message);
          }
        },
      },
      action[0].toUpperCase() + action.slice(1),
    );
  box.replaceChildren(
    h('div', { class: 'row spread' }, h('div', {}, h('a', { href: '#/', class: 'muted small' }, '← all sweeps'), h('h2', { testid: 'sweep-name' }, v.name, ' ', statusBadge(v.status)), h('div', { class: 'muted small' }, `${kindText(v.kind)} · ${v.id}`)), h('div', { class: 'row' }, control('pause', v.status === 'running'), control('resume', v.status !== 'running' && v.status !== 'completed'), control('cancel', running(v)), v.links.temporal_ui ? h('a', { href: v.links.temporal_ui, target: '_blank', rel: 'noopener', testid: 'temporal-link', class: 'button' }, 'Temporal UI ↗') : null)),
    progressBar(v),
    h(
      'div',
      { class: 'stats', testid: 'progress-text' },
      h('span', {}, h('b', {}, `${pct(v)} %`), ` ${v.done} done · ${v.failed} failed · ${v.running} running · ${v.total} total`),
      h('span', {}, `rate ${v.rate === null ? '—' : `${v.rate.toFixed(1)} ops/s`}`),
      h('span', {}, `ETA ${fmtDuration(v.eta_s)}`),
      h('span', {}, `best ${v.primary_metric} `, v.best ? h('b', {}, fmtMetric(v.primary_metric, v.best.value)) : '—', v.best ? ` (${paramText(v.best.params)})` : ''),
    ),
    // Why the figures are the store's (Temporal unreachable, or no worker answered), said as a fact.
    ...(v.note ? [h('p', { class: 'muted small', testid: 'note' }, v.note)] : []),
    ...(v.errors.length ? [h('details', { class: 'errors' }, h('summary', {}, `${v.errors.length} distinct errors`), h('ul', {}, v.errors.map((e) => h('li', {}, e))))] : []),
  );
}

function resultsUrl(state, format) {
  const q = new URLSearchParams();
  if (state.sort) q.set('sort', state.sort);
  if (state.order) q.set('order', state.order);
  if (state.filter) q.set('filter', state.filter);
  if (format === 'csv') q.set('format', 'csv');
  else {
    q.set('limit', String(state.limit));
    q.set('offset', String(state.offset));
  }
  return `/api/sweeps/${encodeURIComponent(state.id)}/results?${q}`;
}

async function loadResults(resultsBox, chartBox, heatBox, state) {
  await loadTable(resultsBox, chartBox, state);
  await loadChart(chartBox, state);
  if (state.view.kind === 'optimization' && state.params.length >= 2 && !heatBox.dataset.ready) await renderHeatmap(heatBox, state);
  else if (heatBox.dataset.ready) heatBox.dispatchEvent(new Event('refresh'));
  if (state.view.kind !== 'optimization') heatBox.hidden = true;
}

async function loadTable(box, chartBox, state) {
  state.sort ??= state.view.primary_metric;
  let page;
  try {
    page = await api(resultsUrl(state));
  } catch (err) {
    box.replaceChildren(h('h2', {}, 'Results'), filterBar(box, chartBox, state), h('p', { class: 'error', testid: 'results-error' }, err.message));
    return;
  }
  state.rows = page.rows;
  state.total = page.total;
  if (page.rows.length && state.params.length === 0) state.params = Object.keys(page.rows[0].params);
  const primary = state.view.primary_metric;
  const metrics = [primary, ...TABLE_METRICS.filter((m) => m !== primary)];
  const columns = [{ field: 'idx', label: '#' }, ...state.params.map((p) => ({ field: p, label: p, param: true })), ...metrics.map((m) => ({ field: m, label: m.replace(/_/g, ' '), metric: true })), { field: 'status', label: 'status' }];

  const header = h(
    'tr',
    {},
    h('th', { class: 'check' }, ''),
    columns.map((c) => {
      const active = state.sort === c.field;
      const arrow = active ? (effectiveOrder(state, c) === 'asc' ? ' ▲' : ' ▼') : '';
      return h(
        'th',
        {
          class: `${c.metric || c.field === 'idx' ? 'num' : ''} sortable ${active ? 'active' : ''}`,
          testid: `th-${c.field}`,
          'data-order': active ? effectiveOrder(state, c) : undefined,
          title: `sort by ${c.field}`,
          onclick: () => {
            if (state.sort === c.field) state.order = effectiveOrder(state, c) === 'asc' ? 'desc' : 'asc';
            else {
              state.sort = c.field;
              state.order = c.metric ? 'desc' : 'asc';
            }
            state.offset = 0;
            loadTable(box, chartBox, state);
          },
        },
        c.label,
        arrow,
      );
    }),
  );
  const body = h(
    'tbody',
    {},
    state.rows.map((r) =>
      h(
        'tr',
        { testid: `result-row-${r.idx}`, class: r.status === 'failed' ? 'failed' : '' },
        h(
          'td',
          { class: 'check' },
          h('input', {
            type: 'checkbox',
            testid: `select-${r.idx}`,
            checked: state.selected.has(r.hash),
            title: 'show in the chart',
            onchange: (e) => {
              if (e.target.checked) state.selected.add(r.hash);
              else state.selected.delete(r.hash);
              loadChart(chartBox, state);
            },
          }),
        ),
        columns.map((c) => {
          if (c.field === 'idx') return h('td', { class: 'num' }, r.idx);
          if (c.param) return h('td', {}, String(r.params[c.field] ?? ''));
          if (c.metric) return h('td', { class: 'num', 'data-field': c.field, 'data-value': r.metrics?.[c.field] ?? '' }, fmtMetric(c.field, r.metrics?.[c.field]));
          return h('td', { title: r.error ?? '' }, r.status === 'failed' ? `failed: ${r.error ?? ''}` : 'done');
        }),
      ),
    ),
  );
  const from = state.total === 0 ? 0 : state.offset + 1;
  const to = Math.min(state.offset + state.limit, state.total);
  const pager = h(
    'div',
    { class: 'row spread' },
    h(
      'div',
      { class: 'row' },
      h('button', { testid: 'page-prev', disabled: state.offset === 0, onclick: () => ((state.offset = Math.max(0, state.offset - state.limit)), loadTable(box, chartBox, state)) }, '‹ Prev'),
      h('span', { testid: 'page-info', class: 'muted' }, `${from}–${to} of ${state.total}`),
      h('button', { testid: 'page-next', disabled: to >= state.total, onclick: () => ((state.offset += state.limit), loadTable(box, chartBox, state)) }, 'Next ›'),
    ),
    h('a', { href: resultsUrl(state, 'csv'), testid: 'csv-link', class: 'button', onclick: (e) => downloadCsv(e, state) }, 'Download CSV'),
  );
  box.replaceChildren(h('h2', {}, 'Results'), filterBar(box, chartBox, state), h('div', { class: 'scroll' }, h('table', { class: 'grid results', testid: 'results-table' }, h('thead', {}, header), body)), pager);
}

function effectiveOrder(state, column) {
  return state.order ?? (column.metric ? 'desc' : 'asc');
}

function filterBar(box, chartBox, state) {
  const input = h('input', { type: 'text', testid: 'filter-input', value: state.filter, placeholder: 'sharpe_ratio>1,fast=10', class: 'grow' });
  const apply = () => {
    state.filter = input.value.trim();
    state.offset = 0;
    loadTable(box, chartBox, state);
  };
  input.addEventListener('keydown', (e) => e.key === 'Enter' && apply());
  return h('div', { class: 'row' }, h('label', { class: 'grow' }, 'Filter ', input), h('button', { testid: 'filter-apply', onclick: apply }, 'Apply'));
}

/** With a token the link cannot carry the header, so the CSV is fetched and handed over as a blob. */
async function downloadCsv(e, state) {
  if (!localStorage.getItem('sweeplab-token')) return;
  e.preventDefault();
  const res = await request(resultsUrl(state, 'csv'));
  const url = URL.createObjectURL(await res.blob());
  const a = h('a', { href: url, download: `${state.id}-results.csv` });
  document.body.append(a);
  a.click();
  a.remove();
  URL.revokeObjectURL(url);
}

// ---------- equity chart ----------

async function loadChart(box, state) {
  const ids = [...state.selected].join(',');
  const url = `/api/sweeps/${encodeURIComponent(state.id)}/equity?points=600${ids ? `&ids=${ids}` : ''}`;
  let data;
  try {
    data = await api(url);
  } catch (err) {
    box.replaceChildren(h('h2', {}, 'Equity'), h('p', { class: 'error' }, err.message));
    return;
  }
  destroyCharts();
  const title = state.selected.size ? `Equity of the ${data.series.length} selected` : state.view.kind === 'optimization' ? `Equity of the top ${data.series.length} by ${state.view.primary_metric}` : 'Equity of every variant';
  const equityBox = h('div', { testid: 'equity-chart', 'data-series': String(data.series.length) });
  const drawdownBox = h('div', { testid: 'drawdown-chart', 'data-series': String(data.series.length) });
  box.replaceChildren(h('h2', {}, title), ...(data.series.length ? [equityBox, drawdownBox] : [h('p', { class: 'muted' }, 'No curves yet.')]));
  if (!data.series.length || !window.uPlot) return;
  const width = Math.max(400, box.clientWidth - 32);
  const t = data.t.map((ms) => ms / 1000);
  const series = data.series.map((s, i) => ({ label: paramText(s.params), stroke: PALETTE[i % PALETTE.length], width: 1.5 }));
  const sync = uPlot.sync(`sweep-${state.id}`);
  const cursor = { sync: { key: sync.key } };
  charts.push(
    new uPlot(
      {
        width,
        height: 300,
        cursor,
        series: [{}, ...series.map((s) => ({ ...s, value: (u, v) => (v === null ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: 0 })) }))],
        axes: [{}, { label: 'equity', size: 70, values: (u, vals) => vals.map((v) => v.toLocaleString('en-US')) }],
      },
      [t, ...data.series.map((s) => s.equity)],
      equityBox,
    ),
    new uPlot(
      {
        width,
        height: 160,
        cursor,
        legend: { show: false },
        series: [{}, ...series],
        axes: [{}, { label: 'drawdown', size: 70, values: (u, vals) => vals.map((v) => `${(v * 100).toFixed(0)} %`) }],
      },
      [t, ...data.series.map((s) => s.drawdown)],
      drawdownBox,
    ),
  );
}

// ---------- heatmap ----------

async function renderHeatmap(box, state) {
  box.dataset.ready = '1';
  const select = (testid, options, value) => h('select', { testid }, options.map((o) => h('option', { value: o, selected: o === value }, o)));
  const x = select('heatmap-x', state.params, state.params[0]);
  const y = select('heatmap-y', state.params, state.params[1]);
  const metric = select('heatmap-metric', ALL_METRICS, state.view.primary_metric);
  const agg = select('heatmap-agg', ['max', 'mean'], 'max');
  const canvas = h('canvas', { testid: 'heatmap-canvas', width: '760', height: '420' });
  const hover = h('div', { class: 'muted', testid: 'heatmap-hover' }, 'Hover a cell for its value.');
  const error = h('p', { class: 'error', hidden: true });
  box.replaceChildren(h('h2', {}, 'Heatmap'), h('div', { class: 'row' }, h('label', {}, 'x ', x), h('label', {}, 'y ', y), h('label', {}, 'metric ', metric), h('label', {}, 'aggregate ', agg)), canvas, hover, error);
  let layout = null;
  const draw = async () => {
    try {
      const q = new URLSearchParams({ x: x.value, y: y.value, metric: metric.value, agg: agg.value });
      const data = await api(`/api/sweeps/${encodeURIComponent(state.id)}/heatmap?${q}`);
      error.hidden = true;
      layout = drawHeatmap(canvas, data);
      canvas.dataset.cells = String(data.cells.length);
    } catch (err) {
      error.textContent = err.message;
      error.hidden = false;
    }
  };
  for (const s of [x, y, metric, agg]) s.addEventListener('change', draw);
  box.addEventListener('refresh', draw);
  canvas.addEventListener('mousemove', (e) => {
    const cell = layout?.at(e.offsetX, e.offsetY);
    hover.textContent = cell ? `${x.value}=${cell.x}, ${y.value}=${cell.y}: ${metric.value} ${fmtMetric(metric.value, cell.value)} (${cell.count} operations)` : 'Hover a cell for its value.';
  });
  await draw();
}

/** Draws the cells with a diverging scale (blue low, red high) and returns a hit-tester. */
function drawHeatmap(canvas, data) {
  const ctx = canvas.getContext('2d');
  const W = canvas.width;
  const H = canvas.height;
  const m = { left: 70, right: 90, top: 16, bottom: 44 };
  ctx.clearRect(0, 0, W, H);
  ctx.font = '12px system-ui, sans-serif';
  const cw = (W - m.left - m.right) / Math.max(1, data.x.length);
  const ch = (H - m.top - m.bottom) / Math.max(1, data.y.length);
  const values = data.cells.map((c) => c.value).filter((v) => v !== null);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const colour = (v) => {
    if (v === null) return '#e5e7eb';
    const f = hi === lo ? 0.5 : (v - lo) / (hi - lo);
    // blue (#2563eb) → white → red (#dc2626)
    const mix = (a, b, t) => Math.round(a + (b - a) * t);
    return f < 0.5 ? `rgb(${mix(37, 255, f * 2)},${mix(99, 255, f * 2)},${mix(235, 255, f * 2)})` : `rgb(${mix(255, 220, (f - 0.5) * 2)},${mix(255, 38, (f - 0.5) * 2)},${mix(255, 38, (f - 0.5) * 2)})`;
  };
  const xi = new Map(data.x.map((v, i) => [String(v), i]));
  const yi = new Map(data.y.map((v, i) => [String(v), i]));
  const grid = new Map();
  for (const c of data.cells) {
    const i = xi.get(String(c.x));
    const j = yi.get(String(c.y));
    grid.set(`${i},${j}`, c);
    ctx.fillStyle = colour(c.value);
    // y grows upwards, as on a chart.
    ctx.fillRect(m.left + i * cw + 1, H - m.bottom - (j + 1) * ch + 1, cw - 2, ch - 2);
  }
  ctx.fillStyle = '#374151';
  ctx.textAlign = 'center';
  data.x.forEach((v, i) => ctx.fillText(String(v), m.left + (i + 0.5) * cw, H - m.bottom + 16));
  ctx.fillText(canvas.ownerDocument.querySelector('[data-testid=heatmap-x]').value, m.left + (W - m.left - m.right) / 2, H - 8);
  ctx.textAlign = 'right';
  data.y.forEach((v, j) => ctx.fillText(String(v), m.left - 8, H - m.bottom - (j + 0.5) * ch + 4));
  // colour scale
  const sx = W - m.right + 24;
  for (let k = 0; k < 100; k++) {
    ctx.fillStyle = colour(lo + ((hi - lo) * k) / 99);
    ctx.fillRect(sx, H - m.bottom - ((k + 1) * (H - m.top - m.bottom)) / 100, 14, (H - m.top - m.bottom) / 100 + 1);
  }
  ctx.fillStyle = '#374151';
  ctx.textAlign = 'left';
  const metric = canvas.ownerDocument.querySelector('[data-testid=heatmap-metric]').value;
  if (values.length) {
    ctx.fillText(fmtMetric(metric, hi), sx - 4, m.top + 4);
    ctx.fillText(fmtMetric(metric, lo), sx - 4, H - m.bottom + 14);
  }
  return {
    at(px, py) {
      const scale = canvas.width / canvas.clientWidth;
      const i = Math.floor((px * scale - m.left) / cw);
      const j = Math.floor((H - m.bottom - py * scale) / ch);
      return grid.get(`${i},${j}`) ?? null;
    },
  };
}

// ---------- walk-forward ----------

/**
 * A walk-forward (kind walk_forward): the header of any sweep (its controls are the sweep routes),
 * then the windows on a timeline, the stitched out-of-sample equity against each window's in-sample
 * curve, the stitched figures and parameter stability, and the per-window table.
 */
async function renderWalkForward(header, state) {
  const timeline = h('section', { class: 'card', testid: 'wf-timeline-card' });
  const chart = h('section', { class: 'card', testid: 'wf-chart-card' });
  const figures = h('section', { class: 'card', testid: 'wf-figures' });
  const windows = h('section', { class: 'card', testid: 'wf-windows' });
  main.replaceChildren(header, figures, timeline, chart, windows);
  const id = encodeURIComponent(state.id);
  let shown = -1;
  const poll = async () => {
    let detail;
    try {
      detail = await api(`/api/walk-forwards/${id}`);
    } catch (err) {
      figures.replaceChildren(h('p', { class: 'error' }, err.message));
      return;
    }
    state.view = detail.sweep;
    renderHeader(header, state);
    if (detail.report && detail.sweep.done !== shown) {
      shown = detail.sweep.done;
      renderWalkForwardFigures(figures, detail.report);
      renderWalkForwardTimeline(timeline, detail.report);
      renderWalkForwardTable(windows, detail.report);
      await renderWalkForwardChart(chart, state.id);
    }
    if (running(state.view)) pollTimer = setTimeout(poll, POLL_MS);
  };
  await poll();
}

function renderWalkForwardFigures(box, report) {
  const s = report.stitched;
  const plan = `${report.windows.length} windows: in-sample ${report.plan.in_sample}, out-of-sample ${report.plan.out_of_sample}, step ${report.plan.step}, ${report.plan.mode}; warm-up ${report.warmup_bars} bars`;
  if (!s) return box.replaceChildren(h('h2', {}, 'Stitched out-of-sample result'), h('p', { class: 'muted' }, plan), h('p', { class: 'muted' }, 'No window has finished yet.'));
  const metrics = ['total_return', 'cagr', 'sharpe_ratio', 'sortino_ratio', 'max_drawdown', 'calmar_ratio', 'win_rate', 'profit_factor', 'total_trades', 'exposure'];
  const stability = Object.entries(s.stability);
  box.replaceChildren(
    h('h2', {}, `Stitched out-of-sample result (${s.windows} of ${report.windows.length} windows)`),
    h('p', { class: 'muted' }, plan),
    h(
      'div',
      { class: 'stats', testid: 'wf-stitched' },
      metrics.map((m) => h('span', { 'data-field': m, 'data-value': s.metrics[m] ?? '' }, `${m.replace(/_/g, ' ')} `, h('b', {}, fmtMetric(m, s.metrics[m])))),
      h('span', { 'data-field': 'efficiency', 'data-value': s.efficiency ?? '' }, 'walk-forward efficiency ', h('b', {}, fmtMetric('efficiency', s.efficiency))),
    ),
    h('h3', {}, 'Parameter stability'),
    h(
      'table',
      { class: 'grid', testid: 'wf-stability' },
      h('thead', {}, h('tr', {}, h('th', {}, 'param'), h('th', {}, 'chosen per window'), h('th', { class: 'num' }, 'distinct'), h('th', {}, 'mode'), h('th', { class: 'num' }, 'mode share'), h('th', { class: 'num' }, 'cv'))),
      h('tbody', {}, stability.map(([label, p]) => h('tr', {}, h('td', {}, label), h('td', {}, p.values.map((v) => (v === null ? '–' : String(v))).join(' ')), h('td', { class: 'num' }, p.distinct), h('td', {}, String(p.mode)), h('td', { class: 'num' }, fmtMetric('win_rate', p.mode_share)), h('td', { class: 'num' }, fmtMetric('cv', p.cv))))),
    ),
  );
}

/** One row per window: its in-sample piece (grey) and out-of-sample piece (green up, red down, hatched while pending). */
function renderWalkForwardTimeline(box, report) {
  const ms = (iso) => Date.parse(iso);
  const lo = Math.min(...report.windows.map((w) => ms(w.is_start)));
  const hi = Math.max(...report.windows.map((w) => ms(w.oos_end)));
  const at = (iso) => (((ms(iso) - lo) / Math.max(1, hi - lo)) * 100).toFixed(3);
  const span = (from, to) => `left:${at(from)}%;width:${Math.max(0.3, at(to) - at(from))}%`;
  box.replaceChildren(
    h('h2', {}, 'Windows'),
    h(
      'div',
      { class: 'wf-timeline', testid: 'wf-timeline' },
      report.windows.map((w) => {
        const r = w.out_of_sample?.total_return;
        const oosClass = w.status === 'pending' ? 'wf-pending' : w.params === null ? 'wf-idle' : r >= 0 ? 'wf-up' : 'wf-down';
        return h(
          'div',
          { class: 'wf-row', testid: `wf-window-${w.k}`, 'data-status': w.status, title: `window ${w.k}: in sample ${w.is_start.slice(0, 10)}…${w.is_end.slice(0, 10)}, out of sample ${w.oos_start.slice(0, 10)}…${w.oos_end.slice(0, 10)}` },
          h('span', { class: 'wf-label' }, `w${w.k}`),
          h('span', { class: 'wf-track' }, h('span', { class: 'wf-is', style: span(w.is_start, w.is_end) }), h('span', { class: `wf-oos ${oosClass}`, style: span(w.oos_start, w.oos_end) })),
        );
      }),
    ),
    h('p', { class: 'muted small' }, `${report.windows[0].is_start.slice(0, 10)} … ${report.windows.at(-1).oos_end.slice(0, 10)}; grey in sample; out of sample green up, red down, white when nothing qualified in sample (out of the market).`),
  );
}

function renderWalkForwardTable(box, report) {
  const m = report.primary_metric;
  const cols = ['w', 'in sample', 'out of sample', ...report.param_names, `IS ${m}`, `OOS ${m}`, 'IS cagr', 'OOS cagr', 'OOS return', 'OOS trades', 'WFE', ''];
  box.replaceChildren(
    h('h2', {}, 'Per window'),
    h(
      'div',
      { class: 'scroll' },
      h(
        'table',
        { class: 'grid results', testid: 'wf-window-table' },
        h('thead', {}, h('tr', {}, cols.map((c) => h('th', {}, c)))),
        h(
          'tbody',
          {},
          report.windows.map((w) =>
            h(
              'tr',
              { testid: `wf-row-${w.k}` },
              h('td', { class: 'num' }, w.k),
              h('td', {}, `${w.is_start.slice(0, 10)} … ${w.is_end.slice(0, 10)}`),
              h('td', {}, `${w.oos_start.slice(0, 10)} … ${w.oos_end.slice(0, 10)}`),
              report.param_names.map((p) => h('td', {}, w.status === 'pending' ? '…' : w.params ? String(w.params[p]) : '(none)')),
              h('td', { class: 'num' }, fmtMetric(m, w.in_sample?.[m])),
              h('td', { class: 'num' }, fmtMetric(m, w.out_of_sample?.[m])),
              h('td', { class: 'num' }, fmtMetric('cagr', w.in_sample?.cagr)),
              h('td', { class: 'num' }, fmtMetric('cagr', w.out_of_sample?.cagr)),
              h('td', { class: 'num' }, fmtMetric('total_return', w.out_of_sample?.total_return)),
              h('td', { class: 'num' }, fmtMetric('total_trades', w.out_of_sample?.total_trades)),
              h('td', { class: 'num', 'data-field': 'efficiency' }, fmtMetric('efficiency', w.efficiency)),
              h('td', {}, h('a', { href: `#/sweeps/${encodeURIComponent(w.sweep_id)}` }, 'in-sample sweep')),
            ),
          ),
        ),
      ),
    ),
  );
}

/** The stitched out-of-sample equity (thick) and each window's in-sample curve leading into its piece. */
async function renderWalkForwardChart(box, id) {
  let data;
  try {
    data = await api(`/api/walk-forwards/${encodeURIComponent(id)}/equity?points=400`);
  } catch (err) {
    box.replaceChildren(h('h2', {}, 'Equity'), h('p', { class: 'error' }, err.message));
    return;
  }
  destroyCharts();
  const chartBox = h('div', { testid: 'wf-equity-chart', 'data-series': String(1 + data.in_sample.length) });
  box.replaceChildren(h('h2', {}, 'Stitched out-of-sample equity against the in-sample curves'), data.stitched.t.length ? chartBox : h('p', { class: 'muted' }, 'No curves yet.'));
  if (!data.stitched.t.length || !window.uPlot) return;
  const curves = [data.stitched, ...data.in_sample.map((w) => w.equity)];
  const axis = [...new Set(curves.flatMap((c) => c.t))].sort((a, b) => a - b);
  const index = new Map(axis.map((t, i) => [t, i]));
  const aligned = curves.map((c) => {
    const out = new Array(axis.length).fill(null);
    c.t.forEach((t, i) => (out[index.get(t)] = c.v[i]));
    return out;
  });
  const fmt = (u, v) => (v === null ? '—' : v.toLocaleString('en-US', { maximumFractionDigits: 0 }));
  const series = [
    { label: 'stitched out of sample', stroke: PALETTE[0], width: 2.5, spanGaps: true, value: fmt },
    ...data.in_sample.map((w, i) => ({ label: `w${w.k} in sample (${paramText(w.params)})`, stroke: PALETTE[1 + (i % (PALETTE.length - 1))], width: 1, dash: [4, 3], value: fmt })),
  ];
  charts.push(
    new uPlot(
      { width: Math.max(400, box.clientWidth - 32), height: 340, series: [{}, ...series], axes: [{}, { label: 'equity', size: 70, values: (u, vals) => vals.map((v) => v.toLocaleString('en-US')) }] },
      [axis.map((ms) => ms / 1000), ...aligned],
      chartBox,
    ),
  );
}

// ---------- router ----------

function route() {
  stopPolling();
  destroyCharts();
  const match = /^#\/sweeps\/(.+)$/.exec(location.hash);
  if (match) renderSweep(decodeURIComponent(match[1]));
  else renderList();
}

window.addEventListener('hashchange', route);
route();
