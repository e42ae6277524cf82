/* global document, localStorage, window, URLSearchParams */
// The Sextant dashboard: reads the gateway's JSON under /dashboard/api and renders it. No build
// step, no framework. Everything shown comes from traces and user content, so text is only ever
// set with textContent, never as HTML.

const API = '/dashboard/api';
const KEY = 'sextant.adminKey';
const REFRESH_MS = 5000;

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (name === 'onclick') node.addEventListener('click', value);
    else if (value !== undefined && value !== null) node.setAttribute(name, value);
  }
  for (const child of children.flat()) node.append(child instanceof window.Node ? child : document.createTextNode(String(child ?? '')));
  return node;
}

const usd = (v) => (v >= 0.01 || v === 0 ? `$${Number(v).toFixed(2)}` : `$${Number(v).toPrecision(2)}`);
const int = (v) => Number(v ?? 0).toLocaleString();
const when = (ms) => (ms ? new Date(ms).toLocaleString() : '');
const duration = (ms) => (ms < 1000 ? `${Math.round(ms)} ms` : ms < 60_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 60_000)} min`);

function setStatus(text, isError = false) {
  const status = document.getElementById('status');
  status.textContent = text;
  status.className = isError ? 'error' : '';
}

async function api(path) {
  const key = localStorage.getItem(KEY);
  const res = await window.fetch(`${API}${path}`, { headers: key ? { authorization: `Bearer ${key}` } : {} });
  const body = await res.json();
  if (res.status === 401 || res.status === 403) {
    document.getElementById('key-form').hidden = false;
    throw new Error(`${body.error?.message ?? 'Not allowed'}: enter an admin key`);
  }
  if (!res.ok) throw new Error(body.error?.message ?? `HTTP ${res.status}`);
  return body;
}

function table(id, headers, rows) {
  const node = document.getElementById(id);
  node.replaceChildren(
    el(
      'thead',
      {},
      el(
        'tr',
        {},
        headers.map((h) => el('th', {}, h)),
      ),
    ),
    el('tbody', {}, rows.length ? rows : el('tr', {}, el('td', { colspan: headers.length, class: 'muted' }, 'nothing yet'))),
  );
}

function renderOverview(o) {
  const c = o.cache;
  const lookups = c ? c.hits + c.misses : 0;
  const cards = [
    ['up', duration(o.uptimeMs)],
    ['models served', o.models.length],
    ['keys', o.keys],
    ['active sessions', o.sessions],
    ['cache hit rate', c ? (lookups ? `${Math.round((100 * c.hits) / lookups)}%` : '-') : 'off'],
    ['saved by the cache', c ? usd(c.savedUsd) : '-'],
    ['open circuits', o.circuits.filter((x) => x.state !== 'closed').length],
  ];
  document
    .getElementById('overview')
    .replaceChildren(
      ...cards.map(([label, value]) => el('div', { class: 'card' }, el('b', {}, value), el('span', {}, label))),
      el('div', { class: 'card' }, el('b', {}, o.store.engine), el('span', { title: o.store.location }, o.store.location)),
    );
}

function renderCost(cost) {
  const max = Math.max(...cost.byDay.map((d) => d.costUsd), 0);
  table(
    'cost-by-day',
    ['day', 'cost', '', 'tokens in / out', 'traces'],
    cost.byDay.map((d) =>
      el(
        'tr',
        {},
        el('td', {}, d.date),
        el('td', { class: 'num' }, usd(d.costUsd)),
        el('td', {}, el('span', { class: 'bar', style: `width:${max ? Math.max(2, (120 * d.costUsd) / max) : 0}px` })),
        el('td', { class: 'num' }, `${int(d.inputTokens)} / ${int(d.outputTokens)}`),
        el('td', { class: 'num' }, int(d.traces)),
      ),
    ),
  );
  table(
    'cost-by-tenant',
    ['tenant', 'cost', 'traces'],
    cost.byTenant.map((t) => el('tr', {}, el('td', {}, t.tenant), el('td', { class: 'num' }, usd(t.costUsd)), el('td', { class: 'num' }, int(t.traces)))),
  );
}

function spanTree(spans) {
  const children = new Map();
  for (const s of spans) {
    const list = children.get(s.parentId) ?? [];
    list.push(s);
    children.set(s.parentId, list);
  }
  const ids = new Set(spans.map((s) => s.id));
  const render = (s) =>
    el(
      'details',
      { class: 'span' },
      el(
        'summary',
        {},
        el('span', { class: 'kind' }, s.kind),
        s.name,
        ' ',
        el('span', { class: `status-${s.status} muted` }, s.status),
        s.endedAt ? el('span', { class: 'muted' }, ` · ${duration(s.endedAt - s.startedAt)}`) : '',
      ),
      s.error ? el('pre', {}, `${s.error.code ?? ''} ${s.error.message}`) : '',
      el('pre', {}, JSON.stringify(s.attributes, null, 2)),
      s.events.length ? el('pre', {}, JSON.stringify(s.events, null, 2)) : '',
      (children.get(s.id) ?? []).map(render),
    );
  // Roots: no parent, or a parent not stored (sampled out).
  return spans.filter((s) => s.parentId === null || !ids.has(s.parentId)).map(render);
}

async function showTrace(id) {
  const detail = document.getElementById('trace-detail');
  const { trace, spans } = await api(`/traces/${encodeURIComponent(id)}`);
  detail.hidden = false;
  detail.replaceChildren(
    el('h3', {}, `${trace.name} `, el('span', { class: 'muted' }, trace.id)),
    el('p', { class: 'muted' }, `${spans.length} spans · ${usd(trace.cost_usd)} · ${trace.stop_reason ?? trace.status}`),
    spanTree(spans),
  );
}

function renderTraces({ traces }) {
  table(
    'traces',
    ['started', 'kind', 'name', 'session', 'tenant', 'status', 'cost', 'tokens in / out', 'spans'],
    traces.map((t) =>
      el(
        'tr',
        { class: 'clickable', onclick: () => showTrace(t.id).catch((e) => setStatus(e.message, true)) },
        el('td', {}, when(t.started_at)),
        el('td', {}, t.kind),
        el('td', {}, t.name),
        el('td', {}, t.session ?? ''),
        el('td', {}, t.tenant ?? ''),
        el('td', { class: `status-${t.status}` }, t.stop_reason && t.status !== 'completed' ? `${t.status} (${t.stop_reason})` : t.status),
        el('td', { class: 'num' }, usd(t.cost_usd)),
        el('td', { class: 'num' }, `${int(t.input_tokens)} / ${int(t.output_tokens)}`),
        el('td', { class: 'num' }, int(t.span_count)),
      ),
    ),
  );
}

function renderCache(cache) {
  if (!cache.enabled) return table('cache', ['cache'], [el('tr', {}, el('td', {}, "The cache is off in this gateway's config."))]);
  table(
    'cache',
    ['tenant', 'model', 'exact hits', 'semantic hits', 'misses', 'verifier rejections', 'saved', 'time saved'],
    cache.scopes.map((s) =>
      el(
        'tr',
        {},
        el('td', {}, s.tenant),
        el('td', {}, s.model),
        el('td', { class: 'num' }, int(s.exactHits)),
        el('td', { class: 'num' }, int(s.semanticHits)),
        el('td', { class: 'num' }, int(s.misses)),
        el('td', { class: 'num' }, int(s.verifierRejections)),
        el('td', { class: 'num' }, usd(s.savedUsd)),
        el('td', { class: 'num' }, duration(s.savedMs)),
      ),
    ),
  );
}

function renderKeys({ keys }) {
  table(
    'keys',
    ['id', 'name', 'tenant', 'scopes', 'limits', 'created', 'last used', 'revoked'],
    keys.map((k) =>
      el(
        'tr',
        {},
        el('td', {}, k.keyId),
        el('td', {}, k.name ?? ''),
        el('td', {}, k.tenant),
        el('td', {}, k.scopes.join(' ')),
        el('td', {}, JSON.stringify(k.limits)),
        el('td', {}, when(k.createdAt)),
        el('td', {}, when(k.lastUsedAt)),
        el('td', {}, when(k.revokedAt)),
      ),
    ),
  );
}

function traceQuery() {
  const form = new window.FormData(document.getElementById('trace-filter'));
  const params = new URLSearchParams();
  for (const [name, value] of form) if (value) params.set(name, String(value));
  return params.size ? `?${params}` : '';
}

async function refresh() {
  try {
    const [overview, cost, traces, cache, keys] = await Promise.all([
      api('/overview'),
      api('/cost?days=7'),
      api(`/traces${traceQuery()}`),
      api('/cache'),
      api('/keys'),
    ]);
    renderOverview(overview);
    renderCost(cost);
    renderTraces(traces);
    renderCache(cache);
    renderKeys(keys);
    setStatus(`updated ${new Date().toLocaleTimeString()}`);
  } catch (error) {
    setStatus(error.message, true);
  }
}

document.getElementById('key-form').addEventListener('submit', (event) => {
  event.preventDefault();
  localStorage.setItem(KEY, document.getElementById('key-input').value.trim());
  document.getElementById('key-form').hidden = true;
  void refresh();
});
document.getElementById('trace-filter').addEventListener('submit', (event) => {
  event.preventDefault();
  void refresh();
});
void refresh();
window.setInterval(refresh, REFRESH_MS);
