/**
 * The network page's ring drawing (browser JavaScript as text; page.ts inlines it before page-script.ts). The ring
 * is an SVG circle of Unities in ring order, each a disc coloured by its Group (g = ⌈√N⌉ consecutive Unities,
 * SPEC §5) with its servers as dots inside and its attached temporary workers as smaller dots outside. Strings
 * from the network only ever reach the document through textContent and setAttribute.
 */
export const PAGE_RING_SCRIPT = String.raw`
'use strict';
const AmeRing = (function () {
  const NS = 'http://www.w3.org/2000/svg';
  const C = 300;
  const R = 215;

  function svg(tag, attrs, parent, text) {
    const node = document.createElementNS(NS, tag);
    for (const name of Object.keys(attrs)) node.setAttribute(name, String(attrs[name]));
    if (text !== undefined) node.textContent = String(text);
    if (parent) parent.appendChild(node);
    return node;
  }

  /** ceil(sqrt(n)) exactly, as node/ring/groups.ts computes it. */
  function groupSize(n) {
    if (n < 1) return 1;
    let g = Math.ceil(Math.sqrt(n));
    while (g > 1 && (g - 1) * (g - 1) >= n) g -= 1;
    while (g * g < n) g += 1;
    return g;
  }

  /** A colour per Group: hues a golden angle apart, so neighbouring Groups differ. */
  function groupColour(group) {
    return 'hsl(' + Math.round((group * 137.508 + 210) % 360) + ', 55%, 42%)';
  }

  function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  /**
   * unities: [{id, group, servers: [{id, key, busy}], workers: [{id, key}]}] in ring order. Draws one <g class="unity">
   * per Unity holding its disc, label, one circle.server per server and one circle.worker per temporary worker.
   */
  function draw(root, unities, info) {
    clear(root);
    const n = unities.length;
    svg('circle', { cx: C, cy: C, r: R, class: 'orbit' }, root);
    if (n === 0) {
      svg('text', { x: C, y: C, class: 'centre' }, root, 'no Unities known yet');
      return;
    }
    const g = groupSize(n);
    svg('text', { x: C, y: C - 8, class: 'centre big' }, root, n + (n === 1 ? ' Unity' : ' Unities'));
    svg('text', { x: C, y: C + 16, class: 'centre' }, root, 'g = ' + g + ' · ' + Math.ceil(n / g) + ' Groups');
    if (info.epoch !== undefined && info.epoch !== null) svg('text', { x: C, y: C + 36, class: 'centre' }, root, 'epoch ' + info.epoch);
    const disc = Math.max(12, Math.min(62, ((Math.PI * R) / n) * 0.8));
    unities.forEach(function (unity, i) {
      const a = -Math.PI / 2 + (2 * Math.PI * i) / n;
      const x = C + R * Math.cos(a);
      const y = C + R * Math.sin(a);
      const group = Math.floor(i / g);
      const node = svg('g', { class: 'unity', 'data-index': i, 'data-group': group }, root);
      svg('title', {}, node, 'Unity ' + i + ' ' + unity.id + ' · Group ' + group + ' · ' + unity.servers.length + ' servers · ' + unity.workers.length + ' temporary workers');
      svg('circle', { cx: x, cy: y, r: disc, class: 'unity-disc', fill: groupColour(group) }, node);
      svg('text', { x: x, y: y + 4, class: 'unity-label' }, node, 'U' + i);
      drawServers(node, unity.servers, x, y, disc);
      drawWorkers(node, unity.workers, a, x, y, disc);
    });
  }

  function drawServers(parent, servers, x, y, disc) {
    const m = servers.length;
    const ring = m === 1 ? 0 : disc * 0.66;
    const dot = Math.max(1.4, Math.min(5, m === 1 ? 5 : ((Math.PI * ring) / m) * 0.7));
    servers.forEach(function (server, k) {
      const b = -Math.PI / 2 + (2 * Math.PI * k) / Math.max(m, 1);
      const attrs = { cx: x + ring * Math.cos(b), cy: y + ring * Math.sin(b), r: dot, class: server.busy ? 'server busy' : 'server' };
      const node = svg('circle', attrs, parent);
      svg('title', {}, node, 'server ' + server.id + (server.busy ? ' (served requests)' : ''));
    });
  }

  /** Temporary workers outside the disc, in rows of up to 12 across the outward direction. */
  function drawWorkers(parent, workers, a, x, y, disc) {
    const perRow = 12;
    workers.forEach(function (worker, k) {
      const row = Math.floor(k / perRow);
      const inRow = Math.min(perRow, workers.length - row * perRow);
      const spread = (k % perRow) - (inRow - 1) / 2;
      const dist = disc + 8 + row * 7;
      const b = a + spread * (7 / dist);
      const attrs = { cx: x + dist * Math.cos(b), cy: y + dist * Math.sin(b), r: 2.6, class: 'worker' };
      const node = svg('circle', attrs, parent);
      svg('title', {}, node, 'temporary worker ' + worker.id);
    });
  }

  return { draw: draw, groupSize: groupSize, groupColour: groupColour, clear: clear };
})();
`;
