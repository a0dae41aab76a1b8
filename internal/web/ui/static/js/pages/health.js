// Data health: sync state per repository, integrity findings, the last
// webhook, the GitHub rate-limit budget and the job queue.
(function (S) {
  'use strict';

  const { el, fill, fmt, section, emptyState, code, shown, table } = S.ui;

  const ago = (d) => (d ? fmt.duration((Date.now() - d) / 1000) + ' ago' : fmt.DASH);
  const connect = () => ['Set ', code('github.token'), ' and ', code('github.orgs'), ' or ', code('github.repos'),
    ', then restart ', code('sextant serve'), '.'];

  // The API reports on everything; the filter bar narrows the repository
  // and organization tables here.
  function narrow(h, f) {
    const org = (name) => (name ?? '').split('/')[0];
    return {
      ...h,
      repos: h.repos.filter((r) => (!f.repo || r.name === f.repo) && (!f.org || org(r.name) === f.org)),
      orgs: h.orgs.filter((o) => !f.org || o.name === f.org),
      others: f.repo || f.org ? [] : h.others,
    };
  }

  S.ui.page((f) => {
    const data = S.api.dataHealth().then((h) => narrow(h, f));
    data.catch(() => {});
    return [
      section('budget', 'the rate-limit budget', async (host) => {
        const h = await data;
        if (!h.limits.length) {
          fill(host, emptyState('No rate-limit reading yet.',
            'Sextant records GitHub’s rate-limit budget from its answers once it syncs. ', connect()));
          return;
        }
        fill(host, ...h.limits.map((l) => el('article', { class: 'tile', 'data-testid': 'limit-' + l.resource },
          el('h3', null, `GitHub ${l.resource} budget`),
          el('p', { class: 'big' }, shown('limit-' + l.resource + '-remaining', l.remaining, fmt.number(l.remaining, 0)),
            ' ', el('span', { class: 'unit' }, `of ${fmt.number(l.limit, 0)} left`)),
          el('p', { class: 'detail' }, `resets ${fmt.dateTime(l.reset_at)}`))));
      }),
      section('queue', 'the job queue', async (host) => {
        const h = await data;
        const q = h.queue.filter((j) => j.count);
        if (!q.length) {
          fill(host, el('p', { class: 'note', 'data-testid': 'queue-empty' }, 'The job queue is empty.'));
          return;
        }
        fill(host, table({
          caption: 'Job queue by kind and state', testid: 'queue-table',
          columns: [{ label: 'Kind', rowHeader: true }, { label: 'State' }, { label: 'Jobs', num: true }],
          rows: q.map((j) => [j.kind ?? fmt.DASH, j.state ?? fmt.DASH, shown(`queue-${j.kind}-${j.state}`, j.count, fmt.number(j.count, 0))]),
        }));
      }),
      section('sync', 'the sync state', async (host) => {
        const h = await data;
        if (!h.repos.length && !h.orgs.length) {
          fill(host, emptyState('No repositories synced yet.', connect()));
          return;
        }
        const row = (r) => [r.name ?? fmt.DASH, ago(r.last_webhook_at), ago(r.synced_at), ago(r.check.at),
          shown('findings-' + r.name, r.check.findings.length, r.check.at ? fmt.number(r.check.findings.length, 0) : fmt.DASH),
          fmt.number(r.check.requests, 0)];
        const columns = (first) => [{ label: first, rowHeader: true }, { label: 'Last webhook' }, { label: 'Last sync' },
          { label: 'Last check' }, { label: 'Findings', num: true }, { label: 'Check cost (requests)', num: true }];
        fill(host, 
          h.repos.length ? table({ caption: 'Repositories', testid: 'sync-repos', columns: columns('Repository'), rows: h.repos.map(row) }) : null,
          h.orgs.length ? table({ caption: 'Organizations', testid: 'sync-orgs', columns: columns('Organization'), rows: h.orgs.map(row) }) : null);
      }),
      section('findings', 'the integrity findings', async (host) => {
        const h = await data;
        const all = [...h.repos, ...h.orgs, ...h.others];
        const findings = all.flatMap((r) => r.check.findings.map((x) => ({ ...x, scope: x.scope ?? r.name })));
        if (!all.some((r) => r.check.at)) {
          fill(host, emptyState('No integrity check has run yet.',
            'Checks run on a schedule (hourly by default); ', code('sextant check'), ' runs one now and ',
            code('sextant check --repair'), ' repairs what it finds.'));
          return;
        }
        if (!findings.length) {
          fill(host, el('p', { class: 'state ok', 'data-testid': 'findings-clean' }, 'The latest checks found nothing missing.'));
          return;
        }
        fill(host, table({
          caption: `Integrity findings (${findings.length})`, testid: 'findings-table',
          columns: [{ label: 'Scope' }, { label: 'Check' }, { label: 'Expected', num: true }, { label: 'Found', num: true }, { label: 'Repair' }, { label: 'Detail' }],
          rows: findings.map((x) => [x.scope ?? fmt.DASH, x.check ?? fmt.DASH, fmt.number(x.expected, 0), fmt.number(x.found, 0),
            x.repair ?? fmt.DASH, x.message ?? '']),
        }));
      }),
    ];
  });
})(window.Sextant);
