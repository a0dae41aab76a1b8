// Leaderboard: partner companies, teams or people for the range, a podium
// and the ranked table with breakdown, change and trend.
(function (S) {
  'use strict';

  const { el, fill, fmt, plural, section, emptyState, code, href, shown, table } = S.ui;
  const GROUPS = { org: 'companies', team: 'teams', person: 'people' };

  // The breakdown's contribution kinds, in the order shown.
  const KINDS = [['pulls_merged', 'merged PR'], ['pulls_opened', 'opened PR'], ['reviews', 'review'], ['issues', 'issue'], ['comments', 'comment']];

  function breakdown(b) {
    const parts = KINDS.filter(([k]) => b[k]?.count);
    if (!parts.length) return fmt.DASH;
    return el('span', { class: 'breakdown' }, parts.map(([k, label], i) => [i ? ' · ' : '',
      el('span', { 'data-kind': k, title: `${fmt.number(b[k].points)} points` }, plural(b[k].count, label))]));
  }

  function rankChange(e) {
    if (e.rank === null) return fmt.DASH;
    if (e.previous_rank === null) return el('span', { class: 'change same' }, 'new');
    const up = e.previous_rank - e.rank;
    if (up === 0) return el('span', { class: 'change same' }, el('span', { 'aria-hidden': 'true' }, '▶ '), 'same');
    return el('span', { class: 'change ' + (up > 0 ? 'better' : 'worse') }, el('span', { 'aria-hidden': 'true' }, up > 0 ? '▲ ' : '▼ '),
      `${Math.abs(up)} ${up > 0 ? 'up' : 'down'}`);
  }

  // nameOf: a person links to their pull requests and GitHub profile, and
  // says which companies they contributed for; a team shows its name.
  function nameOf(e, group) {
    if (group === 'team') return el('span', null, e.title ?? e.name, e.title ? el('span', { class: 'note' }, ` ${e.name}`) : null);
    if (group !== 'person') return e.name;
    return el('span', null, el('a', { href: href('/pulls', { author: e.name }), title: `Pull requests by ${e.name}` }, e.name),
      e.url ? [' ', el('a', { class: 'ext', href: e.url, 'aria-label': `${e.name} on GitHub` }, '↗')] : null,
      e.companies.length ? el('span', { class: 'note' }, ' ' + e.companies.join(', ')) : null);
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

  S.ui.page((f) => {
    const group = GROUPS[f.group] ? f.group : 'person';
    for (const a of document.querySelectorAll('[data-group]')) {
      a.href = href('/leaderboard', { group: a.dataset.group });
      if (a.dataset.group === group) a.setAttribute('aria-current', 'page');
    }
    document.querySelector('h1').textContent = 'Leaderboard of ' + GROUPS[group];
    document.getElementById('trend-note').textContent = `the trend is the score per ${f.interval}`;
    // One call: the ranking with each entry's score per period.
    const board = S.api.leaderboard(f.api, group, true);
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
        fill(host, table({
          caption: `Leaderboard of ${GROUPS[group]}, ${f.days} days` + (b.total > b.entries.length ? ` (the first ${b.entries.length} of ${b.total})` : ''),
          testid: 'leaderboard-table',
          columns: [{ label: 'Rank', num: true }, { label: 'Change' }, { label: 'Name' }, { label: 'Score', num: true },
            { label: 'Score change', num: true }, { label: 'Breakdown' }, { label: 'Trend' }],
          rows: b.entries.map((e) => [
            shown('rank-' + e.name, e.rank, fmt.number(e.rank, 0)), rankChange(e), nameOf(e, group),
            shown('score-' + e.name, e.score, fmt.number(e.score)),
            shown('score-change-' + e.name, e.score !== null && e.previous_score !== null ? e.score - e.previous_score : null,
              e.previous_score === null ? fmt.DASH : fmt.signed(e.score - e.previous_score, 1)),
            breakdown(e.breakdown),
            e.series ? S.charts.sparkline(e.series, `Score of ${e.name} per ${f.interval}`) : fmt.DASH,
          ]),
        }));
      }),
    ];
  });
})(window.Sextant);
