// Leaderboard: partner companies, teams or people for the range, a podium
// and the ranked table with breakdown, change and trend.
(function (S) {
  'use strict';

  const { el, fill, plural, fmt, section, emptyState, code, href, shown, table } = S.ui;
  const GROUPS = { org: 'companies', team: 'teams', person: 'people' };
  const TREND_PARTS = 6;

  // Readable names of the breakdown's contribution kinds; others are shown
  // with their API name.
  const KINDS = {
    pulls_merged: 'merged PRs', merged_pulls: 'merged PRs', pull_requests_merged: 'merged PRs',
    pulls_opened: 'opened PRs', opened_pulls: 'opened PRs', pull_requests_opened: 'opened PRs',
    reviews: 'reviews', issues: 'issues', issues_opened: 'issues', comments: 'comments', labels: 'label points',
  };
  const kindLabel = (k) => KINDS[k] ?? k.replaceAll('_', ' ');

  function breakdown(b) {
    const parts = Object.entries(b).filter(([, v]) => v);
    if (!parts.length) return fmt.DASH;
    return el('span', { class: 'breakdown' }, parts.map(([k, v], i) => [i ? ' · ' : '', el('span', { 'data-kind': k }, fmt.number(v), ' ', kindLabel(k))]));
  }

  function rankChange(e) {
    if (e.rank === null) return fmt.DASH;
    if (e.previous_rank === null) return el('span', { class: 'change same' }, 'new');
    const up = e.previous_rank - e.rank;
    if (up === 0) return el('span', { class: 'change same' }, el('span', { 'aria-hidden': 'true' }, '▶ '), 'same');
    return el('span', { class: 'change ' + (up > 0 ? 'better' : 'worse') }, el('span', { 'aria-hidden': 'true' }, up > 0 ? '▲ ' : '▼ '),
      `${Math.abs(up)} ${up > 0 ? 'up' : 'down'}`);
  }

  function nameOf(e, group) {
    if (group !== 'person') return e.name;
    const login = e.login ?? e.name;
    return el('span', null, el('a', { href: href('/pulls', { author: login }), title: `Pull requests by ${login}` }, e.name),
      ' ', el('a', { class: 'ext', href: `https://github.com/${encodeURIComponent(login)}`, 'aria-label': `${login} on GitHub` }, '↗'));
  }

  function podium(entries, group) {
    const top = entries.filter((e) => e.rank !== null).slice(0, 3);
    const medals = ['1st', '2nd', '3rd'];
    return el('ol', { class: 'podium-list', 'aria-label': `Top ${top.length} ${GROUPS[group]}` }, top.map((e, i) =>
      el('li', { class: 'place place-' + (i + 1), 'data-testid': 'podium-' + (i + 1) },
        el('span', { class: 'medal' }, medals[i]),
        el('span', { class: 'who' }, nameOf(e, group)),
        el('span', { class: 'score' }, shown('podium-' + (i + 1) + '-score', e.score, fmt.number(e.score)), ' points'),
        breakdown(e.breakdown))));
  }

  // trends are each entry's score in equal parts of the range: from the
  // API when it gives a series, else from one leaderboard per part.
  async function trends(f, group, entries) {
    if (entries.every((e) => e.series)) return new Map(entries.map((e) => [e.name, e.series]));
    const parts = await Promise.all(S.ui.split(f, TREND_PARTS).map((p) => S.api.leaderboard(p, group)));
    return new Map(entries.map((e) => [e.name, parts.map((p) => p.entries.find((x) => x.name === e.name)?.score ?? 0)]));
  }

  S.ui.page((f) => {
    const group = GROUPS[f.group] ? f.group : 'person';
    for (const a of document.querySelectorAll('[data-group]')) {
      a.href = href('/leaderboard', { group: a.dataset.group });
      if (a.dataset.group === group) a.setAttribute('aria-current', 'page');
    }
    document.querySelector('h1').textContent = 'Leaderboard of ' + GROUPS[group];
    const board = S.api.leaderboard(f.api, group);
    board.catch(() => {});
    const empty = () => emptyState(`No ${GROUPS[group]} with contributions in this period.`,
      'The leaderboard counts pull requests, reviews, issues and comments synced from GitHub: set ', code('github.token'),
      ' and ', code('github.orgs'), '. ', group === 'org'
        ? ['People are counted for their company by the affiliations file (docs/METRICS.md), else by GitHub organization membership.'] : []);
    return [
      section('podium', 'the podium', async (host) => {
        const b = await board;
        fill(host, b.entries.length ? podium(b.entries, group) : empty());
      }),
      section('ranking', 'the ranking', async (host) => {
        const b = await board;
        if (!b.entries.length) {
          fill(host, el('p', { class: 'note' }, 'Nothing to rank.'));
          return;
        }
        let trend = new Map();
        let trendNote = null;
        try {
          trend = await trends(f, group, b.entries);
        } catch (err) {
          trendNote = el('p', { class: 'note' }, `Trends unavailable: ${err.message}`);
        }
        fill(host, table({
          caption: `Leaderboard of ${GROUPS[group]}, ${f.days} days`, testid: 'leaderboard-table',
          columns: [{ label: 'Rank', num: true }, { label: 'Change' }, { label: 'Name', rowHeader: false }, { label: 'Score', num: true },
            { label: 'Score change', num: true }, { label: 'Breakdown' }, { label: 'Trend' }],
          rows: b.entries.map((e) => [
            shown('rank-' + e.name, e.rank, fmt.number(e.rank, 0)), rankChange(e), nameOf(e, group),
            shown('score-' + e.name, e.score, fmt.number(e.score)),
            shown('score-change-' + e.name, e.score !== null && e.previous_score !== null ? e.score - e.previous_score : null,
              e.previous_score === null ? fmt.DASH : fmt.signed(e.score - e.previous_score, 1)),
            breakdown(e.breakdown),
            trend.has(e.name) ? S.charts.sparkline(trend.get(e.name), `Score of ${e.name} in ${TREND_PARTS} parts of the range`) : fmt.DASH,
          ]),
        }), trendNote);
      }),
    ];
  });
})(window.Sextant);
