// Shared dashboard code: the filter bar (kept in the URL), number formats,
// DOM building without innerHTML, loading, empty and error states, and the
// page life cycle that tells tests when every fetch has settled.
(function (S) {
  'use strict';

  const DAY = 86400000;
  const PRESETS = { '7d': 7, '30d': 30, '90d': 90, '180d': 180, '365d': 365 };
  const DEFAULT_RANGE = '30d';
  // Filter bar fields, and page state that survives a filter change.
  const FORM_KEYS = ['org', 'team', 'repo', 'range', 'from', 'to', 'interval'];
  const KEEP_KEYS = ['group', 'author'];
  const SCOPE_KEYS = ['org', 'team', 'repo', 'range', 'from', 'to'];
  const DASH = '—';

  // --- DOM -------------------------------------------------------------------

  // el builds an element: attributes (class, text, on<event>, or any
  // attribute; null and false are left out) and children (nodes, strings,
  // arrays, null).
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k === 'class') e.className = v;
      else if (k === 'text') e.textContent = v;
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    append(e, children);
    return e;
  }

  function append(parent, children) {
    for (const c of children.flat(Infinity)) {
      if (c === null || c === undefined || c === false) continue;
      parent.append(c instanceof Node ? c : document.createTextNode(String(c)));
    }
    return parent;
  }

  // shown is a displayed number: its text, and its raw value in data-value
  // ("" when unknown) so tests compare what is shown with the API.
  function shown(testid, raw, text, attrs) {
    return el('span', { class: 'value', 'data-testid': testid, 'data-value': raw ?? '', ...attrs }, text);
  }

  // Column options: num (right-aligned figures), time (kept on one line).
  const cellClass = (c) => [c?.num && 'num', c?.time && 'nowrap'].filter(Boolean).join(' ') || null;

  // tableRow is one row of a table of these columns.
  function tableRow(columns, r) {
    return el('tr', null, r.map((cell, i) =>
      el(i === 0 && columns[0].rowHeader ? 'th' : 'td',
        { class: cellClass(columns[i]), scope: i === 0 && columns[0].rowHeader ? 'row' : null }, cell)));
  }

  // table builds a captioned table in a scrollable, focusable region (so a
  // keyboard can scroll it on a phone).
  function table({ caption, columns, rows, testid, captionHidden }) {
    return el('div', { class: 'scroll', role: 'region', 'aria-label': caption, tabindex: 0 },
      el('table', { 'data-testid': testid },
        el('caption', { class: captionHidden ? 'sr-only' : null }, caption),
        el('thead', null, el('tr', null, columns.map((c) =>
          el('th', { scope: 'col', class: c.num ? 'num' : null }, c.label)))),
        el('tbody', null, rows.map((r) => tableRow(columns, r)))));
  }

  // fill replaces host's children (null children are left out).
  function fill(host, ...children) {
    host.replaceChildren();
    return append(host, children);
  }

  function code(text) { return el('code', null, text); }

  // plural: "1 incident", "2 incidents".
  const plural = (n, one, many) => `${fmt.number(n, 0)} ${n === 1 ? one : (many ?? one + 's')}`;

  // --- formats ------------------------------------------------------------------

  const known = (v) => v !== null && v !== undefined && !Number.isNaN(v);

  const fmt = {
    DASH,
    number(v, digits = 1) {
      return known(v) ? v.toLocaleString('en-US', { maximumFractionDigits: digits }) : DASH;
    },
    percent(rate) {
      if (!known(rate)) return DASH;
      const p = rate * 100;
      return (p !== 0 && Math.abs(p) < 10 ? p.toFixed(1) : Math.round(p).toString()) + '%';
    },
    duration(seconds) {
      if (!known(seconds)) return DASH;
      const s = Math.abs(seconds);
      if (s < 60) return Math.round(seconds) + ' s';
      if (s < 3600) return Math.round(seconds / 60) + ' min';
      if (s < 48 * 3600) return fmt.number(seconds / 3600) + ' h';
      return fmt.number(seconds / 86400) + ' d';
    },
    date(d) { return d ? d.toISOString().slice(0, 10) : DASH; },
    dateTime(d) { return d ? d.toISOString().slice(0, 16).replace('T', ' ') + ' UTC' : DASH; },
    sha(s) { return s ? s.slice(0, 7) : DASH; },
    signed(v, digits = 0) {
      if (!known(v)) return DASH;
      return (v > 0 ? '+' : v < 0 ? '−' : '±') + fmt.number(Math.abs(v), digits);
    },
  };

  // --- levels and changes ---------------------------------------------------------------

  // Level marks carry an icon and a word as well as a colour, so they read
  // the same without colour vision (and in print).
  // The icons fill less as the level drops, so they also read as an order;
  // arrows are kept for changes.
  const LEVEL_ICON = { elite: '★', high: '●', medium: '◐', low: '○' };
  const LEVEL_LABEL = { elite: 'Elite', high: 'High', medium: 'Medium', low: 'Low' };

  function levelBadge(level, testid) {
    if (!level) return el('span', { class: 'level level-unknown', 'data-level': '', 'data-testid': testid }, 'level unknown');
    return el('span', { class: 'level level-' + level, 'data-level': level, 'data-testid': testid },
      el('span', { class: 'icon', 'aria-hidden': 'true' }, LEVEL_ICON[level]), ' ', LEVEL_LABEL[level]);
  }

  // change says how cur moved against prev, and whether that is better
  // (higher or lower is better, per metric), in words and arrows.
  // Rates (points=true) change in percentage points, others relatively.
  function change(cur, prev, better, format, testid, points) {
    if (!known(cur) || !known(prev)) {
      return el('span', { class: 'change', 'data-testid': testid, 'data-value': '' }, 'no previous value');
    }
    const d = cur - prev;
    const rel = prev !== 0 && !points ? d / Math.abs(prev) : null;
    const good = d === 0 ? null : (better === 'higher') === d > 0;
    const arrow = d > 0 ? '▲' : d < 0 ? '▼' : '▶';
    const amount = points ? fmt.signed(d * 100) + ' pts' : rel !== null ? fmt.signed(rel * 100) + '%' : fmt.signed(d, 1);
    return el('span', {
      class: 'change ' + (good === null ? 'same' : good ? 'better' : 'worse'),
      'data-testid': testid, 'data-value': d,
      title: 'previous period: ' + format(prev),
    }, el('span', { 'aria-hidden': 'true' }, arrow + ' '), amount,
    ' ', el('span', { class: 'why' }, good === null ? '(no change)' : good ? '(better)' : '(worse)'));
  }

  // --- filters --------------------------------------------------------------------

  const ymd = (d) => d.toISOString().slice(0, 10);

  function parseDate(s) {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(s || '')) return null;
    const d = new Date(s + 'T00:00:00Z');
    return Number.isNaN(d.getTime()) ? null : d;
  }

  // readFilters reads the URL. Dates are UTC days; "to" is inclusive in the
  // URL (as people say it) and exclusive for the API.
  function readFilters(search) {
    const q = new URLSearchParams(search ?? location.search);
    const f = { problems: [] };
    for (const k of [...FORM_KEYS, ...KEEP_KEYS, 'drill']) f[k] = (q.get(k) || '').trim();
    const today = new Date(Math.floor(Date.now() / DAY) * DAY);
    let from = null, toIncl = null;
    if (f.from || f.to) {
      from = parseDate(f.from);
      toIncl = f.to ? parseDate(f.to) : today;
      if (!from) f.problems.push(`from: "${f.from}" is not a date (YYYY-MM-DD)`);
      if (!toIncl) f.problems.push(`to: "${f.to}" is not a date (YYYY-MM-DD)`);
      if (from && toIncl && from > toIncl) f.problems.push('from: is after to');
      if (f.problems.length) from = toIncl = null;
      else f.range = 'custom';
    }
    if (!from) {
      if (f.range && f.range !== 'custom' && !PRESETS[f.range]) f.problems.push(`range: "${f.range}" is not one of ${Object.keys(PRESETS).join(', ')}`);
      if (!PRESETS[f.range]) f.range = DEFAULT_RANGE;
      toIncl = today;
      from = new Date(today.getTime() - (PRESETS[f.range] - 1) * DAY);
    }
    if (f.interval && !['day', 'week', 'month'].includes(f.interval)) {
      f.problems.push(`interval: "${f.interval}" is not day, week or month`);
      f.interval = '';
    }
    const to = new Date(toIncl.getTime() + DAY);
    f.days = Math.round((to - from) / DAY);
    f.fromDate = from;
    f.toDate = to; // exclusive
    f.intervalSet = f.interval;
    if (!f.interval) f.interval = f.days <= 31 ? 'day' : f.days <= 190 ? 'week' : 'month';
    f.api = { org: f.org, team: f.team, repo: f.repo, from: ymd(from), to: ymd(to), interval: f.interval };
    return f;
  }

  // href builds a dashboard URL that keeps the current scope filters and
  // sets (or, with "", removes) the given parameters.
  function href(path, set) {
    const cur = new URLSearchParams(location.search);
    const q = new URLSearchParams();
    for (const k of SCOPE_KEYS) if (cur.get(k)) q.set(k, cur.get(k));
    for (const [k, v] of Object.entries(set || {})) {
      if (v) q.set(k, v);
      else q.delete(k);
    }
    const s = q.toString();
    return path + (s ? '?' + s : '');
  }

  function scopeLabel(f) {
    const parts = [];
    if (f.org) parts.push('organization ' + f.org);
    if (f.team) parts.push('team ' + f.team);
    if (f.repo) parts.push('repository ' + f.repo);
    if (!parts.length) parts.push('everything');
    const to = new Date(f.toDate.getTime() - DAY);
    return `${parts.join(', ')} · ${ymd(f.fromDate)} to ${ymd(to)} (${f.days} days, UTC)`;
  }

  function initFilters(f) {
    const form = document.getElementById('filters');
    const field = (n) => form.elements.namedItem(n);
    for (const k of ['org', 'team', 'repo']) field(k).value = f[k];
    field('range').value = f.range;
    field('from').value = ymd(f.fromDate);
    field('to').value = ymd(new Date(f.toDate.getTime() - DAY));
    if (field('interval')) field('interval').value = f.intervalSet;
    document.getElementById('filter-note').textContent = f.problems.length
      ? 'Ignored: ' + f.problems.join('; ') + '.' : '';

    // Picking a date makes the range custom; picking a preset or an
    // interval applies at once.
    for (const n of ['from', 'to']) field(n).addEventListener('change', () => { field('range').value = 'custom'; });
    field('range').addEventListener('change', () => { if (field('range').value !== 'custom') form.requestSubmit(); });
    if (field('interval')) field('interval').addEventListener('change', () => form.requestSubmit());

    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const q = new URLSearchParams();
      for (const k of FORM_KEYS) {
        const v = field(k)?.value.trim();
        if (v) q.set(k, v);
      }
      if (q.get('range') === 'custom') {
        q.delete('range');
      } else {
        q.delete('from');
        q.delete('to');
      }
      if (q.get('range') === DEFAULT_RANGE) q.delete('range');
      const cur = new URLSearchParams(location.search);
      for (const k of KEEP_KEYS) if (cur.get(k)) q.set(k, cur.get(k));
      const s = q.toString();
      location.assign(location.pathname + (s ? '?' + s : ''));
    });

    // Links to the other pages carry the scope along.
    for (const a of document.querySelectorAll('a[data-nav]')) a.href = href(a.getAttribute('href').split('?')[0]);
    document.querySelector('[data-testid=reset-filters]').href = location.pathname;
    document.getElementById('scope').textContent = scopeLabel(f);
  }

  // suggest fills the filter bar's suggestion lists. They are a
  // convenience: any value can be typed, so a failure here stays quiet.
  async function suggest() {
    const options = (id, values) => fill(document.getElementById(id),
      [...new Set(values)].filter(Boolean).sort().map((v) => el('option', { value: v })));
    const [repos, teams] = await Promise.allSettled([S.api.repos(), S.api.teams()]);
    const r = repos.status === 'fulfilled' ? repos.value : [];
    const t = teams.status === 'fulfilled' ? teams.value : [];
    options('dl-repo', r.map((x) => x.repo));
    options('dl-team', t.map((x) => x.team));
    options('dl-org', [...r.map((x) => x.owner), ...t.map((x) => x.org)]);
  }

  // --- states -------------------------------------------------------------------------

  const STATUS_TEXT = {
    400: 'Bad Request', 401: 'Unauthorized', 403: 'Forbidden', 404: 'Not Found', 429: 'Too Many Requests',
    500: 'Internal Server Error', 502: 'Bad Gateway', 503: 'Service Unavailable', 504: 'Gateway Timeout',
  };

  function hint(err) {
    switch (true) {
      case err.status === 0: return 'Check that sextant serve is running and that this browser can reach it.';
      case err.status === 401: return 'Reading the API needs a token with the read scope: enter one above.';
      case err.status === 403: return 'The token in use lacks the read scope: enter a token that has it above.';
      case err.status === 404: return 'This server has no such endpoint: it may be older than this dashboard.';
      case err.status === 400: return 'The server refused a filter: check the filter bar.';
      case err.status >= 500: return 'The server failed: its log has the cause.';
    }
    return '';
  }

  function errorState(err, what) {
    const status = err.status ?? '';
    const answered = err.name === 'APIError'
      ? (err.status ? `GET ${err.path} answered ${err.status} ${STATUS_TEXT[err.status] || ''}`.trim() : `GET ${err.path} failed`)
      : 'the page failed';
    return el('div', { class: 'state error', role: 'alert', 'data-testid': 'error', 'data-status': status },
      el('p', null, el('strong', null, `Could not load ${what}: `), `${answered}: ${err.message}`),
      hint(err) ? el('p', null, hint(err)) : null);
  }

  // empty says that there is nothing to show and what to configure so there
  // will be.
  function emptyState(title, ...how) {
    return el('div', { class: 'state empty', 'data-testid': 'empty' },
      el('p', null, el('strong', null, title)), how.length ? el('p', null, how) : null);
  }

  // tokenBanner appears once per page when the API refuses to read without
  // a token, with a form to give one.
  function tokenBanner(err) {
    const banner = document.getElementById('banner');
    if (!banner.hidden) return;
    const input = el('input', { id: 'token', name: 'token', type: 'password', autocomplete: 'off', required: true, spellcheck: 'false' });
    const remember = el('input', { id: 'token-remember', type: 'checkbox' });
    const form = el('form', { class: 'token-form', 'data-testid': 'token-form', onsubmit(ev) {
      ev.preventDefault();
      S.api.setToken(input.value.trim(), remember.checked);
      location.reload();
    } },
    el('div', { class: 'field' }, el('label', { for: 'token' }, 'API token'), input),
    el('div', { class: 'field check' }, remember, el('label', { for: 'token-remember' }, 'Remember on this browser')),
    el('div', { class: 'field actions' }, el('button', { type: 'submit' }, 'Use token')));
    fill(banner,
      el('p', null, el('strong', null, err.status === 403 ? 'This token may not read the API. ' : 'The API needs a token to read. '),
        `(${err.status} ${STATUS_TEXT[err.status]}: ${err.message})`),
      el('p', null, 'Create one on the server with ', code('sextant token create --name dashboard --scope read'),
        ' and enter it here, or let the server answer reads without a token (', code('api.anonymous_read: true'), ').'),
      form);
    banner.hidden = false;
  }

  // --- page life cycle --------------------------------------------------------------------

  // section loads and draws one part of a page; a failure shows in that
  // part only.
  async function section(id, what, draw) {
    const host = document.getElementById(id);
    host.setAttribute('aria-busy', 'true');
    fill(host, el('p', { class: 'loading' }, `Loading ${what}…`));
    try {
      await draw(host);
    } catch (err) {
      fill(host, errorState(err, what));
      if (err.status === 401 || err.status === 403) tokenBanner(err);
      if (err.name !== 'APIError') console.error(err); // a bug of ours: let the tests see it
      throw err;
    } finally {
      host.removeAttribute('aria-busy');
    }
  }

  // page runs a page: it reads the filters, starts its sections, and marks
  // <html data-sx-state="done"> once all have settled, with the number of
  // failed sections in data-sx-errors.
  async function page(run) {
    const root = document.documentElement;
    const f = readFilters();
    initFilters(f);
    const forget = document.getElementById('forget-token');
    if (S.api.token()) {
      forget.hidden = false;
      forget.addEventListener('click', () => { S.api.forgetToken(); location.reload(); });
    }
    const work = [suggest()];
    try {
      work.push(...(run(f) || []));
    } catch (err) {
      console.error(err);
      work.push(Promise.reject(err));
    }
    const results = await Promise.allSettled(work);
    root.dataset.sxErrors = String(results.filter((r) => r.status === 'rejected').length);
    root.dataset.sxState = 'done';
  }

  S.ui = {
    DAY, el, append, fill, shown, table, tableRow, code, plural, fmt, levelBadge, change, readFilters, href,
    emptyState, errorState, section, page, ymd,
  };
})(window.Sextant = window.Sextant || {});
