/**
 * The network page's polling and lists (browser JavaScript as text; page.ts inlines it after page-ring.ts). Every
 * `every` ms (default 1500, `?every=` 200…10000) it reads /api/head, /api/blocks, /api/nodes, /api/ring and
 * /api/ring/map (404: no map, the ring is drawn from the node records' Unities), and through page-health.ts
 * /api/headers and /api/fleet (managers signing, devices up) and through page-accounts.ts /api/accounts, compares with the previous poll
 * — promotions (temporary → worker), joins, splits and merges (the Unity count), epochs — and redraws. Strings
 * from the network only ever reach the document through textContent (never innerHTML).
 */
export const PAGE_SCRIPT = String.raw`
(function () {
  const params = new URLSearchParams(location.search);
  const EVERY = Math.min(10000, Math.max(200, Number(params.get('every')) || 1500));
  const MAX_EVENTS = 60;
  const byId = function (id) { return document.getElementById(id); };
  const state = { polls: 0, roles: new Map(), served: null, at: 0, unityCount: null, epoch: null, promoted: 0, events: [] };

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  function short(text) {
    text = String(text);
    return text.length > 14 ? text.slice(0, 12) + '…' : text;
  }
  function clock(ms) {
    const d = new Date(ms);
    return isNaN(d.getTime()) ? String(ms) : d.toISOString().replace('T', ' ').slice(0, 19);
  }
  async function get(path, optional) {
    const res = await fetch(path, { cache: 'no-store' });
    if (optional && res.status === 404) return null;
    if (!res.ok) throw new Error(path + ' answered ' + res.status);
    return res.json();
  }

  function event(kind, text) {
    state.events.unshift({ kind: kind, text: text, at: Date.now() });
    state.events.length = Math.min(state.events.length, MAX_EVENTS);
  }

  /** Promotions and joins: a node seen as temporary and now a worker is a promotion since the page opened. */
  function nodeEvents(nodes) {
    for (const node of nodes) {
      const before = state.roles.get(node.key);
      if (before === 'temporary' && node.role === 'worker') {
        state.promoted += 1;
        event('promotion', 'promoted ' + short(node.key) + ' in ' + (node.unity || 'no Unity'));
      } else if (before === undefined && state.polls > 0) {
        event('join', 'registered ' + short(node.key) + ' as ' + node.role + (node.unity ? ' in ' + node.unity : ''));
      } else if (before !== undefined && before !== node.role && !(before === 'temporary' && node.role === 'worker')) {
        event('role', short(node.key) + ': ' + before + ' → ' + node.role);
      }
      state.roles.set(node.key, node.role);
    }
  }

  function ringEvents(count, epoch) {
    if (state.unityCount !== null && count !== state.unityCount) {
      const kind = count > state.unityCount ? 'split' : 'merge';
      event(kind, kind + ': ' + state.unityCount + ' → ' + count + ' Unities');
    }
    if (state.epoch !== null && epoch !== null && epoch !== state.epoch) event('epoch', 'ring epoch ' + state.epoch + ' → ' + epoch);
    state.unityCount = count;
    if (epoch !== null) state.epoch = epoch;
  }

  /** The Unities to draw: the map's when there is one, else the Unities named by the node records (sorted). */
  function unitiesOf(map, nodes, busy) {
    const temporary = new Map();
    for (const node of nodes) {
      if (node.role !== 'temporary' || node.status !== 'active' || !node.unity) continue;
      if (!temporary.has(node.unity)) temporary.set(node.unity, new Map());
      temporary.get(node.unity).set(node.key, { id: node.key, key: node.key });
    }
    if (map) {
      return map.unities.map(function (u) {
        const workers = temporary.get(u.id) || new Map();
        for (const w of u.workers) if (!workers.has(w.key || w.id)) workers.set(w.key || w.id, w);
        const servers = u.servers.map(function (s) { return { id: s.id, key: s.key, busy: busy.has(s.key) }; });
        return { id: u.id, servers: servers, workers: Array.from(workers.values()) };
      });
    }
    const ids = new Set();
    for (const node of nodes) if (node.unity && node.status === 'active' && node.role !== 'manager') ids.add(node.unity);
    return Array.from(ids).sort().map(function (id) {
      const servers = nodes.filter(function (n) { return n.unity === id && n.role === 'worker' && n.status === 'active'; })
        .map(function (n) { return { id: n.key, key: n.key, busy: busy.has(n.key) }; });
      return { id: id, servers: servers, workers: Array.from((temporary.get(id) || new Map()).values()) };
    });
  }

  /** Requests served per node since the previous poll, from rep.served. */
  function flows(nodes, now) {
    const seconds = state.served === null ? 0 : Math.max(0.001, (now - state.at) / 1000);
    const rows = [];
    const served = new Map();
    let total = 0;
    let totalRate = 0;
    for (const node of nodes) {
      const count = Number(node.rep && node.rep.served) || 0;
      served.set(node.key, count);
      total += count;
      const before = state.served === null ? undefined : state.served.get(node.key);
      const rate = before === undefined || seconds === 0 ? 0 : Math.max(0, count - before) / seconds;
      totalRate += rate;
      if (count > 0) rows.push({ node: node, count: count, rate: rate });
    }
    state.served = served;
    state.at = now;
    rows.sort(function (a, b) { return b.rate - a.rate || b.count - a.count; });
    return { rows: rows, total: total, rate: totalRate };
  }

  function fill(tbody, rows) {
    AmeRing.clear(tbody);
    for (const cells of rows) {
      const tr = document.createElement('tr');
      for (const cell of cells) {
        const td = el('td', cell.text, cell.num ? 'num' : cell.id ? 'id' : cell.state ? cell.state : '');
        if (cell.colour) {
          const swatch = el('span', undefined, 'swatch');
          swatch.style.background = cell.colour;
          td.prepend(swatch);
        }
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
  }

  function renderCounters(nodes, unities, epoch, flow) {
    const roles = { manager: 0, worker: 0, temporary: 0 };
    for (const node of nodes) if (node.status === 'active' && roles[node.role] !== undefined) roles[node.role] += 1;
    const list = byId('counters');
    AmeRing.clear(list);
    const rows = [
      ['managers', roles.manager, 'count-managers'], ['workers', roles.worker, 'count-workers'],
      ['temporary workers', roles.temporary, 'count-temporary'], ['promoted since opened', state.promoted, 'count-promoted'],
      ['ring epoch', epoch === null ? '–' : epoch, 'ring-epoch'], ['Unities', unities.length, 'unity-count'],
      ['Groups (g = ⌈√N⌉)', unities.length ? Math.ceil(unities.length / AmeRing.groupSize(unities.length)) + ' (g = ' + AmeRing.groupSize(unities.length) + ')' : '–', 'group-count'],
      ['requests served', flow.total, 'served-total'], ['requests /s', flow.rate.toFixed(1), 'served-rate'],
    ];
    for (const row of rows) {
      list.appendChild(el('dt', row[0]));
      const dd = el('dd', row[1]);
      dd.id = row[2];
      list.appendChild(dd);
    }
  }

  function renderLists(blocks, unities, flow) {
    const list = byId('blocks');
    AmeRing.clear(list);
    for (const b of blocks) list.appendChild(el('li', '#' + b.height + ' · ' + clock(Number(b.time)) + ' · ' + b.txCount + ' tx' + (b.certified ? '' : ' · uncertified')));
    if (blocks.length === 0) list.appendChild(el('li', 'no final block yet', 'note'));
    const events = byId('events');
    AmeRing.clear(events);
    for (const e of state.events) {
      const li = el('li', undefined, e.kind);
      li.append(el('span', clock(e.at).slice(11), 'time'), document.createTextNode(e.text));
      events.appendChild(li);
    }
    if (state.events.length === 0) events.appendChild(el('li', 'no events since the page opened', 'note'));
    const g = AmeRing.groupSize(unities.length);
    fill(byId('unities').tBodies[0], unities.map(function (u, i) {
      return [{ text: i }, { text: u.id, id: true }, { text: Math.floor(i / g), colour: AmeRing.groupColour(Math.floor(i / g)) }, { text: u.servers.length, num: true }, { text: u.workers.length, num: true }];
    }));
    fill(byId('served').tBodies[0], flow.rows.slice(0, 25).map(function (r) {
      return [{ text: short(r.node.key) }, { text: r.node.role }, { text: r.node.unity || '–', id: true }, { text: r.count, num: true }, { text: r.rate.toFixed(1), num: true }];
    }));
  }

  async function poll() {
    const [head, blocks, nodes, ring, map] = await Promise.all([
      get('api/head'), get('api/blocks?limit=12'), get('api/nodes'), get('api/ring'), get('api/ring/map', true),
    ]);
    const list = nodes.nodes;
    const flow = flows(list, performance.now());
    const busy = new Set(flow.rows.filter(function (r) { return r.rate > 0; }).map(function (r) { return r.node.key; }));
    const unities = unitiesOf(map, list, busy);
    const epoch = map ? map.epoch : ring ? ring.epoch : null;
    nodeEvents(list);
    ringEvents(unities.length, epoch);
    state.polls += 1;
    AmeRing.draw(byId('ring'), unities, { epoch: epoch });
    byId('ring-note').textContent = map ? 'ring map of epoch ' + map.epoch + ' from the ring authority'
      : 'no ring map served here: Unities as the node records name them (ledger epoch ' + epoch + ')';
    renderCounters(list, unities, epoch, flow);
    await Promise.all([AmeHealth.poll(get, Number(head.height), list, event, short, fill), AmeAccounts.poll(get, list, short, fill)]);
    renderLists(blocks.blocks, unities, flow);
    const status = byId('status');
    status.className = 'status';
    status.textContent = 'head #' + head.height + ' · updated ' + clock(Date.now()).slice(11);
  }

  async function loop() {
    try {
      await poll();
    } catch (error) {
      const status = byId('status');
      status.className = 'status bad';
      status.textContent = 'cannot read the API: ' + (error && error.message ? error.message : String(error));
    }
    setTimeout(loop, EVERY);
  }
  loop();
})();
`;
