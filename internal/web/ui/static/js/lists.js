// Deployments and incidents as table rows, for the DORA drill-down and the
// Deployments page.
(function (S) {
  'use strict';

  const { el, fmt } = S.ui;

  const DEPLOYMENT_COLUMNS = ['Finished', 'Repository', 'Environment', 'Commit', 'Status', 'Source', 'Shipped', 'Caused a failure']
    .map((label, i) => ({ label, time: i === 0 }));

  const sha = (d) => el('code', null, fmt.sha(d.sha));

  // deploymentRow is one deployment; pullURL(repo, number) links the pull
  // requests it shipped (null: no link).
  function deploymentRow(d, pullURL) {
    return [
      fmt.dateTime(d.finished_at), d.repo ?? fmt.DASH, d.environment, d.url ? el('a', { href: d.url }, sha(d)) : sha(d),
      d.status ?? fmt.DASH, d.source ?? fmt.DASH,
      d.changes.length
        ? d.changes.map((n, i) => {
          const u = d.repo ? pullURL?.(d.repo, n) : null;
          return [i ? ', ' : '', u ? el('a', { href: u }, '#' + n) : '#' + n];
        })
        : fmt.DASH,
      d.failed === null ? fmt.DASH : d.failed ? 'yes' : 'no',
    ];
  }

  const INCIDENT_COLUMNS = ['Opened', 'Resolved', 'Time to restore', 'Repository', 'Incident', 'Source', 'Deployment']
    .map((label, i) => ({ label, num: i === 2, time: i < 2 }));

  function incidentRow(i) {
    const title = i.title ?? `#${i.id}`;
    return [
      fmt.dateTime(i.opened_at), fmt.dateTime(i.resolved_at), fmt.duration(i.restore_seconds),
      i.repo ?? fmt.DASH, i.url ? el('a', { href: i.url }, title) : title,
      i.source ?? fmt.DASH, i.deployment === null ? 'none' : String(i.deployment) + (i.link ? ` (${i.link.replace('_', ' ')})` : ''),
    ];
  }

  S.lists = { DEPLOYMENT_COLUMNS, deploymentRow, INCIDENT_COLUMNS, incidentRow };
})(window.Sextant = window.Sextant || {});
