/**
 * The device view's charts (browser JavaScript as text, served in console.js before page-views.ts): the device's
 * telemetry history from `GET api/devices/<id>/history`, drawn as inline SVG built with createElementNS (no markup
 * strings, no inline style: the page's CSP allows neither, and the stylesheet colours the lines by class). Only
 * samples newer than the last one held are fetched at each poll; the window (last hour, day or week) is the
 * `#history-range` choice. Each chart's figure carries `data-points`, the samples it plots, and the chart box
 * `data-from`, the window's start, so a test can ask the API for the same samples.
 */
export const CONSOLE_CHARTS = String.raw`
var AmeConsoleCharts = (function () {
  const SVG = 'http://www.w3.org/2000/svg';
  const W = 560, H = 160, LEFT = 64, RIGHT = 12, TOP = 12, BOTTOM = 24;
  const MAX_PAGES = 20;
  const micro = function (text) { return text === null ? null : Number(text) / 1e6; };
  const CHARTS = [
    { key: 'served', title: 'served requests', value: function (s) { return s.servedRequests; } },
    { key: 'earned', title: 'earnings, settled + unsettled (ABC)', value: function (s) { return s.settled === null && s.unsettled === null ? null : (micro(s.settled) || 0) + (micro(s.unsettled) || 0); } },
    { key: 'balance', title: 'balance (ABC)', value: function (s) { return micro(s.balance); } },
    { key: 'healthy', title: 'healthy', step: ['unhealthy', 'healthy'], value: function (s) { return s.healthy === null ? null : s.healthy ? 1 : 0; } },
    { key: 'online', title: 'online', step: ['offline', 'online'], value: function (s) { return s.online === null ? null : s.online ? 1 : 0; } },
    { key: 'memory', title: 'memory, RSS (MiB)', value: function (s) { return s.rssBytes === null ? null : s.rssBytes / 1048576; } },
  ];
  let held = { id: null, range: null, since: 0, samples: [] };

  function node(tag, attrs, text) {
    const n = document.createElementNS(SVG, tag);
    for (const k of Object.keys(attrs)) n.setAttribute(k, String(attrs[k]));
    if (text !== undefined) n.textContent = String(text);
    return n;
  }
  function figure(v) {
    if (Math.abs(v) >= 1e6 || (v !== 0 && Math.abs(v) < 1e-3)) return v.toExponential(2);
    return String(Number(v.toPrecision(5)));
  }

  /** Every sample since the window's start: what is held, plus the pages after the newest held. */
  async function load(ctx, id, range) {
    const from = Date.now() - range;
    if (held.id !== id || held.range !== range) held = { id: id, range: range, since: from, samples: [] };
    let since = held.since;
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await ctx.api('../api/devices/' + encodeURIComponent(id) + '/history?since=' + since + '&limit=5000');
      held.samples.push.apply(held.samples, body.samples);
      if (body.samples.length > 0) held.since = body.samples[body.samples.length - 1].time + 1;
      if (body.next === null || body.next === undefined) break;
      since = body.next;
    }
    held.samples = held.samples.filter(function (s) { return s.time >= from; });
    // The time axis starts at the oldest sample in the window, so a device with an hour of history is not a sliver.
    return { from: from, start: held.samples.length ? held.samples[0].time : from, to: Date.now(), samples: held.samples };
  }

  function chart(ctx, def, h) {
    const points = [];
    for (const s of h.samples) {
      const v = def.value(s);
      if (v !== null && v !== undefined && isFinite(v)) points.push([s.time, v]);
    }
    const box = ctx.el('figure', undefined, 'chart');
    box.dataset.chart = def.key;
    box.dataset.points = String(points.length);
    const last = points.length ? points[points.length - 1][1] : null;
    box.appendChild(ctx.el('figcaption', def.title + ': ' + (last === null ? 'no samples' : def.step ? def.step[last] : figure(last))));
    const svg = node('svg', { viewBox: '0 0 ' + W + ' ' + H, role: 'img', 'aria-label': def.title + ' over time' });
    let lo = def.step ? 0 : Infinity, hi = def.step ? 1 : -Infinity;
    for (const p of points) { lo = Math.min(lo, p[1]); hi = Math.max(hi, p[1]); }
    if (!isFinite(lo)) { lo = 0; hi = 1; }
    if (lo === hi) { lo -= lo === 0 ? 1 : Math.abs(lo) / 10; hi += hi === 0 ? 1 : Math.abs(hi) / 10; }
    const span = Math.max(1, h.to - h.start);
    const x = function (t) { return (LEFT + ((t - h.start) / span) * (W - LEFT - RIGHT)).toFixed(1); };
    const y = function (v) { return (TOP + (1 - (v - lo) / (hi - lo)) * (H - TOP - BOTTOM)).toFixed(1); };
    svg.appendChild(node('rect', { x: LEFT, y: TOP, width: W - LEFT - RIGHT, height: H - TOP - BOTTOM, class: 'frame' }));
    svg.appendChild(node('text', { x: LEFT - 4, y: TOP + 8, 'text-anchor': 'end' }, def.step ? def.step[1] : figure(hi)));
    svg.appendChild(node('text', { x: LEFT - 4, y: H - BOTTOM, 'text-anchor': 'end' }, def.step ? def.step[0] : figure(lo)));
    svg.appendChild(node('text', { x: LEFT, y: H - 6 }, ctx.clock(h.start).slice(5, 16)));
    svg.appendChild(node('text', { x: W - RIGHT, y: H - 6, 'text-anchor': 'end' }, ctx.clock(h.to).slice(5, 16)));
    // One vertex per sample; a yes/no figure holds its value until the next sample, so it is drawn as steps.
    const coords = points.map(function (p) { return x(p[0]) + ',' + y(p[1]); });
    if (def.step && points.length > 0) {
      let d = 'M' + coords[0];
      for (let i = 1; i < points.length; i++) d += ' H' + x(points[i][0]) + ' V' + y(points[i][1]);
      d += ' H' + x(h.to);
      svg.appendChild(node('path', { d: d, class: 'line step' }));
    } else {
      svg.appendChild(node('polyline', { points: coords.join(' '), class: 'line' }));
    }
    if (points.length === 1) svg.appendChild(node('circle', { cx: x(points[0][0]), cy: y(points[0][1]), r: 3, class: 'dot' }));
    box.appendChild(svg);
    return box;
  }

  /** Redraws the device's charts into #charts for the window chosen in #history-range. */
  async function draw(ctx, id) {
    const h = await load(ctx, id, Number(ctx.byId('history-range').value));
    const box = ctx.byId('charts');
    box.dataset.from = String(h.from);
    box.dataset.samples = String(h.samples.length);
    ctx.clear(box);
    for (const def of CHARTS) box.appendChild(chart(ctx, def, h));
    ctx.byId('history-note').textContent = h.samples.length === 0 ? 'no samples in this window yet'
      : h.samples.length + ' samples since ' + ctx.clock(h.samples[0].time) + ', the latest ' + ctx.clock(h.samples[h.samples.length - 1].time);
  }

  function reset() { held = { id: null, range: null, since: 0, samples: [] }; }

  return { draw: draw, reset: reset };
})();
`;
