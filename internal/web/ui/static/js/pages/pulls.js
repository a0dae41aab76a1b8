// Pull requests: the cycle-time breakdown over time, the slowest merged and
// the oldest open pull requests, linked to GitHub.
(function (S) {
  'use strict';

  const { el, fill, fmt, section, emptyState, code, href, shown, table, ymd, DAY } = S.ui;
  const C = S.charts.COLOURS;
  const PHASES = [
    { key: 'coding', field: 'coding_seconds', label: 'Coding', colour: C.blue },
    { key: 'pickup', field: 'pickup_seconds', label: 'Pickup', colour: C.orange },
    { key: 'review', field: 'review_seconds', label: 'Review', colour: C.green },
    { key: 'deploy', field: 'deploy_seconds', label: 'Deploy', colour: C.purple },
  ];
  const TOP = 10;
  // The API's longest range: "oldest open" looks this far back.
  const OPEN_DAYS = 3 * 365;

  const connectHint = () => ['Pull requests are synced from GitHub: set ', code('github.token'), ' and ',
    code('github.orgs'), ' (or ', code('github.repos'), '), and point a webhook at ', code('/webhooks/github'), '.'];

  function prLink(p) {
    const name = `${p.repo ?? '?'}#${p.number ?? '?'}`;
    return el('span', { class: 'pr' }, p.url ? el('a', { href: p.url }, name) : name, p.title ? [' ', el('span', { class: 'title' }, p.title)] : null);
  }

  // phaseBar draws a pull request's phases as one bar, with the numbers as
  // text for screen readers and narrow screens.
  function phaseBar(p) {
    const total = PHASES.reduce((s, ph) => s + (p[ph.field] ?? 0), 0);
    const bar = el('span', { class: 'phasebar', 'aria-hidden': 'true' });
    if (total > 0) {
      for (const ph of PHASES) {
        if (!p[ph.field]) continue;
        const seg = el('span', { class: 'seg seg-' + ph.key, title: `${ph.label} ${fmt.duration(p[ph.field])}` });
        seg.style.width = ((p[ph.field] / total) * 100).toFixed(1) + '%';
        bar.append(seg);
      }
    }
    return el('span', { class: 'phases' }, bar,
      el('span', { class: 'phase-text' }, PHASES.map((ph, i) => [i ? ' · ' : '', `${ph.label.toLowerCase()} ${fmt.duration(p[ph.field])}`])));
  }

  const median = (p, ph) => p[ph.key].median_seconds;

  function drawCycle(host, fl, f) {
    const points = fl.series.filter((p) => PHASES.some((ph) => median(p, ph) !== null));
    if (!points.length) {
      fill(host, emptyState('No merged pull requests in this range.', connectHint()));
      return;
    }
    const tp = fl.throughput;
    const tiles = el('div', { class: 'tiles small' }, PHASES.map((ph) => el('article', { class: 'tile', 'data-testid': 'phase-' + ph.key },
      el('h3', null, el('span', { class: 'swatch swatch-' + ph.key, 'aria-hidden': 'true' }), ph.label),
      el('p', { class: 'big' }, shown('phase-' + ph.key + '-value', median(fl, ph), fmt.duration(median(fl, ph)))),
      el('p', { class: 'detail' }, `median · p75 ${fmt.duration(fl[ph.key].p75_seconds)}`))),
    el('article', { class: 'tile', 'data-testid': 'throughput' }, el('h3', null, 'Throughput'),
      el('p', { class: 'big' }, shown('merged-value', tp.merged, fmt.number(tp.merged, 0)), ' ', el('span', { class: 'unit' }, 'merged')),
      el('p', { class: 'detail' }, shown('opened-value', tp.opened, fmt.number(tp.opened, 0)), ' opened · ',
        shown('closed-value', tp.closed_unmerged, fmt.number(tp.closed_unmerged, 0)), ' closed unmerged')));
    const fig = S.charts.timeChart({
      id: 'cycle', kind: 'stacked', title: `Median cycle time per ${f.interval}, by phase`,
      x: points.map((p) => p.from), format: fmt.duration, duration: true,
      series: PHASES.map((ph) => ({ label: ph.label, colour: ph.colour, values: points.map((p) => median(p, ph)) })),
      summary: `Stacked bars of the median coding, pickup, review and deploy time per ${f.interval}, ${points.length} periods; the data table below has the numbers.`,
    });
    fill(host, tiles, fig);
    fig.draw();
  }

  S.ui.page((f) => {
    if (f.author) {
      const note = document.getElementById('author-filter');
      fill(note, 'Pull requests by ', el('strong', null, f.author), ' (the lists; cycle time is for everyone in scope). ',
        el('a', { href: href('/pulls', { author: '' }) }, 'Show everyone'));
      note.hidden = false;
    }
    // Open now, whatever the range: as far back as the API reaches.
    const tomorrow = new Date(Math.floor(Date.now() / DAY) * DAY + DAY);
    const openScope = { ...f.api, from: ymd(new Date(tomorrow - OPEN_DAYS * DAY)), to: ymd(tomorrow) };
    return [
      section('cycle', 'the cycle time', async (host) => drawCycle(host, await S.api.flow(f.api), f)),
      section('slowest', 'the slowest merged pull requests', async (host) => {
        const r = await S.api.pulls(f.api, { by: 'merged', bots: false, author: f.author, order: 'lead_time', limit: TOP });
        if (!r.pulls.length) {
          fill(host, emptyState(f.author ? `No merged pull requests by ${f.author} in this range.` : 'No merged pull requests in this range.', connectHint()));
          return;
        }
        fill(host, table({
          caption: `The ${r.pulls.length} slowest of ${fmt.number(r.total, 0)} pull requests merged in the range, by lead time (first commit to deployed)`,
          testid: 'slowest-table',
          columns: [{ label: 'Pull request' }, { label: 'Author' }, { label: 'Merged', time: true }, { label: 'Lead time', num: true }, { label: 'Phases' }],
          rows: r.pulls.map((p) => [prLink(p), p.author ? el('a', { href: href('/pulls', { author: p.author }) }, p.author) : fmt.DASH,
            fmt.dateTime(p.merged_at), shown('lead-' + p.repo + '#' + p.number, p.lead_time_seconds, fmt.duration(p.lead_time_seconds)), phaseBar(p)]),
        }));
      }),
      section('oldest', 'the oldest open pull requests', async (host) => {
        const r = await S.api.pulls(openScope, { by: 'created', state: 'open', bots: false, author: f.author, order: 'oldest', limit: TOP });
        if (!r.pulls.length) {
          fill(host, emptyState(f.author ? `No open pull requests by ${f.author}.` : 'No open pull requests.', connectHint()));
          return;
        }
        const now = Date.now();
        const open = r.pulls;
        fill(host, table({
          caption: `The ${open.length} oldest of ${fmt.number(r.total, 0)} open pull requests`, testid: 'oldest-table',
          columns: [{ label: 'Pull request' }, { label: 'Author' }, { label: 'Opened', time: true }, { label: 'Age', num: true }],
          rows: open.map((p) => [prLink(p), p.author ? el('a', { href: href('/pulls', { author: p.author }) }, p.author) : fmt.DASH, fmt.dateTime(p.created_at),
            fmt.duration(p.created_at ? (now - p.created_at) / 1000 : null)]),
        }));
      }),
    ];
  });
})(window.Sextant);
