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

  function query(params) {
    const q = new URLSearchParams();
    for (const [k, v] of Object.entries(params || {})) {
      if (v !== undefined && v !== null && v !== '' && v !== false) q.set(k, String(v));
    }
    const s = q.toString();
    return s ? '?' + s : '';
  }

  async function get(path, params) {
    const headers = { Accept: 'application/json' };
    const t = token();
    if (t) headers.Authorization = 'Bearer ' + t;
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
  }

  // Lists page with next_cursor; a page of the largest size the API allows
  // keeps the calls few.
  const PAGE = 1000;

  // page fetches one page of a list after cursor: its items, the API's
  // total of every match, and the next page's cursor ('' after the last).
  async function page(path, params, key, cursor, limit) {
    const body = await get(path, { ...params, limit, cursor });
    return { items: arr(body[key]).map(obj), total: num(body.total), next: str(body.next_cursor) ?? '' };
  }

  // all fetches the pages of a list up to max items; truncated says the
  // list stopped short of the API's total.
  async function all(path, params, key, max) {
    let items = [];
    let cursor = '';
    let total = null;
    for (;;) {
      const p = await page(path, params, key, cursor, Math.min(PAGE, max));
      items = items.concat(p.items);
      total = p.total;
      cursor = p.next;
      if (!cursor || items.length >= max) {
        return { items: items.slice(0, max), total, truncated: !!cursor || items.length > max };
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
    if (typeof v !== 'string') return null;
    const d = new Date(v);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  const LEVELS = ['elite', 'high', 'medium', 'low'];
  const level = (v) => (LEVELS.includes(v) ? v : null);
  const spread = (s) => ({
    median_seconds: num(s.median_seconds), p75_seconds: num(s.p75_seconds), p90_seconds: num(s.p90_seconds),
  });
  const period = (p) => ({ from: time(p.from), to: time(p.to) });

  // --- filters ---------------------------------------------------------------------

  // scope is the filters every metric endpoint takes: repo, team, org, from
  // and to (dates, to exclusive).
  const scope = (f) => ({ repo: f.repo, team: f.team, org: f.org, from: f.from, to: f.to });

  // --- GET /api/v1/dora ----------------------------------------------------------------

  // The five metrics of one period and scope. Rates are fractions (0.25 is 25%).
  function doraValues(raw) {
    const df = obj(raw.deployment_frequency), lt = obj(raw.lead_time), cfr = obj(raw.change_failure_rate);
    const ttr = obj(raw.time_to_restore), rw = obj(raw.rework_rate), dp = obj(lt.direct_pushes);
    return {
      deployment_frequency: {
        deployments: num(df.deployments), per_week: num(df.per_week),
        median_deploy_days_per_week: num(df.median_deploy_days_per_week), level: level(df.level),
      },
      lead_time: {
        ...spread(lt), changes: num(lt.changes), level: level(lt.level),
        direct_pushes: { ...spread(dp), commits: num(dp.commits) },
      },
      change_failure_rate: {
        rate: num(cfr.rate), failed_deployments: num(cfr.failed_deployments), deployments: num(cfr.deployments), level: level(cfr.level),
      },
      time_to_restore: { ...spread(ttr), incidents: num(ttr.incidents), level: level(ttr.level) },
      rework_rate: {
        rate: num(rw.rate), rework_deployments: num(rw.rework_deployments), deployments: num(rw.deployments), level: level(rw.level),
      },
    };
  }

  // thresholds are the level boundaries the server rated by, elite first:
  // deployment frequency as the longest average time between deployments
  // (seconds), durations as seconds a median is below, rates as the most a
  // rate may be. null for a metric without levels.
  function thresholds(raw) {
    const out = {};
    for (const k of ['deployment_frequency', 'lead_time', 'change_failure_rate', 'time_to_restore', 'rework_rate']) {
      const t = obj(raw[k]);
      const b = { elite: num(t.elite), high: num(t.high), medium: num(t.medium) };
      out[k] = b.elite !== null && b.high !== null && b.medium !== null ? b : null;
    }
    return out;
  }

  // dora is the summary of the range with the previous period of equal
  // length, the series over the interval, and a row per repository and team.
  async function dora(f) {
    const raw = await get('/api/v1/dora', { ...scope(f), interval: f.interval });
    return {
      ...doraValues(raw),
      previous: { ...period(obj(raw.previous)), ...doraValues(obj(raw.previous)) },
      series: arr(raw.series).map(obj).map((p) => ({ ...period(p), ...doraValues(p) })).filter((p) => p.from),
      repos: arr(raw.repos).map(obj).map((r) => ({ repo: str(r.repo), ...doraValues(r) })).filter((r) => r.repo),
      teams: arr(raw.teams).map(obj).map((t) => ({ team: str(t.team), name: str(t.name), ...doraValues(t) })).filter((t) => t.team),
      thresholds: thresholds(obj(raw.thresholds)),
    };
  }

  // --- GET /api/v1/flow ------------------------------------------------------------------------------

  function flowValues(raw) {
    const tp = obj(raw.throughput);
    return {
      coding: spread(obj(raw.coding)), pickup: spread(obj(raw.pickup)), review: spread(obj(raw.review)), deploy: spread(obj(raw.deploy)),
      throughput: { opened: num(tp.opened), merged: num(tp.merged), closed_unmerged: num(tp.closed_unmerged) },
    };
  }

  async function flow(f) {
    const raw = await get('/api/v1/flow', { ...scope(f), interval: f.interval });
    return {
      ...flowValues(raw),
      previous: flowValues(obj(raw.previous)),
      series: arr(raw.series).map(obj).map((p) => ({ ...period(p), ...flowValues(p) })).filter((p) => p.from),
    };
  }

  // --- GET /api/v1/leaderboard -------------------------------------------------------------

  const KINDS = ['pulls_merged', 'pulls_opened', 'reviews', 'issues', 'comments'];

  // leaderboard ranks people, teams or companies (group person, team, org).
  // With series, each entry carries its score in every period of f.interval.
  async function leaderboard(f, group, withSeries) {
    const raw = await get('/api/v1/leaderboard', {
      ...scope(f), group, series: withSeries ? 'true' : '', interval: withSeries ? f.interval : '',
    });
    return {
      total: num(raw.total),
      periods: arr(raw.periods).map(obj).map(period),
      entries: arr(raw.entries).map(obj).map((e) => ({
        rank: num(e.rank), name: str(e.name) ?? '—', title: str(e.title), score: num(e.score),
        // count and points of each kind of contribution
        breakdown: Object.fromEntries(KINDS.map((k) => [k, { count: num(obj(obj(e.breakdown)[k]).count), points: num(obj(obj(e.breakdown)[k]).points) }])),
        previous_rank: num(e.previous_rank), previous_score: num(e.previous_score),
        companies: arr(e.companies).map(str).filter(Boolean),
        url: link(e.html_url),
        series: Array.isArray(e.series) ? e.series.map(num) : null,
      })),
    };
  }

  // --- GET /api/v1/pulls ---------------------------------------------------------------------

  function pull(p) {
    return {
      repo: str(p.repo), number: num(p.number), title: str(p.title), author: str(p.author), bot: bool(p.bot), state: str(p.state),
      created_at: time(p.created_at), merged_at: time(p.merged_at), closed_at: time(p.closed_at),
      coding_seconds: num(p.coding_seconds), pickup_seconds: num(p.pickup_seconds),
      review_seconds: num(p.review_seconds), deploy_seconds: num(p.deploy_seconds),
      lead_time_seconds: num(p.lead_time_seconds), deployment: num(p.deployment), deployed_at: time(p.deployed_at),
      url: link(p.html_url),
    };
  }

  // pulls is one page of pull requests: o.by (created, merged, closed,
  // deployed) picks the time that falls in the range; o.state, o.author and
  // o.bots (false: none opened by bots) narrow it, o.order (newest, oldest,
  // lead_time) sorts it and o.limit sizes it.
  async function pulls(f, o) {
    const raw = await get('/api/v1/pulls', {
      ...scope(f), by: o.by, state: o.state, author: o.author, bots: o.bots === false ? 'false' : '', order: o.order, limit: o.limit,
    });
    return { pulls: arr(raw.pulls).map(obj).map(pull), total: num(raw.total) };
  }

  // pullPage is one page of pull requests whose o.by time falls in the
  // range, newest first, after cursor.
  async function pullPage(f, o, cursor, limit) {
    const p = await page('/api/v1/pulls', { ...scope(f), by: o.by }, 'pulls', cursor, limit);
    return { ...p, items: p.items.map(pull) };
  }

  // --- GET /api/v1/deployments and /api/v1/incidents ---------------------------------------------

  function deployment(d) {
    return {
      id: num(d.id), repo: str(d.repo), environment: str(d.environment) ?? '(none)', sha: str(d.sha),
      status: str(d.status), finished_at: time(d.finished_at), source: str(d.source), url: link(d.url),
      production: bool(d.production), counted: bool(d.counted),
      changes: arr(d.changes).map(num).filter((n) => n !== null), failed: bool(d.failed), rework: bool(d.rework),
    };
  }

  // Deployments that finished in the range: o.environment ('' for the
  // production ones, 'all', or a name), o.status, o.failed and o.rework
  // narrow them.
  const deploymentParams = (f, o) => ({ ...scope(f), environment: o.environment, status: o.status, failed: o.failed, rework: o.rework });

  // deployments lists them, up to max.
  async function deployments(f, o = {}, max = 5000) {
    const r = await all('/api/v1/deployments', deploymentParams(f, o), 'deployments', max);
    return { ...r, items: r.items.map(deployment) };
  }

  // deploymentPage is one page of them, newest first, after cursor.
  async function deploymentPage(f, o, cursor, limit) {
    const p = await page('/api/v1/deployments', deploymentParams(f, o), 'deployments', cursor, limit);
    return { ...p, items: p.items.map(deployment) };
  }

  function incident(i) {
    return {
      id: num(i.id), repo: str(i.repo), title: str(i.title), source: str(i.source), url: link(i.url),
      opened_at: time(i.opened_at), resolved_at: time(i.resolved_at), restore_seconds: num(i.restore_seconds),
      deployment: num(i.deployment), link: str(i.link),
    };
  }

  // incidents lists incidents whose o.by time (opened, resolved) falls in
  // the range, up to max.
  async function incidents(f, o = {}, max = 5000) {
    const r = await all('/api/v1/incidents', { ...scope(f), by: o.by }, 'incidents', max);
    return { ...r, items: r.items.map(incident) };
  }

  // incidentPage is one page of them, newest first, after cursor.
  async function incidentPage(f, o, cursor, limit) {
    const p = await page('/api/v1/incidents', { ...scope(f), by: o.by }, 'incidents', cursor, limit);
    return { ...p, items: p.items.map(incident) };
  }

  // --- GET /api/v1/repos and /api/v1/teams ----------------------------------------------------------------

  // The lists change rarely and several parts of a page use them: one call
  // each per page load.
  let reposCall = null, teamsCall = null;

  function repos() {
    reposCall ??= get('/api/v1/repos').then((raw) => arr(raw.repos).map(obj).map((r) => ({
      repo: str(r.repo), owner: str(r.owner), url: link(r.html_url), teams: arr(r.teams).map(str).filter(Boolean),
    })).filter((r) => r.repo));
    return reposCall;
  }

  function teams() {
    teamsCall ??= get('/api/v1/teams').then((raw) => arr(raw.teams).map(obj).map((t) => ({
      team: str(t.team), org: str(t.org), slug: str(t.slug), name: str(t.name),
    })).filter((t) => t.team));
    return teamsCall;
  }

  // pullURL links a pull request of a repository the repository list knows.
  async function pullURLs() {
    const byRepo = new Map((await repos()).map((r) => [r.repo, r.url]));
    return (repo, number) => (byRepo.get(repo) ? `${byRepo.get(repo)}/pull/${number}` : null);
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
    APIError, token, setToken, forgetToken,
    dora, flow, leaderboard, pulls, pullPage, deployments, deploymentPage, incidents, incidentPage, repos, teams, pullURLs, dataHealth,
  };
})(window.Sextant = window.Sextant || {});
