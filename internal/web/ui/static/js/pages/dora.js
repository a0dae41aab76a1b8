// DORA: the summary, a chart per metric over time with the level bands,
// tables per repository and per team, and the lists behind each number.
(function (S) {
  'use strict';

  const { el, fill, plural, fmt, section, emptyState, code, href, shown, table, levelBadge } = S.ui;
  const { METRICS } = S.dora;

  function drawCharts(host, d, f) {
    if (S.dora.isEmpty(d)) {
      fill(host, S.dora.emptyHelp());
      return;
    }
    const x = d.series.map((p) => p.from);
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

  function cell(m, d, scopeParams, testid, thresholds) {
    const v = S.dora.value(d, m);
    const lvl = d[m.key].level;
    const text = shown(testid, v, m.format(v));
    const count = m.count ? m.count(d[m.key]) : null;
    return el('span', { class: 'cell' },
      m.drill && count ? el('a', { href: href('/dora', { ...scopeParams, drill: m.drill }) + '#drilldown', title: `List the ${plural(count, m.noun)}` }, text) : text,
      lvl && thresholds?.[m.key] ? [' ', levelBadge(lvl)] : null);
  }

  // scopeTable is the API's breakdown rows: kind "repo" (name in row.repo)
  // or "team" (row.team, its display name in row.name).
  function scopeTable(host, kind, rows, d, f) {
    const label = kind === 'repo' ? 'repository' : 'team';
    if (!rows.length) {
      fill(host, kind === 'repo'
        ? emptyState('No repositories known yet.', 'Set ', code('github.orgs'), ' or ', code('github.repos'),
          ' and ', code('github.token'), ', or report CI events for a repository.')
        : emptyState(f.repo ? `No team owns ${f.repo}.` : 'No teams known yet.', 'Teams are synced from GitHub organizations: set ', code('github.orgs'),
          ' and a ', code('github.token'), ' that can read the organization.'));
      return;
    }
    fill(host, table({
      caption: `DORA metrics by ${label}, ${f.days} days`, testid: 'table-' + kind,
      columns: [{ label: label[0].toUpperCase() + label.slice(1), rowHeader: true }, ...METRICS.map((m) => ({ label: m.label, num: true }))],
      rows: rows.map((r) => {
        const name = r[kind];
        const scope = kind === 'repo' ? { repo: name } : { team: name };
        return [el('a', { href: href('/dora', scope), 'data-testid': `${kind}-row` }, kind === 'team' && r.name ? `${r.name} (${name})` : name),
          ...METRICS.map((m) => cell(m, r, scope, `${kind}-${name}-${m.key}`, d.thresholds))];
      }),
    }));
  }

  // --- drill-down ----------------------------------------------------------------

  // Each list is the API's drill-down for its number (docs/API.md): the same
  // scope and range, so its total is the number shown. It is read a page at
  // a time; "Show more" reads the next.
  const DRILL_PAGE = 500;

  const deploymentDrill = (o) => ({
    columns: S.lists.DEPLOYMENT_COLUMNS,
    async page(f, cursor) {
      const [p, pullURL] = await Promise.all([S.api.deploymentPage(f.api, { status: 'success', ...o }, cursor, DRILL_PAGE),
        S.api.pullURLs().catch(() => null)]);
      return { ...p, rows: p.items.map((d) => S.lists.deploymentRow(d, pullURL)) };
    },
  });

  const DRILLS = {
    deployments: { metric: 'deployment_frequency', what: 'successful production deployments', ...deploymentDrill({}) },
    failures: { metric: 'change_failure_rate', what: 'production deployments that caused a failure', ...deploymentDrill({ failed: 'true' }) },
    rework: { metric: 'rework_rate', what: 'production deployments that were unplanned fixes', ...deploymentDrill({ rework: 'true' }) },
    changes: {
      metric: 'lead_time', what: 'pull requests deployed in the range',
      columns: ['Pull request', 'Author', 'Deployed', 'Lead time', 'Coding', 'Pickup', 'Review', 'Deploy'].map((label, i) => ({ label, num: i >= 3, time: i === 2 })),
      async page(f, cursor) {
        const p = await S.api.pullPage(f.api, { by: 'deployed' }, cursor, DRILL_PAGE);
        return {
          ...p,
          rows: p.items.map((x) => [
            x.url ? el('a', { href: x.url }, `${x.repo}#${x.number}`) : `${x.repo}#${x.number}`,
            x.author ?? fmt.DASH, fmt.dateTime(x.deployed_at), fmt.duration(x.lead_time_seconds),
            fmt.duration(x.coding_seconds), fmt.duration(x.pickup_seconds), fmt.duration(x.review_seconds), fmt.duration(x.deploy_seconds),
          ]),
        };
      },
    },
    incidents: {
      metric: 'time_to_restore', what: 'incidents resolved in the range', columns: S.lists.INCIDENT_COLUMNS,
      async page(f, cursor) {
        const p = await S.api.incidentPage(f.api, { by: 'resolved' }, cursor, DRILL_PAGE);
        return { ...p, rows: p.items.map(S.lists.incidentRow) };
      },
    },
  };

  async function drawDrill(host, f, current) {
    const drill = DRILLS[f.drill];
    if (!drill) {
      fill(host, el('p', { class: 'note' }, f.drill ? `Unknown list "${f.drill}": choose a number above.` : 'No list chosen yet.'));
      return;
    }
    const [d, first] = await Promise.all([current, drill.page(f, '')]);
    const m = METRICS.find((x) => x.key === drill.metric);
    const expected = m.count(d[m.key]);
    let listed = first.rows.length;
    let next = first.next;
    const showing = shown('drill-shown', listed, fmt.number(listed, 0));
    const tbl = table({ caption: `${drill.what[0].toUpperCase() + drill.what.slice(1)}, ${f.days} days`, testid: 'drill-table', columns: drill.columns, rows: first.rows });
    const status = el('span', { role: 'status' });
    const moreLabel = () => `Show the next ${fmt.number(Math.min(DRILL_PAGE, (first.total ?? 0) - listed), 0)}`;
    const more = el('button', { type: 'button', 'data-testid': 'drill-more', async onclick() {
      more.disabled = true;
      status.textContent = 'Loading…';
      try {
        const p = await drill.page(f, next);
        tbl.querySelector('tbody').append(...p.rows.map((r) => S.ui.tableRow(drill.columns, r)));
        listed += p.rows.length;
        next = p.next;
        showing.dataset.value = String(listed);
        showing.textContent = fmt.number(listed, 0);
        status.textContent = '';
      } catch (err) {
        status.textContent = `Could not load more: ${err.message}`;
      }
      more.disabled = false;
      more.hidden = !next;
      more.textContent = moreLabel();
    } }, moreLabel());
    more.hidden = !next;
    fill(host,
      el('p', null, el('strong', null, `${m.label}: `),
        shown('drill-count', first.total, `${fmt.number(first.total, 0)} ${drill.what}`), '; the metric counts ',
        shown('drill-expected', expected, fmt.number(expected, 0)), '. ',
        el('a', { href: href('/dora', { drill: '' }) }, 'Close the list')),
      first.total === expected ? null : el('p', { class: 'state warn', role: 'status', 'data-testid': 'drill-mismatch' },
        'The list does not add up to the number shown.'),
      first.total === 0 ? el('p', { class: 'note' }, `No ${drill.what}.`)
        : [tbl, el('p', { class: 'note' }, 'Showing ', showing, ` of ${fmt.number(first.total, 0)}, newest first. `, more, status)]);
  }

  S.ui.page((f) => {
    // One call has it all: the summary, the previous period, the series and
    // the rows per repository and team.
    const current = S.api.dora(f.api);
    current.catch(() => {});
    return [
      section('summary', 'the DORA summary', async (host) => {
        const d = await current;
        fill(host, (S.dora.isEmpty(d) ? [S.dora.emptyHelp()] : METRICS.map((m) => S.dora.tile(m, d, d.previous, d.series, true))));
      }),
      section('charts', 'the DORA charts', async (host) => drawCharts(host, await current, f)),
      section('drill', 'the list', (host) => drawDrill(host, f, current)),
      section('by-repo', 'the metrics by repository', async (host) => {
        const d = await current;
        scopeTable(host, 'repo', d.repos, d, f);
      }),
      section('by-team', 'the metrics by team', async (host) => {
        const d = await current;
        scopeTable(host, 'team', d.teams, d, f);
      }),
    ];
  });
})(window.Sextant);
