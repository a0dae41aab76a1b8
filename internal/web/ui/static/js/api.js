// Sextant API client: the one file that knows the JSON API's paths, query
// parameters and field names (docs/API.md). Every answer is normalised here
// into the shapes the pages draw, so a change in the API is a change in this
// file only. A field that is missing, null or of the wrong type becomes null
// (shown as "—"), never a guess.
(function (S) {
  'use strict';

  const TOKEN_KEY = 'sextant.token';

  // APIError is a failed call: the HTTP status (0 when the server was not
  // reached), the API's own message and code, and the path that was called.
  class APIError extends Error {
    constructor(status, message, path, code) {
      super(message);
      this.name = 'APIError';
      this.status = status;
      this.code = code || '';
      this.path = path;
    }
  }

  // --- tokens: only needed when the server refuses anonymous reads ---------

  function token() {
    try {
      return sessionStorage.getItem(TOKEN_KEY) || localStorage.getItem(TOKEN_KEY) || '';
    } catch {
      return '';
    }
  }

  function forgetToken() {
    try {
      sessionStorage.removeItem(TOKEN_KEY);
      localStorage.removeItem(TOKEN_KEY);
    } catch { /* storage disabled: nothing was stored either */ }
  }

  function setToken(value, remember) {
    forgetToken();
    if (value) (remember ? localStorage : sessionStorage).setItem(TOKEN_KEY, value);
  }

  // --- transport -------------------------------------------------------------

  // calls counts requests in flight, made and failed, so pages can say when
  // they have settled (the browser tests wait for that).
  const calls = { inFlight: 0, made: 0, failed: 0 };

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== '') q.set(k, String(v));
    }
    const s = q.toString();
    return s ? '?' + s : '';
  }

  async function get(path, params) {
    const headers = { Accept: 'application/json' };
    const t = token();
    if (t) headers.Authorization = 'Bearer ' + t;
    calls.inFlight++;
    calls.made++;
    try {
      let resp;
      try {
        resp = await fetch(path + query(params), { headers, credentials: 'same-origin' });
      } catch (err) {
        throw new APIError(0, `could not reach the server (${err.message})`, path);
      }
      const text = await resp.text();
      let body = null;
      try { body = text ? JSON.parse(text) : null; } catch { body = null; }
      if (!resp.ok) {
        const msg = typeof body?.error === 'string' ? body.error : (text.trim().slice(0, 200) || resp.statusText);
        throw new APIError(resp.status, msg, path, body?.code);
      }
      if (!body || typeof body !== 'object') throw new APIError(resp.status, 'the answer is not a JSON object', path);
      return body;
    } catch (err) {
      calls.failed++;
      throw err;
    } finally {
      calls.inFlight--;
    }
  }

  // list fetches the pages of a listing that pages with next_cursor, up to
  // max items, and says whether it stopped short.
  async function list(path, params, key, max) {
    let items = [];
    let cursor = '';
    for (;;) {
      const body = await get(path, cursor ? { ...params, cursor } : params);
      items = items.concat(arr(body[key]));
      cursor = str(body.next_cursor);
      if (!cursor || items.length >= max) {
        return { items: items.slice(0, max), truncated: !!cursor || items.length > max };
      }
    }
  }

  // --- defensive field readers --------------------------------------------------

  const num = (v) => (typeof v === 'number' && Number.isFinite(v) ? v : null);
  const str = (v) => (typeof v === 'string' && v !== '' ? v : null);
  const arr = (v) => (Array.isArray(v) ? v : []);
  const obj = (v) => (v && typeof v === 'object' && !Array.isArray(v) ? v : {});
  const bool = (v) => (typeof v === 'boolean' ? v : null);
  // link is a web address the pages may put in an href: http(s) only.
  const link = (v) => (typeof v === 'string' && /^https?:\/\//i.test(v) ? v : null);
  function time(v) {
    if (typeof v !== 'string' && typeof v !== 'number') return null;
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  // pick is the first of o's fields that is present.
  function pick(o, names) {
    for (const n of names) if (o[n] !== undefined && o[n] !== null) return o[n];
    return null;
  }
  const START = ['start', 'period', 'from', 'time', 'date'];
  const LEVELS = ['elite', 'high', 'medium', 'low'];
  function level(v) {
    const s = typeof v === 'string' ? v.toLowerCase() : '';
    return LEVELS.includes(s) ? s : null;
  }

  // --- filters ---------------------------------------------------------------------

  // params turns the dashboard's filters into the API's: repo, team, org,
  // from and to (dates, to exclusive) and interval (day, week or month).
  function params(f, withInterval) {
    const p = { repo: f.repo, team: f.team, org: f.org, from: f.from, to: f.to };
    if (withInterval) p.interval = f.interval;
    return p;
  }

  // --- GET /api/v1/dora ----------------------------------------------------------------

  // One DORA summary, the same shape for the whole range and for each period
  // of the series. Rates are fractions (0.25 is 25%).
  function doraSummary(raw) {
    const df = obj(raw.deployment_frequency), lt = obj(raw.lead_time), cfr = obj(raw.change_failure_rate);
    const ttr = obj(raw.time_to_restore), rw = obj(raw.rework_rate);
    return {
      deployment_frequency: {
        deployments: num(df.deployments),
        median_deploy_days_per_week: num(df.median_deploy_days_per_week),
        level: level(df.level),
      },
      lead_time: {
        median_seconds: num(lt.median_seconds), p75_seconds: num(lt.p75_seconds),
        p90_seconds: num(lt.p90_seconds), changes: num(lt.changes), level: level(lt.level),
      },
      change_failure_rate: {
        rate: num(cfr.rate), failed_deployments: num(cfr.failed_deployments),
        deployments: num(cfr.deployments), level: level(cfr.level),
      },
      time_to_restore: { median_seconds: num(ttr.median_seconds), incidents: num(ttr.incidents), level: level(ttr.level) },
      rework_rate: { rate: num(rw.rate), deployments: num(rw.deployments), level: level(rw.level) },
    };
  }

  // The main value of each metric, as the series plots it.
  const MAIN = {
    deployment_frequency: 'deployments', lead_time: 'median_seconds', change_failure_rate: 'rate',
    time_to_restore: 'median_seconds', rework_rate: 'rate',
  };

  // The series is a list of periods, each with its start and the summary's
  // fields. A series keyed by metric ({"lead_time": [{start, value}]}) is
  // folded into the same shape.
  function doraSeries(raw) {
    if (Array.isArray(raw)) {
      return raw.map((p) => ({ ...doraSummary(obj(p)), start: time(pick(obj(p), START)) })).filter((p) => p.start);
    }
    const byStart = new Map();
    for (const [metric, field] of Object.entries(MAIN)) {
      for (const pt of arr(obj(raw)[metric]).map(obj)) {
        const t = time(pick(pt, START));
        if (!t) continue;
        if (!byStart.has(t.getTime())) byStart.set(t.getTime(), { ...doraSummary({}), start: t });
        byStart.get(t.getTime())[metric][field] = num(pick(pt, ['value', field]));
      }
    }
    return [...byStart.values()].sort((a, b) => a.start - b.start);
  }

  async function dora(f) {
    const raw = await get('/api/v1/dora', params(f, true));
    return { ...doraSummary(raw), series: doraSeries(raw.series), thresholds: raw.thresholds ?? null };
  }

  // --- GET /api/v1/leaderboard -------------------------------------------------------------

  async function leaderboard(f, group) {
    const raw = await get('/api/v1/leaderboard', { ...params(f), group });
    return {
      entries: arr(raw.entries).map(obj).map((e) => ({
        rank: num(e.rank),
        name: str(e.name) ?? str(e.login) ?? '—',
        login: str(e.login),
        score: num(e.score),
        breakdown: Object.fromEntries(Object.entries(obj(e.breakdown)).filter(([, v]) => num(v) !== null)),
        previous_rank: num(e.previous_rank),
        previous_score: num(e.previous_score),
        series: Array.isArray(e.series) ? e.series.map(num) : null,
      })),
    };
  }

  // --- GET /api/v1/pulls ---------------------------------------------------------------------

  function pull(p) {
    const repo = str(pick(p, ['repo', 'repository'])), number = num(p.number);
    return {
      repo, number, title: str(p.title), author: str(pick(p, ['author', 'user'])),
      state: str(p.state)?.toLowerCase() ?? null,
      created_at: time(pick(p, ['created_at', 'opened_at'])), merged_at: time(p.merged_at),
      merge_commit_sha: str(p.merge_commit_sha),
      coding_seconds: num(p.coding_seconds), pickup_seconds: num(p.pickup_seconds),
      review_seconds: num(p.review_seconds), deploy_seconds: num(p.deploy_seconds),
      lead_time_seconds: num(p.lead_time_seconds),
      deployment: pick(p, ['deployment', 'deployment_id']),
      // GitHub's web address when the API gives none.
      url: link(p.html_url) ?? (repo && number !== null ? `https://github.com/${repo}/pull/${number}` : null),
    };
  }

  // pulls lists pull requests for the filters. The API is given only the
  // common filters; pages narrow by state and author themselves.
  async function pulls(f, max = 5000) {
    const r = await list('/api/v1/pulls', params(f), 'pulls', max);
    return { pulls: r.items.map(obj).map(pull), truncated: r.truncated };
  }

  // --- GET /api/v1/deployments and /api/v1/incidents ---------------------------------------------

  function deployment(d) {
    return {
      id: pick(d, ['id']), repo: str(d.repo), environment: str(d.environment) ?? '(none)', sha: str(d.sha),
      status: str(d.status)?.toLowerCase() ?? null, finished_at: time(d.finished_at), source: str(d.source),
      changes: arr(d.changes).map(num).filter((n) => n !== null),
      failed: bool(d.failed), rollback: bool(pick(d, ['rollback', 'rolled_back'])),
      production: bool(d.production), url: link(pick(d, ['html_url', 'url'])),
    };
  }

  // isProduction: the API's own "production" flag, else the default
  // production environment names of issue 8 (the server may configure others).
  const PRODUCTION = /^(production|prod|live)$/i;
  const isProduction = (d) => d.production ?? PRODUCTION.test(d.environment);

  async function deployments(f, max = 5000) {
    const r = await list('/api/v1/deployments', params(f), 'deployments', max);
    return { deployments: r.items.map(obj).map(deployment), truncated: r.truncated };
  }

  function incident(i) {
    return {
      id: pick(i, ['id']), repo: str(i.repo), title: str(i.title), source: str(i.source),
      opened_at: time(pick(i, ['opened_at', 'created_at'])), resolved_at: time(pick(i, ['resolved_at', 'closed_at'])),
      deployment: pick(i, ['deployment', 'deployment_id']), url: link(pick(i, ['html_url', 'url'])),
    };
  }

  async function incidents(f, max = 5000) {
    const r = await list('/api/v1/incidents', params(f), 'incidents', max);
    return { incidents: r.items.map(obj).map(incident), truncated: r.truncated };
  }

  // --- GET /api/v1/flow ------------------------------------------------------------------------------

  // A phase's median is "coding_seconds" (the pull requests' own field name)
  // or {"coding": {"median_seconds": …}}.
  const phase = (p, name) => num(p[name + '_seconds']) ?? num(obj(p[name]).median_seconds);

  function flowPoint(p) {
    const tp = obj(p.throughput);
    return {
      start: time(pick(p, START)),
      coding: phase(p, 'coding'), pickup: phase(p, 'pickup'), review: phase(p, 'review'), deploy: phase(p, 'deploy'),
      opened: num(tp.opened) ?? num(p.opened), merged: num(tp.merged) ?? num(p.merged),
    };
  }

  async function flow(f) {
    const raw = await get('/api/v1/flow', params(f, true));
    return { ...flowPoint(obj(raw.summary ?? raw)), series: arr(raw.series).map(obj).map(flowPoint).filter((p) => p.start) };
  }

  // --- GET /api/v1/repos and /api/v1/teams ----------------------------------------------------------------

  async function repos() {
    const raw = await get('/api/v1/repos');
    return arr(raw.repos).map((r) => {
      if (typeof r === 'string') r = { name: r };
      r = obj(r);
      const name = str(pick(r, ['full_name', 'repo', 'name']));
      return { name, org: str(pick(r, ['owner', 'org'])) ?? name?.split('/')[0] ?? null };
    }).filter((r) => r.name);
  }

  async function teams() {
    const raw = await get('/api/v1/teams');
    return arr(raw.teams).map((t) => {
      if (typeof t === 'string') t = { slug: t };
      t = obj(t);
      return { name: str(pick(t, ['slug', 'name'])), label: str(t.name), org: str(pick(t, ['org', 'organization'])) };
    }).filter((t) => t.name);
  }

  // --- GET /api/v1/health/data (docs/API.md) ------------------------------------------------------------------

  function finding(x) {
    return {
      check: str(x.kind), expected: num(x.expected), found: num(x.found),
      repair: str(x.repair_status), message: str(x.detail),
    };
  }

  function checkResult(c) {
    c = obj(c);
    return {
      at: time(c.checked_at), status: str(c.status), requests: num(c.requests), error: str(c.error),
      findings: arr(c.findings).map(obj).map(finding),
    };
  }

  function scoped(list, key) {
    return arr(list).map(obj).map((r) => ({
      name: str(r[key]),
      last_webhook_at: time(r.last_webhook_at),
      synced_at: time(r.synced_at),
      check: checkResult(r.check),
    }));
  }

  async function dataHealth() {
    const raw = await get('/api/v1/health/data');
    const store = raw.store ? [{ name: 'store', last_webhook_at: null, synced_at: null, check: checkResult(raw.store) }] : [];
    return {
      repos: scoped(raw.repos, 'repo'),
      orgs: scoped(raw.orgs, 'org'),
      // Webhooks and the store have checks of their own, not sync state.
      others: [...scoped(raw.hooks, 'hook'), ...store],
      limits: arr(raw.rate_limits).map(obj).map((l) => ({
        token: str(l.token), resource: str(l.resource) ?? 'core',
        remaining: num(l.remaining), limit: num(l.limit), reset_at: time(l.reset_at),
      })),
      queue: arr(raw.queue).map(obj).map((j) => ({ kind: str(j.kind), state: str(j.state), count: num(j.count) })),
    };
  }

  S.api = {
    APIError, calls, token, setToken, forgetToken, get,
    dora, leaderboard, pulls, deployments, isProduction, incidents, flow, repos, teams, dataHealth,
  };
})(window.Sextant = window.Sextant || {});
