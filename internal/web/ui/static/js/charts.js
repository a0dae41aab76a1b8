// Charts: uPlot (vendored, MIT) for series over time, small SVG drawings for
// sparklines and the deployment timeline. Every chart has a text
// alternative: an aria-label summary and a data table.
(function (S) {
  'use strict';

  const { el, fmt } = S.ui;
  const SVG = 'http://www.w3.org/2000/svg';

  // Okabe–Ito colours: distinguishable with the common colour-vision
  // deficiencies. Shapes and words carry the meaning as well.
  const COLOURS = {
    blue: '#0072B2', orange: '#E69F00', green: '#009E73', vermillion: '#D55E00',
    purple: '#CC79A7', sky: '#56B4E9', yellow: '#F0E442', black: '#222222',
  };
  const LEVEL_COLOURS = { elite: COLOURS.blue, high: COLOURS.green, medium: COLOURS.orange, low: COLOURS.vermillion };

  function svg(tag, attrs, ...children) {
    const e = document.createElementNS(SVG, tag);
    for (const [k, v] of Object.entries(attrs || {})) if (v !== null && v !== undefined) e.setAttribute(k, String(v));
    for (const c of children.flat()) if (c) e.append(c);
    return e;
  }

  // sparkline draws values (nulls leave gaps) as a small line.
  function sparkline(values, label) {
    const vs = (values || []).map((v) => (typeof v === 'number' && Number.isFinite(v) ? v : null));
    const known = vs.filter((v) => v !== null);
    const w = 100, h = 24;
    if (known.length < 2) return el('span', { class: 'spark-none' }, fmt.DASH);
    const lo = Math.min(...known), hi = Math.max(...known);
    const y = (v) => (hi === lo ? h / 2 : h - 2 - ((v - lo) / (hi - lo)) * (h - 4));
    const x = (i) => (vs.length === 1 ? w / 2 : (i / (vs.length - 1)) * (w - 4) + 2);
    const segments = [];
    let cur = [];
    vs.forEach((v, i) => {
      if (v === null) { if (cur.length) segments.push(cur); cur = []; return; }
      cur.push(`${x(i).toFixed(1)},${y(v).toFixed(1)}`);
    });
    if (cur.length) segments.push(cur);
    const last = vs.length - 1 - [...vs].reverse().findIndex((v) => v !== null);
    return svg('svg', {
      class: 'spark', viewBox: `0 0 ${w} ${h}`, width: w, height: h, role: 'img', focusable: 'false',
      'aria-label': `${label}: ${known.length} values, from ${fmt.number(known[0])} to ${fmt.number(known[known.length - 1])}, lowest ${fmt.number(lo)}, highest ${fmt.number(hi)}`,
    },
    segments.map((s) => (s.length === 1
      ? svg('circle', { cx: s[0].split(',')[0], cy: s[0].split(',')[1], r: 1.5 })
      : svg('polyline', { points: s.join(' ') }))),
    svg('circle', { class: 'last', cx: x(last).toFixed(1), cy: y(vs[last]).toFixed(1), r: 2.5 }));
  }

  // --- uPlot charts --------------------------------------------------------------

  // levelBands shades the value ranges of each level behind the series, with
  // the level's name at the right edge. bands: [{level, lo, hi}].
  function levelBands(bands) {
    return {
      hooks: {
        drawClear: [(u) => {
          const { ctx } = u;
          const { left, top, width, height } = u.bbox;
          ctx.save();
          ctx.font = `${Math.round(11 * devicePixelRatio)}px system-ui, sans-serif`;
          ctx.textAlign = 'right';
          for (const b of bands) {
            const y0 = Math.min(top + height, Math.max(top, u.valToPos(b.lo, 'y', true)));
            const y1 = Math.min(top + height, Math.max(top, u.valToPos(Math.min(b.hi, u.scales.y.max ?? b.hi), 'y', true)));
            if (y0 - y1 < 1) continue;
            ctx.globalAlpha = 0.12;
            ctx.fillStyle = LEVEL_COLOURS[b.level];
            ctx.fillRect(left, y1, width, y0 - y1);
            ctx.globalAlpha = 0.9;
            ctx.fillStyle = '#333';
            if (y0 - y1 > 14 * devicePixelRatio) ctx.fillText(b.level, left + width - 4, y1 + 12 * devicePixelRatio);
          }
          ctx.restore();
        }],
      },
    };
  }

  // fits keeps a chart as wide as its box.
  function fit(u, box, height) {
    new ResizeObserver(() => {
      const w = Math.max(240, Math.floor(box.clientWidth));
      if (w !== u.width) u.setSize({ width: w, height });
    }).observe(box);
  }

  const unix = (d) => Math.floor(d.getTime() / 1000);
  const DAY = 86400, HOUR = 3600;
  // Tick steps that read well: whole days on the time axis, whole counts,
  // and round durations.
  const DAY_STEPS = [1, 2, 7, 14, 30, 61, 91, 182, 365].map((d) => d * DAY);
  const COUNT_STEPS = [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000];
  const DURATION_STEPS = [60, 300, 600, 1800, HOUR, 2 * HOUR, 4 * HOUR, 6 * HOUR, 12 * HOUR,
    DAY, 2 * DAY, 7 * DAY, 14 * DAY, 30 * DAY, 60 * DAY, 90 * DAY, 180 * DAY, 365 * DAY];

  // timeChart draws series over time in a figure with a caption, a text
  // summary and the data as a table.
  //   spec: {title, id, x: [Date], series: [{label, values, colour}], format,
  //          bands, kind: 'line' | 'stacked', summary, integer, duration}
  function timeChart(spec) {
    const height = 220;
    const box = el('div', { class: 'chart', role: 'img', 'aria-label': spec.summary });
    const fig = el('figure', { class: 'figure', 'data-testid': 'chart-' + spec.id },
      el('figcaption', null, spec.title), box,
      el('details', null, el('summary', null, 'Data table'),
        S.ui.table({
          caption: spec.title, captionHidden: true, testid: 'chart-table-' + spec.id,
          columns: [{ label: 'Period starting', rowHeader: true }, ...spec.series.map((s) => ({ label: s.label, num: true }))],
          rows: spec.x.map((d, i) => [fmt.date(d), ...spec.series.map((s) => spec.format(s.values[i]))]),
        })));
    const xs = spec.x.map(unix);
    let data, series;
    const tick = (u, vals) => vals.map((v) => spec.format(v));
    if (spec.kind === 'stacked') {
      // Each bar is drawn from zero to its running total, largest first, so
      // the smaller ones paint the lower segments over it.
      const totals = [];
      let run = xs.map(() => 0);
      for (const s of spec.series) {
        run = run.map((r, i) => r + (s.values[i] ?? 0));
        totals.push(run.map((r, i) => (spec.series.some((t) => t.values[i] !== null) ? r : null)));
      }
      const bars = uPlot.paths.bars({ size: [0.7, 48] });
      data = [xs, ...totals.slice().reverse()];
      series = [{}, ...spec.series.slice().reverse().map((s) => ({
        label: s.label, fill: s.colour, stroke: s.colour, width: 0, paths: bars, points: { show: false },
        value: (u, v, si, idx) => (idx === null ? fmt.DASH : spec.format(s.values[idx])),
      }))];
    } else {
      data = [xs, ...spec.series.map((s) => s.values)];
      series = [{}, ...spec.series.map((s) => ({
        label: s.label, stroke: s.colour, width: 2, points: { show: true, size: 6, fill: s.colour },
        spanGaps: false, value: (u, v) => spec.format(v),
      }))];
    }
    // Half a period of room at each end, so the first and last bars show whole.
    const step = xs.length > 1 ? xs[1] - xs[0] : DAY;
    const opts = {
      width: 600, height,
      scales: {
        x: { time: true, range: (u, lo, hi) => [lo - step / 2, hi + step / 2] },
        y: { range: (u, lo, hi) => [Math.min(0, lo ?? 0), hi > 0 ? hi * 1.1 : 1] },
      },
      series,
      axes: [
        { incrs: DAY_STEPS, values: (u, splits) => splits.map((v) => fmt.date(new Date(v * 1000)).slice(5)) },
        { values: tick, size: 64, incrs: spec.duration ? DURATION_STEPS : spec.integer ? COUNT_STEPS : undefined },
      ],
      plugins: spec.bands ? [levelBands(spec.bands)] : [],
      cursor: { points: { show: false } },
      // One series needs no key: the caption names it.
      legend: { show: spec.series.length > 1 },
    };
    // The chart is drawn once the figure is in the page, at its width.
    fig.draw = () => {
      const u = new uPlot(opts, data, box);
      fit(u, box, height);
    };
    return fig;
  }

  // --- deployment timeline -------------------------------------------------------------

  const MARKS = {
    success: { label: 'deployed', colour: COLOURS.blue },
    failure: { label: 'deployment failed', colour: COLOURS.vermillion },
    caused: { label: 'caused a failure', colour: COLOURS.orange },
    rollback: { label: 'rollback', colour: COLOURS.purple },
    incident: { label: 'incident', colour: COLOURS.black },
  };

  function mark(kind, x, y) {
    const c = MARKS[kind].colour;
    switch (kind) {
      case 'failure': return svg('path', { d: `M${x - 5},${y - 5}L${x + 5},${y + 5}M${x - 5},${y + 5}L${x + 5},${y - 5}`, stroke: c, 'stroke-width': 2.5 });
      case 'caused': return svg('path', { d: `M${x},${y - 7}L${x + 7},${y + 5}L${x - 7},${y + 5}Z`, fill: c, stroke: '#000', 'stroke-width': 0.75 });
      case 'rollback': return svg('rect', { x: x - 5, y: y - 5, width: 10, height: 10, fill: 'none', stroke: c, 'stroke-width': 2.5 });
      case 'incident': return svg('path', { d: `M${x},${y - 7}L${x + 7},${y}L${x},${y + 7}L${x - 7},${y}Z`, fill: c });
    }
    return svg('circle', { cx: x, cy: y, r: 5, fill: c, 'fill-opacity': 0.8 });
  }

  function legend() {
    return el('ul', { class: 'legend', 'aria-label': 'Timeline marks' }, Object.keys(MARKS).map((k) =>
      el('li', null, svg('svg', { viewBox: '-8 -8 16 16', width: 16, height: 16, 'aria-hidden': 'true' }, mark(k, 0, 0)), ' ', MARKS[k].label)));
  }

  // timeline draws one lane per environment and one for incidents.
  //   lanes: [{name, items: [{kind, at: Date, title, key}]}], links: [[key, key]]
  // (a dashed line between the marks of two keys, such as an incident and
  // the deployment it is blamed on)
  // It is drawn at the width of its box (width), so text keeps its size on
  // a phone.
  function timeline({ lanes, from, to, summary, links, width }) {
    const W = Math.max(300, Math.round(width || 1000)), laneH = 36, top = 10, axisH = 28;
    const labelW = W < 600 ? 90 : 150;
    const H = top + lanes.length * laneH + axisH;
    const span = to - from || 1;
    const x = (d) => labelW + ((d - from) / span) * (W - labelW - 12);
    const pos = new Map();
    const g = svg('g');
    lanes.forEach((lane, i) => {
      const y = top + i * laneH + laneH / 2;
      g.append(svg('line', { x1: labelW, x2: W - 8, y1: y, y2: y, class: 'lane' }));
      const label = svg('text', { x: labelW - 10, y: y + 4, 'text-anchor': 'end', class: 'lane-label' });
      const room = Math.floor(labelW / 8);
      label.textContent = lane.name.length > room ? lane.name.slice(0, room - 1) + '…' : lane.name;
      g.append(label);
      for (const it of lane.items) {
        if (!it.at || it.at < from || it.at > to) continue;
        const m = mark(it.kind, x(it.at), y);
        const t = svg('title');
        t.textContent = it.title;
        m.append(t);
        g.append(m);
        if (it.key) pos.set(it.key, [x(it.at), y]);
      }
    });
    for (const [from, to] of links || []) {
      const a = pos.get(from), b = pos.get(to);
      if (a && b) g.prepend(svg('line', { x1: a[0], y1: a[1], x2: b[0], y2: b[1], class: 'link' }));
    }
    const axisY = top + lanes.length * laneH + 6;
    const ticks = W < 600 ? 3 : 6;
    for (let i = 0; i <= ticks; i++) {
      const d = new Date(from.getTime() + (span * i) / ticks);
      const t = svg('text', { x: x(d), y: axisY + 14, 'text-anchor': i === 0 ? 'start' : i === ticks ? 'end' : 'middle', class: 'tick' });
      t.textContent = fmt.date(d).slice(5);
      g.append(svg('line', { x1: x(d), x2: x(d), y1: top, y2: axisY, class: 'grid' }), t);
    }
    return el('figure', { class: 'figure timeline', 'data-testid': 'timeline-chart' },
      svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'aria-label': summary, preserveAspectRatio: 'xMinYMin meet' }, g),
      el('figcaption', null, legend()));
  }

  S.charts = { COLOURS, LEVEL_COLOURS, sparkline, timeChart, timeline };
})(window.Sextant = window.Sextant || {});
