// DORA metric definitions shared by the Overview and DORA pages: labels,
// formats, which way is better, level bands, tiles and the empty state.
(function (S) {
  'use strict';

  const { el, fill, plural, fmt, shown, levelBadge, change, emptyState, code, href } = S.ui;
  const DAY = 86400, HOUR = 3600;

  const perWeek = (m, days) => (m.deployments === null ? null : (m.deployments / days) * 7);

  // METRICS lists the DORA metrics in the order they are shown. value is
  // the number a tile shows; drill names the list behind it (DORA page).
  const METRICS = [
    {
      key: 'deployment_frequency', field: 'deployments', label: 'Deployment frequency', better: 'higher',
      format: (v) => fmt.number(v, 0), unit: 'deployments', integer: true,
      detail: (m, days) => `${fmt.number(perWeek(m, days))} a week · median ${fmt.number(m.median_deploy_days_per_week)} days a week with a deployment`,
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
      detail: (m) => `of ${plural(m.deployments, 'deployment')} were unplanned fixes`,
      drill: null, noun: 'deployment',
    },
  ];

  // Default level boundaries, from the 2023 State of DevOps report (the
  // API's defaults; docs/METRICS.md). A server with other thresholds says
  // so in the answer's "thresholds", which then wins. Deployment frequency
  // is per day, higher is better; the others are upper bounds.
  const DEFAULT_THRESHOLDS = {
    deployment_frequency: { elite: 1, high: 1 / 7, medium: 1 / 30 },
    lead_time: { elite: DAY, high: 7 * DAY, medium: 30 * DAY },
    change_failure_rate: { elite: 0.05, high: 0.10, medium: 0.15 },
    time_to_restore: { elite: HOUR, high: DAY, medium: 7 * DAY },
  };
  const PERIOD_DAYS = { day: 1, week: 7, month: 30.44 };

  // bands are the value ranges of each level, in the units a series plots
  // (deployments per period for deployment frequency).
  function bands(key, interval, thresholds) {
    const t = { ...DEFAULT_THRESHOLDS[key], ...(thresholds?.[key] || {}) };
    if (!DEFAULT_THRESHOLDS[key]) return null;
    if (key === 'deployment_frequency') {
      const k = PERIOD_DAYS[interval] || 1;
      return [
        { level: 'low', lo: 0, hi: t.medium * k }, { level: 'medium', lo: t.medium * k, hi: t.high * k },
        { level: 'high', lo: t.high * k, hi: t.elite * k }, { level: 'elite', lo: t.elite * k, hi: Infinity },
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
  function tile(m, cur, prev, series, days, drill) {
    const mc = cur[m.key];
    const v = value(cur, m);
    const id = 'metric-' + m.key.replaceAll('_', '-');
    const count = m.count ? m.count(mc) : null;
    return el('article', { class: 'tile', 'data-testid': id, 'data-level': mc.level ?? '' },
      el('h3', null, m.label),
      el('p', { class: 'big' }, shown(id + '-value', v, m.format(v)), ' ', el('span', { class: 'unit' }, m.unit)),
      el('p', { class: 'badges' }, DEFAULT_THRESHOLDS[m.key] ? levelBadge(mc.level, id + '-level') : null, ' ',
        prev ? change(v, value(prev, m), m.better, m.format, id + '-change', m.field === 'rate') : null),
      series ? S.charts.sparkline(series.map((p) => value(p, m)), m.label + ' per period') : null,
      el('p', { class: 'detail' }, m.detail(mc, days)),
      drill && m.drill && count
        ? el('p', null, el('a', { href: href('/dora', { drill: m.drill }) + '#drilldown', 'data-testid': id + '-drill' },
          `List the ${plural(count, m.noun)}`, el('span', { 'aria-hidden': 'true' }, ' →')))
        : null);
  }

  S.dora = { METRICS, bands, value, isEmpty, emptyHelp, tile };
})(window.Sextant = window.Sextant || {});
