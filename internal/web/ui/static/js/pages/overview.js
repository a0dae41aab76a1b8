// Overview: the DORA tiles for the scope and range, and the biggest movers
// of the leaderboard.
(function (S) {
  'use strict';

  const { el, fill, fmt, section, emptyState, code, href, shown } = S.ui;

  function drawTiles(host, d) {
    if (S.dora.isEmpty(d)) {
      fill(host, S.dora.emptyHelp());
      return;
    }
    fill(host, ...S.dora.METRICS.map((m) => S.dora.tile(m, d, d.previous, d.series, false)),
      el('p', { class: 'more' }, el('a', { href: href('/dora') }, 'Charts, tables and the lists behind each number'),
        el('span', { 'aria-hidden': 'true' }, ' →')));
  }

  // movers are the entries whose rank changed most; new entries have no
  // previous rank and are left out.
  function movers(entries) {
    return entries
      .filter((e) => e.rank !== null && e.previous_rank !== null && e.previous_rank !== e.rank)
      .sort((a, b) => Math.abs(b.previous_rank - b.rank) - Math.abs(a.previous_rank - a.rank) || a.rank - b.rank)
      .slice(0, 5);
  }

  function moverList(title, group, entries) {
    const list = movers(entries);
    return el('div', { class: 'mover-list', 'data-testid': 'movers-' + group },
      el('h3', null, title),
      list.length === 0
        ? el('p', { class: 'note' }, 'No rank changes since the previous period.')
        : el('ol', null, list.map((e) => {
          const up = e.previous_rank - e.rank;
          return el('li', null,
            group === 'person'
              ? el('a', { href: href('/pulls', { author: e.name }) }, e.name)
              : el('a', { href: href('/leaderboard', { group }) }, e.title ?? e.name),
            ' ', el('span', { class: up > 0 ? 'change better' : 'change worse' },
              el('span', { 'aria-hidden': 'true' }, up > 0 ? '▲ ' : '▼ '),
              shown('mover-' + group + '-' + e.name, up, `${Math.abs(up)} ${Math.abs(up) === 1 ? 'place' : 'places'} ${up > 0 ? 'up' : 'down'}`)),
            el('span', { class: 'note' }, ` now #${e.rank}, score ${fmt.number(e.score)}`));
        })));
  }

  S.ui.page((f) => {
    const tiles = section('tiles', 'the DORA metrics', async (host) => drawTiles(host, await S.api.dora(f.api)));
    const movesDone = section('movers', 'the biggest movers', async (host) => {
      const [teams, people] = await Promise.all([S.api.leaderboard(f.api, 'team'), S.api.leaderboard(f.api, 'person')]);
      if (!teams.entries.length && !people.entries.length) {
        fill(host, emptyState('No contributions in this period.',
          'The leaderboard counts pull requests, reviews, issues and comments synced from GitHub: set ',
          code('github.token'), ' and ', code('github.orgs'), ' (or ', code('github.repos'), ').'));
        return;
      }
      fill(host, moverList('Teams', 'team', teams.entries), moverList('People', 'person', people.entries));
    });
    return [tiles, movesDone];
  });
})(window.Sextant);
