// Deployments: a timeline per environment with failures, rollbacks and
// incidents marked, and the lists behind it.
(function (S) {
  'use strict';

  const { el, fill, plural, fmt, section, emptyState, code, shown, table } = S.ui;
  const MAX_ROWS = 200;

  function kindOf(d) {
    if (d.rollback) return 'rollback';
    if (d.status === 'failure' || d.status === 'error') return 'failure';
    if (d.failed) return 'caused';
    if (d.status === 'success' || d.status === 'inactive' || d.status === null) return 'success';
    return null; // in progress, queued: not a deployment yet
  }

  function lanes(deps, incs) {
    const envs = new Map();
    for (const d of deps) {
      const kind = kindOf(d);
      if (!kind) continue;
      if (!envs.has(d.environment)) envs.set(d.environment, []);
      envs.get(d.environment).push({
        kind, at: d.finished_at, id: d.id,
        title: `${d.repo ?? ''} ${fmt.sha(d.sha)} to ${d.environment}, ${fmt.dateTime(d.finished_at)}: ${d.status ?? 'status unknown'}` +
          (d.failed ? ', caused a failure' : '') + (d.changes.length ? `, shipped ${d.changes.length} pull requests` : ''),
      });
    }
    const prod = (env) => S.api.isProduction({ environment: env });
    const names = [...envs.keys()].sort((a, b) => (prod(b) - prod(a)) || a.localeCompare(b));
    const out = names.map((n) => ({ name: n, items: envs.get(n) }));
    if (incs.length) {
      out.push({
        name: 'incidents', items: incs.map((i) => ({
          kind: i.source === 'rollback' ? 'rollback' : 'incident', at: i.opened_at, id: i.id,
          title: `${i.title ?? 'incident'} (${i.repo ?? ''}), opened ${fmt.dateTime(i.opened_at)}, ` +
            (i.resolved_at ? `resolved ${fmt.dateTime(i.resolved_at)}` : 'not resolved'),
        })),
      });
    }
    return out;
  }

  function counts(deps, incs) {
    const c = { deployed: 0, failure: 0, caused: 0, rollback: 0, incidents: incs.filter((i) => i.source !== 'rollback').length };
    for (const d of deps) {
      const k = kindOf(d);
      if (k === 'success' || k === 'caused') c.deployed++;
      if (k === 'failure') c.failure++;
      if (k === 'caused' || d.failed) c.caused++;
      if (k === 'rollback') c.rollback++;
    }
    c.rollback += incs.filter((i) => i.source === 'rollback').length;
    return c;
  }

  const noDeploys = () => emptyState('No deployments in this range.',
    'Report deploys with ', code('sextant report deploy --repo OWNER/NAME --env production'),
    ' from your pipeline (docs/CI.md), or connect GitHub deployments: set ', code('github.token'), ' and ',
    code('github.repos'), ' (or ', code('github.orgs'), ').');

  S.ui.page((f) => {
    const depsP = S.api.deployments(f.api);
    const incsP = S.api.incidents(f.api);
    depsP.catch(() => {});
    incsP.catch(() => {});
    return [
      section('timeline', 'the timeline', async (host) => {
        const [{ deployments: deps }, { incidents: incs }] = await Promise.all([depsP, incsP]);
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
            links: incs.filter((i) => i.deployment !== null).map((i) => [i.id, i.deployment]),
          }));
      }),
      section('deploy-list', 'the deployments', async (host) => {
        const { deployments: deps, truncated } = await depsP;
        if (!deps.length) {
          fill(host, noDeploys());
          return;
        }
        const rows = [...deps].sort((a, b) => (b.finished_at ?? 0) - (a.finished_at ?? 0)).slice(0, MAX_ROWS);
        fill(host, table({
          caption: `Deployments, newest first (${rows.length} of ${deps.length})`, testid: 'deployments-table',
          columns: S.lists.DEPLOYMENT_COLUMNS, rows: rows.map(S.lists.deploymentRow),
        }), truncated ? el('p', { class: 'note' }, 'Only the first deployments were read: narrow the range for all of them.') : null);
      }),
      section('incident-list', 'the incidents', async (host) => {
        const { incidents: incs } = await incsP;
        if (!incs.length) {
          fill(host, emptyState('No incidents in this range.',
            'Sextant opens incidents from GitHub issues labelled ', code('incident'), ', from ',
            code('sextant report incident_opened --repo OWNER/NAME --id ID'), ' and from rollbacks.'));
          return;
        }
        fill(host, table({
          caption: `Incidents (${incs.length})`, testid: 'incidents-table',
          columns: S.lists.INCIDENT_COLUMNS, rows: incs.map(S.lists.incidentRow),
        }));
      }),
    ];
  });
})(window.Sextant);
