// DORA metric definitions shared by the Overview and DORA pages: labels,
// formats, which way is better, level bands, tiles and the empty state.
(function (S) {
  'use strict';

  const { el, plural, fmt, shown, levelBadge, change, emptyState, code, href } = S.ui;

  // METRICS lists the DORA metrics in the order they are shown. value is
  // the number a tile shows; drill names the list behind it (DORA page).
  const METRICS = [
    {
      key: 'deployment_frequency', field: 'deployments', label: 'Deployment frequency', better: 'higher',
      format: (v) => fmt.number(v, 0), unit: 'deployments', integer: true,
      detail: (m) => `${fmt.number(m.per_week)} a week · median ${fmt.number(m.median_deploy_days_per_week)} ` +
        `${m.median_deploy_days_per_week === 1 ? 'day' : 'days'} a week with a deployment`,
      drill: 'deployments', count: (m) => m.deployments, noun: 'deployment',
    },
    {
      key: 'lead_time', field: 'median_seconds', label: 'Lead time for changes', better: 'lower', format: fmt.duration, unit: 'median', duration: true,
      detail: (m) => `p75 ${fmt.duration(m.p75_seconds)} · p90 ${fmt.duration(m.p90_seconds)} · ${plural(m.changes, 'change')}`,
      drill: 'changes', count: (m) => m.changes, noun: 'change',
    },
    {
      key: 'change_failure_rate', field: 'rate', label: 'Change failure rate', better: 'lower', format: fmt.percent, unit: 'of deployments',
      detail: (m) => `${fmt.number(m.failed_deployments, 0)} of ${plural(m.deployments, 'deployment')} caused a failure`,
      drill: 'failures', count: (m) => m.failed_deployments, noun: 'failed deployment',
    },
    {
      key: 'time_to_restore', field: 'median_seconds', label: 'Time to restore', better: 'lower', format: fmt.duration, unit: 'median', duration: true,
      detail: (m) => plural(m.incidents, 'incident'),
      drill: 'incidents', count: (m) => m.incidents, noun: 'incident',
    },
    {
      key: 'rework_rate', field: 'rate', label: 'Rework rate', better: 'lower', format: fmt.percent, unit: 'of deployments',
      detail: (m) => `${fmt.number(m.rework_deployments, 0)} of ${plural(m.deployments, 'deployment')} were unplanned fixes`,
      drill: 'rework', count: (m) => m.rework_deployments, noun: 'rework deployment',
    },
  ];

  // Nominal lengths of the series' periods, in seconds.
  const PERIOD_SECONDS = { day: 86400, week: 7 * 86400, month: 30.44 * 86400 };

  // bands are the value ranges of each level, in the units a series plots,
  // from the thresholds the server rated by (null: the metric has no
  // levels). Deployment frequency's thresholds are the longest average time
  // between deployments; a series plots deployments per period.
  function bands(key, interval, thresholds) {
    const t = thresholds?.[key];
    if (!t) return null;
    if (key === 'deployment_frequency') {
      const per = (between) => (PERIOD_SECONDS[interval] || PERIOD_SECONDS.day) / between;
      return [
        { level: 'low', lo: 0, hi: per(t.medium) }, { level: 'medium', lo: per(t.medium), hi: per(t.high) },
        { level: 'high', lo: per(t.high), hi: per(t.elite) }, { level: 'elite', lo: per(t.elite), hi: Infinity },
      ];
    }
    return [
      { level: 'elite', lo: 0, hi: t.elite }, { level: 'high', lo: t.elite, hi: t.high },
      { level: 'medium', lo: t.high, hi: t.medium }, { level: 'low', lo: t.medium, hi: Infinity },
    ];
  }

  const value = (summary, m) => summary?.[m.key]?.[m.field] ?? null;

  // isEmpty: nothing was deployed, changed or broken in the range.
  function isEmpty(d) {
    return !d.deployment_frequency.deployments && !d.lead_time.changes && !d.time_to_restore.incidents;
  }

  function emptyHelp() {
    return emptyState('No production deployments in this range.',
      'Report deploys from your pipelines with ', code('sextant report deploy --repo OWNER/NAME --env production'),
      ' (docs/CI.md), or connect GitHub (', code('github.token'), ' with ', code('github.orgs'), ' or ',
      code('github.repos'), ') so that GitHub deployments and deploy workflow runs are synced. ',
      'Lead time needs merged pull requests; time to restore needs incidents (issues labelled ', code('incident'),
      ' or ', code('sextant report incident_opened'), ').');
  }

  // tile shows one metric: value, level, change against the previous
  // period, trend, details and (with drill) a link to what it counts.
  function tile(m, cur, prev, series, drill) {
    const mc = cur[m.key];
    const v = value(cur, m);
    const id = 'metric-' + m.key.replaceAll('_', '-');
    const count = m.count ? m.count(mc) : null;
    return el('article', { class: 'tile', 'data-testid': id, 'data-level': mc.level ?? '' },
      el('h3', null, m.label),
      el('p', { class: 'big' }, shown(id + '-value', v, m.format(v)), ' ', el('span', { class: 'unit' }, m.unit)),
      el('p', { class: 'badges' }, cur.thresholds?.[m.key] ? levelBadge(mc.level, id + '-level') : null, ' ',
        prev ? change(v, value(prev, m), m.better, m.format, id + '-change', m.field === 'rate') : null),
      series ? S.charts.sparkline(series.map((p) => value(p, m)), m.label + ' per period') : null,
      el('p', { class: 'detail' }, m.detail(mc)),
      drill && m.drill && count
        ? el('p', null, el('a', { href: href('/dora', { drill: m.drill }) + '#drilldown', 'data-testid': id + '-drill' },
          `List the ${plural(count, m.noun)}`, el('span', { 'aria-hidden': 'true' }, ' →')))
        : null);
  }

  S.dora = { METRICS, bands, value, isEmpty, emptyHelp, tile };
})(window.Sextant = window.Sextant || {});
