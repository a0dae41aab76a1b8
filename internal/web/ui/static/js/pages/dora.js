// DORA: the summary, a chart per metric over time with the level bands,
// tables per repository and per team, and the lists behind each number.
(function (S) {
  'use strict';

  const { el, fill, plural, fmt, section, emptyState, code, href, shown, table, levelBadge } = S.ui;
  const { METRICS } = S.dora;
  const MAX_ROWS = 40; // one API call per row: beyond this, narrow the scope
  const PARALLEL = 4;

  // eachLimited maps items through fn with at most n calls in flight.
  async function eachLimited(items, n, fn) {
    const out = new Array(items.length);
    let next = 0;
    await Promise.all(Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        try { out[i] = { ok: true, value: await fn(items[i]) }; } catch (err) { out[i] = { ok: false, err }; }
      }
    }));
    return out;
  }

  function drawCharts(host, d, f) {
    if (!d.series.length) {
      fill(host, S.dora.isEmpty(d) ? S.dora.emptyHelp()
        : emptyState('The API gave no series for this range.', 'Try another interval or range.'));
      return;
    }
    const x = d.series.map((p) => p.start);
    const figs = METRICS.map((m) => {
      const values = d.series.map((p) => S.dora.value(p, m));
      const known = values.filter((v) => v !== null);
      return S.charts.timeChart({
        id: m.key, title: `${m.label} per ${f.interval}`, x, format: m.format, integer: m.integer, duration: m.duration,
        series: [{ label: m.label, values, colour: S.charts.COLOURS.black }],
        bands: S.dora.bands(m.key, f.interval, d.thresholds),
        summary: `${m.label} per ${f.interval}, ${values.length} periods from ${fmt.date(x[0])}: ` +
          (known.length ? `lowest ${m.format(Math.min(...known))}, highest ${m.format(Math.max(...known))}, latest ${m.format(known[known.length - 1])}.` : 'no values.'),
      });
    });
    fill(host, el('div', { class: 'chart-grid' }, figs));
    figs.forEach((fig) => fig.draw());
  }

  // --- tables per repository and team ---------------------------------------------

  function cell(m, d, scopeParams, testid) {
    const v = S.dora.value(d, m);
    const lvl = d[m.key].level;
    const text = shown(testid, v, m.format(v));
    const count = m.count ? m.count(d[m.key]) : null;
    return el('span', { class: 'cell' },
      m.drill && count ? el('a', { href: href('/dora', { ...scopeParams, drill: m.drill }) + '#drilldown', title: `List the ${plural(count, m.noun)}` }, text) : text,
      lvl ? [' ', levelBadge(lvl)] : null);
  }

  async function scopeTable(host, kind, names, f) {
    const label = kind === 'repo' ? 'repository' : 'team';
    if (!names.length) {
      fill(host, kind === 'repo'
        ? emptyState('No repositories known yet.', 'Set ', code('github.orgs'), ' or ', code('github.repos'),
          ' and ', code('github.token'), ', or report CI events for a repository.')
        : emptyState('No teams known yet.', 'Teams are synced from GitHub organizations: set ', code('github.orgs'),
          ' and a ', code('github.token'), ' that can read the organization.'));
      return;
    }
    const shownNames = names.slice(0, MAX_ROWS);
    const results = await eachLimited(shownNames, PARALLEL, (n) => S.api.dora({ ...f.api, [kind]: n }));
    const failed = results.find((r) => !r.ok);
    if (failed && results.every((r) => !r.ok)) throw failed.err;
    const rows = shownNames.map((n, i) => {
      const r = results[i];
      const link = el('a', { href: href('/dora', { [kind]: n }) }, n);
      if (!r.ok) return [link, el('span', { class: 'note', 'data-testid': 'error' }, `${r.err.status || ''} ${r.err.message}`), '', '', '', ''];
      return [link, ...METRICS.map((m) => cell(m, r.value, { [kind]: n }, `${kind}-${n}-${m.key}`))];
    });
    fill(host, 
      table({
        caption: `DORA metrics by ${label}, ${f.days} days`, testid: 'table-' + kind,
        columns: [{ label: label[0].toUpperCase() + label.slice(1), rowHeader: true }, ...METRICS.map((m) => ({ label: m.label, num: true }))],
        rows,
      }),
      names.length > MAX_ROWS ? el('p', { class: 'note' }, `Showing the first ${MAX_ROWS} of ${names.length}: filter by organization or team to see the others.`) : null);
  }

  // --- drill-down ----------------------------------------------------------------

  // What deployment frequency counts.
  const isProductionSuccess = (d) => S.api.isProduction(d) && d.status === 'success';
  const deploymentList = (list) => ({ columns: S.lists.DEPLOYMENT_COLUMNS, rows: list.map(S.lists.deploymentRow) });

  const DRILLS = {
    deployments: {
      metric: 'deployment_frequency', what: 'successful production deployments',
      async load(f) {
        const r = await S.api.deployments(f.api);
        const list = r.deployments.filter(isProductionSuccess);
        return { count: list.length, truncated: r.truncated, ...deploymentList(list) };
      },
    },
    failures: {
      metric: 'change_failure_rate', what: 'production deployments that caused a failure',
      async load(f) {
        const r = await S.api.deployments(f.api);
        const list = r.deployments.filter((d) => isProductionSuccess(d) && d.failed === true);
        return { count: list.length, truncated: r.truncated, ...deploymentList(list) };
      },
    },
    changes: {
      metric: 'lead_time', what: 'pull requests deployed in the range',
      async load(f) {
        const [deps, prs] = await Promise.all([S.api.deployments(f.api), S.api.pulls(f.api)]);
        const ids = new Set(deps.deployments.filter(isProductionSuccess).map((d) => String(d.id)));
        const list = prs.pulls.filter((p) => p.deployment !== null && ids.has(String(p.deployment)))
          .sort((a, b) => (b.lead_time_seconds ?? -1) - (a.lead_time_seconds ?? -1));
        return {
          count: list.length, truncated: deps.truncated || prs.truncated,
          columns: ['Pull request', 'Author', 'Merged', 'Lead time', 'Coding', 'Pickup', 'Review', 'Deploy'].map((label, i) => ({ label, num: i >= 3, time: i === 2 })),
          rows: list.map((p) => [
            p.url ? el('a', { href: p.url }, `${p.repo}#${p.number}`) : `${p.repo}#${p.number}`,
            p.author ?? fmt.DASH, fmt.dateTime(p.merged_at), fmt.duration(p.lead_time_seconds),
            fmt.duration(p.coding_seconds), fmt.duration(p.pickup_seconds), fmt.duration(p.review_seconds), fmt.duration(p.deploy_seconds),
          ]),
        };
      },
    },
    incidents: {
      metric: 'time_to_restore', what: 'incidents',
      async load(f) {
        const r = await S.api.incidents(f.api);
        return {
          count: r.incidents.length, truncated: r.truncated,
          columns: S.lists.INCIDENT_COLUMNS, rows: r.incidents.map(S.lists.incidentRow),
        };
      },
    },
  };

  async function drawDrill(host, f, current) {
    const drill = DRILLS[f.drill];
    if (!drill) {
      fill(host, el('p', { class: 'note' }, f.drill ? `Unknown list "${f.drill}": choose a number above.` : 'No list chosen yet.'));
      return;
    }
    const [d, r] = await Promise.all([current, drill.load(f)]);
    const m = METRICS.find((x) => x.key === drill.metric);
    const expected = m.count(d[m.key]);
    const agrees = expected === null || expected === r.count;
    fill(host, 
      el('p', null, el('strong', null, `${m.label}: `),
        shown('drill-count', r.count, `${fmt.number(r.count, 0)} ${drill.what}`), ' listed; the metric counts ',
        shown('drill-expected', expected, fmt.number(expected, 0)), '. ',
        el('a', { href: href('/dora', { drill: '' }) }, 'Close the list')),
      agrees ? null : el('p', { class: 'state warn', role: 'status', 'data-testid': 'drill-mismatch' },
        'The list does not add up to the number shown', r.truncated ? ': it was cut short, narrow the range or scope.' : '.'),
      r.count === 0 ? el('p', { class: 'note' }, `No ${drill.what}.`)
        : table({ caption: `${drill.what[0].toUpperCase() + drill.what.slice(1)}, ${f.days} days`, testid: 'drill-table', columns: r.columns, rows: r.rows }));
  }

  S.ui.page((f) => {
    const current = S.api.dora(f.api);
    const prevP = S.api.dora(S.ui.previous(f));
    current.catch(() => {});
    prevP.catch(() => {});
    const names = (kind) => (kind === 'repo'
      ? S.api.repos().then((rs) => rs.filter((r) => (!f.org || r.org === f.org) && (!f.repo || r.name === f.repo)).map((r) => r.name))
      : S.api.teams().then((ts) => ts.filter((t) => (!f.org || !t.org || t.org === f.org) && (!f.team || t.name === f.team)).map((t) => t.name)));
    return [
      section('summary', 'the DORA summary', async (host) => {
        const [d, prev] = await Promise.all([current, prevP]);
        fill(host, (S.dora.isEmpty(d) ? [S.dora.emptyHelp()] : METRICS.map((m) => S.dora.tile(m, d, prev, d.series, f.days, true))));
      }),
      section('charts', 'the DORA charts', async (host) => drawCharts(host, await current, f)),
      section('drill', 'the list', (host) => drawDrill(host, f, current)),
      section('by-repo', 'the metrics by repository', async (host) => scopeTable(host, 'repo', await names('repo'), f)),
      section('by-team', 'the metrics by team', async (host) => scopeTable(host, 'team', await names('team'), f)),
    ];
  });
})(window.Sextant);
