/**
 * The console's views (browser JavaScript as text, served in console.js before page-script.ts): devices with
 * filters and counts, one device with its charts (page-charts.ts), releases, rollouts with per-phase progress bars and their buttons, locks and the
 * audit log. Each view is `function (ctx)` that reads the JSON API through `ctx.api` and redraws its section;
 * strings from the API reach the document only through textContent.
 */
export const CONSOLE_VIEWS = String.raw`
var AmeConsoleViews = (function () {
  const MAX_PAGES = 20;
  const MAX_AUDIT = 500;
  const audit = { after: null, entries: [] };
  const cards = new Map();

  function query(params) {
    const q = new URLSearchParams();
    for (const key of Object.keys(params)) if (params[key] !== '' && params[key] !== null && params[key] !== undefined) q.set(key, String(params[key]));
    const text = q.toString();
    return text === '' ? '' : '?' + text;
  }

  /** Every page of a paged listing (devices by id, audit entries by seq), up to MAX_PAGES. */
  async function all(ctx, path, params, key) {
    const out = [];
    let after = params.after;
    for (let page = 0; page < MAX_PAGES; page++) {
      const body = await ctx.api(path + query(Object.assign({}, params, { after: after })));
      out.push.apply(out, body[key]);
      if (body.next === null || body.next === undefined) break;
      after = body.next;
    }
    return out;
  }

  function healthText(health) {
    if (health === null || typeof health !== 'object') return '–';
    const parts = [];
    if (health.healthy === true) parts.push('healthy');
    else if (health.healthy === false) parts.push('unhealthy');
    if (typeof health.state === 'string') parts.push(health.state);
    return parts.length ? parts.join(' · ') : JSON.stringify(health);
  }

  async function groupOptions(ctx) {
    const select = ctx.byId('filter-group');
    const groups = (await ctx.api('../api/groups')).groups;
    // Read after the wait: a group chosen while the list was on its way is kept. Rebuilt only when it changed.
    const chosen = select.value;
    const listed = JSON.stringify(groups);
    if (select.dataset.groups === listed) return;
    select.dataset.groups = listed;
    ctx.clear(select);
    select.appendChild(ctx.el('option', 'any'));
    select.firstChild.value = '';
    for (const g of groups) {
      const option = ctx.el('option', g.name + ' (' + g.devices + ')');
      option.value = g.name;
      select.appendChild(option);
    }
    select.value = groups.some(function (g) { return g.name === chosen; }) ? chosen : '';
  }

  async function devices(ctx) {
    await groupOptions(ctx);
    const list = await all(ctx, '../api/devices', {
      group: ctx.byId('filter-group').value, online: ctx.byId('filter-online').value, search: ctx.byId('filter-search').value.trim(), limit: 500,
    }, 'devices');
    const online = list.filter(function (d) { return d.online; }).length;
    ctx.byId('count-devices').textContent = String(list.length);
    ctx.byId('count-online').textContent = String(online);
    ctx.byId('count-offline').textContent = String(list.length - online);
    ctx.fill(ctx.byId('devices').tBodies[0], list.map(function (d) {
      return [{ text: d.id, link: '#device/' + encodeURIComponent(d.id), cls: 'id' }, { text: d.online ? 'online' : 'offline', cls: d.online ? 'good' : 'bad' },
        { text: d.version || '–' }, { text: d.role || '–' }, { text: d.groups.join(', ') || '–' }, { text: d.lastSeen === null ? 'never' : ctx.clock(d.lastSeen) },
        { text: healthText(d.health) }];
    }));
  }

  async function device(ctx, id) {
    const body = await ctx.api('../api/devices/' + encodeURIComponent(id));
    const d = body.device;
    ctx.byId('device-id').textContent = d.id;
    const list = ctx.byId('device-fields');
    ctx.clear(list);
    const rows = [['online', d.online ? 'online' : 'offline'], ['last seen', d.lastSeen === null ? 'never' : ctx.clock(d.lastSeen)],
      ['enrolled', ctx.clock(d.enrolledAt)], ['version', d.version || '–'], ['role', d.role || '–'], ['groups', d.groups.join(', ') || '–'],
      ['tags', d.tags.join(', ') || '–'], ['health', healthText(d.health)], ['health report', d.health === null ? '–' : JSON.stringify(d.health)],
      ['earnings', d.earnings === null ? '–' : JSON.stringify(d.earnings)],
      ['update lock', body.lock ? body.lock.holder + ': ' + body.lock.reason + ' (until ' + ctx.clock(body.lock.expiresAt) + ')' : 'none']];
    for (const row of rows) {
      list.appendChild(ctx.el('dt', row[0]));
      list.appendChild(ctx.el('dd', row[1]));
    }
    await AmeConsoleCharts.draw(ctx, d.id);
  }

  async function releases(ctx) {
    const list = (await ctx.api('../api/releases')).releases;
    ctx.fill(ctx.byId('releases').tBodies[0], list.map(function (r) {
      return [{ text: ctx.short(r.id), cls: 'id' }, { text: r.target }, { text: r.version }, { text: r.arch }, { text: r.length, num: true }, { text: ctx.clock(r.createdAt) }];
    }));
  }

  const SEGMENTS = [['healthy', 'healthy'], ['inFlight', 'in-flight'], ['failed', 'failed'], ['lockedWaiting', 'locked'], ['pending', 'pending']];

  function card(ctx, id) {
    if (cards.has(id)) return cards.get(id);
    const root = ctx.el('article', undefined, 'rollout');
    root.dataset.rollout = id;
    const title = ctx.el('h3');
    const name = ctx.el('span', id);
    const state = ctx.el('span', '', 'state');
    title.append(name, document.createTextNode(' '), state);
    const meta = ctx.el('p', '', 'note meta');
    const phases = ctx.el('div', undefined, 'phases');
    const actions = ctx.el('div', undefined, 'actions');
    const reason = ctx.el('input');
    reason.placeholder = 'reason for an abort';
    reason.className = 'reason';
    const buttons = {};
    for (const action of ['pause', 'resume', 'abort']) {
      const button = ctx.el('button', action[0].toUpperCase() + action.slice(1), action + (action === 'abort' ? ' danger' : ''));
      button.type = 'button';
      button.addEventListener('click', function () { act(ctx, id, action, reason); });
      buttons[action] = button;
    }
    actions.append(buttons.pause, buttons.resume, reason, buttons.abort);
    const error = ctx.el('p', '', 'error');
    root.append(title, meta, phases, actions, error);
    const entry = { root: root, state: state, meta: meta, phases: phases, actions: actions, buttons: buttons, reason: reason, error: error };
    cards.set(id, entry);
    return entry;
  }

  async function act(ctx, id, action, reason) {
    const c = cards.get(id);
    c.error.textContent = '';
    try {
      const sent = action === 'abort' ? reason.value.trim() : '';
      await ctx.api('../api/rollouts/' + encodeURIComponent(id) + '/' + action, { method: 'POST', body: sent ? { reason: sent } : {} });
      // Only an abort uses the reason; what was typed since it was sent stays.
      if (action === 'abort' && reason.value.trim() === sent) reason.value = '';
      await ctx.refresh();
    } catch (error) {
      c.error.textContent = action + ' refused: ' + (error && error.message ? error.message : String(error));
    }
  }

  function drawRollout(ctx, c, p) {
    c.state.textContent = p.state;
    c.state.className = 'state ' + p.state;
    c.root.dataset.state = p.state;
    let meta = 'release ' + ctx.short(p.release) + ' · phase ' + (p.phase || '–') + ' · ' + p.inFlight + ' in flight';
    if (p.abort) meta += ' · aborted (' + p.abort.code + '): ' + p.abort.reason;
    c.meta.textContent = meta;
    ctx.clear(c.phases);
    for (const phase of p.phases) {
      const row = ctx.el('div', undefined, 'phase ' + phase.state);
      row.dataset.phase = phase.name;
      const bar = ctx.el('div', undefined, 'bar');
      for (const s of SEGMENTS) {
        const seg = ctx.el('span', undefined, 'seg ' + s[1]);
        seg.style.width = (phase.total === 0 ? 0 : (100 * phase[s[0]]) / phase.total) + '%';
        bar.appendChild(seg);
      }
      const counts = ctx.el('span', phase.healthy + '/' + phase.total + ' healthy · ' + phase.inFlight + ' in flight · ' + phase.failed + ' failed · ' + phase.reverted + ' reverted', 'counts');
      row.append(ctx.el('span', phase.name + ' (' + phase.state + ')', 'name'), bar, counts);
      c.phases.appendChild(row);
    }
    const operator = ctx.role() !== 'viewer';
    c.actions.hidden = !operator || p.state === 'aborted' || p.state === 'done';
    c.buttons.pause.hidden = p.state !== 'running';
    c.buttons.resume.hidden = p.state !== 'paused';
  }

  async function rollouts(ctx) {
    const list = (await ctx.api('../api/rollouts')).rollouts.slice().sort(function (a, b) { return b.createdAt - a.createdAt || (a.id < b.id ? -1 : 1); }).slice(0, 20);
    const progress = await Promise.all(list.map(function (r) { return ctx.api('../api/rollouts/' + encodeURIComponent(r.id)); }));
    const box = ctx.byId('rollouts');
    const shown = new Set();
    progress.forEach(function (p, i) {
      const c = card(ctx, p.id);
      drawRollout(ctx, c, p);
      // Moved only when out of place: detaching a card at every poll would drop what an operator is typing into it.
      const at = box.children[i];
      if (at !== c.root) box.insertBefore(c.root, at || null);
      shown.add(p.id);
    });
    for (const id of Array.from(cards.keys())) if (!shown.has(id)) { cards.get(id).root.remove(); cards.delete(id); }
    if (list.length === 0 && !box.querySelector('.note')) box.appendChild(ctx.el('p', 'no rollout yet', 'note'));
    else if (list.length > 0) for (const note of Array.from(box.querySelectorAll('.note'))) if (note.parentNode === box) note.remove();
  }

  async function locks(ctx) {
    const list = (await ctx.api('../api/locks')).locks;
    ctx.fill(ctx.byId('locks').tBodies[0], list.map(function (l) {
      return [{ text: l.device, link: '#device/' + encodeURIComponent(l.device), cls: 'id' }, { text: l.holder }, { text: l.reason, cls: 'wrap' }, { text: ctx.clock(l.takenAt) }, { text: ctx.clock(l.expiresAt) }];
    }));
  }

  /** Only entries after the last one seen are fetched; the newest MAX_AUDIT are kept, newest first on the page. */
  async function auditLog(ctx) {
    const fresh = await all(ctx, '../api/audit', { after: audit.after, limit: 500 }, 'entries');
    if (fresh.length > 0) {
      audit.entries = audit.entries.concat(fresh).slice(-MAX_AUDIT);
      audit.after = fresh[fresh.length - 1].seq;
    }
    ctx.fill(ctx.byId('audit').tBodies[0], audit.entries.slice().reverse().map(function (e) {
      return [{ text: e.seq, num: true }, { text: ctx.clock(e.time) }, { text: e.actor }, { text: e.action }, { text: e.target === null ? '–' : e.target, cls: 'id' },
        { text: e.detail === null ? '' : JSON.stringify(e.detail), cls: 'wrap' }];
    }));
  }

  function reset() {
    audit.after = null;
    audit.entries = [];
    for (const c of cards.values()) c.root.remove();
    cards.clear();
    AmeConsoleCharts.reset();
  }

  return { devices: devices, device: device, releases: releases, rollouts: rollouts, locks: locks, audit: auditLog, reset: reset };
})();
`;
