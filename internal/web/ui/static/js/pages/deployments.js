// Deployments: a timeline per environment with failures, rollbacks and
// incidents marked, and the lists behind it.
(function (S) {
  'use strict';

  const { el, fill, fmt, section, emptyState, code, shown, table } = S.ui;
  const MAX_ROWS = 200;

  // kindOf is a deployment's mark: failed attempts, deployments that caused
  // a failure, and the others that were deployed. Queued or running ones
  // are not deployments yet.
  function kindOf(d) {
    if (d.status === 'failure' || d.status === 'error') return 'failure';
    if (d.failed) return 'caused';
    if (d.status === 'success' || d.status === 'inactive') return 'success';
    return null;
  }

  const isRollback = (i) => i.source === 'rollback';

  function lanes(deps, incs) {
    const envs = new Map();
    const production = new Set();
    for (const d of deps) {
      const kind = kindOf(d);
      if (!kind) continue;
      if (!envs.has(d.environment)) envs.set(d.environment, []);
      if (d.production) production.add(d.environment);
      envs.get(d.environment).push({
        kind, at: d.finished_at, key: 'deployment:' + d.id,
        title: `${d.repo ?? ''} ${fmt.sha(d.sha)} to ${d.environment}, ${fmt.dateTime(d.finished_at)}: ${d.status ?? 'status unknown'}` +
          (d.failed ? ', caused a failure' : '') + (d.changes.length ? `, shipped ${d.changes.length} pull requests` : ''),
      });
    }
    // Production environments (as the server counts them) first.
    const names = [...envs.keys()].sort((a, b) => (production.has(b) - production.has(a)) || a.localeCompare(b));
    const out = names.map((n) => ({ name: n, items: envs.get(n) }));
    if (incs.length) {
      out.push({
        name: 'incidents', items: incs.map((i) => ({
          kind: isRollback(i) ? 'rollback' : 'incident', at: i.opened_at, key: 'incident:' + i.id,
          title: `${i.title ?? (isRollback(i) ? 'rollback' : 'incident')} (${i.repo ?? ''}), opened ${fmt.dateTime(i.opened_at)}, ` +
            (i.resolved_at ? `resolved ${fmt.dateTime(i.resolved_at)}` : 'not resolved'),
        })),
      });
    }
    return out;
  }

  function counts(deps, incs) {
    const c = { deployed: 0, failure: 0, caused: 0, rollback: incs.filter(isRollback).length };
    c.incidents = incs.length - c.rollback;
    for (const d of deps) {
      const k = kindOf(d);
      if (k === 'success' || k === 'caused') c.deployed++;
      if (k === 'failure') c.failure++;
      if (d.failed) c.caused++;
    }
    return c;
  }

  const noDeploys = () => emptyState('No deployments in this range.',
    'Report deploys with ', code('sextant report deploy --repo OWNER/NAME --env production'),
    ' from your pipeline (docs/CI.md), or connect GitHub deployments: set ', code('github.token'), ' and ',
    code('github.repos'), ' (or ', code('github.orgs'), ').');

  const truncatedNote = (r, what) => (r.truncated
    ? el('p', { class: 'note', 'data-testid': 'truncated' }, `Only the first ${fmt.number(r.items.length, 0)} of ${fmt.number(r.total, 0)} ${what} were read: narrow the range or scope for all of them.`)
    : null);

  S.ui.page((f) => {
    // Every environment, not only production: the timeline has a lane each.
    const depsP = S.api.deployments(f.api, { environment: 'all' });
    const incsP = S.api.incidents(f.api);
    depsP.catch(() => {});
    incsP.catch(() => {});
    return [
      section('timeline', 'the timeline', async (host) => {
        const [{ items: deps }, { items: incs }] = await Promise.all([depsP, incsP]);
        if (!deps.length && !incs.length) {
          fill(host, noDeploys());
          return;
        }
        const ls = lanes(deps, incs);
        const c = counts(deps, incs);
        const summary = `Timeline of ${deps.length} deployments in ${ls.length - (incs.length ? 1 : 0)} environments: ` +
          `${c.failure} failed, ${c.caused} caused a failure, ${c.rollback} rollbacks, ${c.incidents} incidents. The tables below list them.`;
        fill(host,
          el('p', { class: 'counts' },
            shown('count-deployed', c.deployed, fmt.number(c.deployed, 0)), ' deployed · ',
            shown('count-failed', c.failure, fmt.number(c.failure, 0)), ' failed · ',
            shown('count-caused', c.caused, fmt.number(c.caused, 0)), ' caused a failure · ',
            shown('count-rollbacks', c.rollback, fmt.number(c.rollback, 0)), c.rollback === 1 ? ' rollback · ' : ' rollbacks · ',
            shown('count-incidents', c.incidents, fmt.number(c.incidents, 0)), c.incidents === 1 ? ' incident' : ' incidents'),
          S.charts.timeline({
            lanes: ls, from: f.fromDate, to: f.toDate, summary, width: host.clientWidth,
            links: incs.filter((i) => i.deployment !== null).map((i) => ['incident:' + i.id, 'deployment:' + i.deployment]),
          }));
      }),
      section('deploy-list', 'the deployments', async (host) => {
        const [r, pullURL] = await Promise.all([depsP, S.api.pullURLs().catch(() => null)]);
        if (!r.items.length) {
          fill(host, noDeploys());
          return;
        }
        const rows = r.items.slice(0, MAX_ROWS); // newest first, as the API lists them
        fill(host, table({
          caption: `Deployments in every environment, newest first (${rows.length} of ${fmt.number(r.total, 0)})`, testid: 'deployments-table',
          columns: S.lists.DEPLOYMENT_COLUMNS, rows: rows.map((d) => S.lists.deploymentRow(d, pullURL)),
        }), truncatedNote(r, 'deployments'));
      }),
      section('incident-list', 'the incidents', async (host) => {
        const r = await incsP;
        if (!r.items.length) {
          fill(host, emptyState('No incidents in this range.',
            'Sextant opens incidents from GitHub issues labelled ', code('incident'), ', from ',
            code('sextant report incident_opened --repo OWNER/NAME --id ID'), ' and from rollbacks.'));
          return;
        }
        fill(host, table({
          caption: `Incidents opened in the range (${fmt.number(r.total, 0)})`, testid: 'incidents-table',
          columns: S.lists.INCIDENT_COLUMNS, rows: r.items.map(S.lists.incidentRow),
        }), truncatedNote(r, 'incidents'));
      }),
    ];
  });
})(window.Sextant);
