/**
 * The console's core script (browser JavaScript as text, served in console.js after page-views.ts): the session
 * (`session`, `login`, `logout`), the hash routes (#devices, #device/<id>, #releases, #rollouts, #locks, #audit),
 * the API calls — every POST carries the session's CSRF token in X-CSRF-Token — and the poll that redraws the
 * shown view every `every` ms (default 1500, `?every=` 200…10000). A 401 from anywhere shows the login form.
 */
export const CONSOLE_SCRIPT = String.raw`
(function () {
  const params = new URLSearchParams(location.search);
  const EVERY = Math.min(10000, Math.max(200, Number(params.get('every')) || 1500));
  const VIEWS = ['devices', 'device', 'releases', 'rollouts', 'locks', 'audit'];
  const state = { session: null, timer: null, busy: false };
  const byId = function (id) { return document.getElementById(id); };

  function el(tag, text, className) {
    const node = document.createElement(tag);
    if (text !== undefined) node.textContent = String(text);
    if (className) node.className = className;
    return node;
  }
  function clear(node) { while (node.firstChild) node.removeChild(node.firstChild); }
  function short(text) {
    text = String(text);
    return text.length > 14 ? text.slice(0, 12) + '…' : text;
  }
  function clock(ms) {
    const d = new Date(Number(ms));
    return isNaN(d.getTime()) ? String(ms) : d.toISOString().replace('T', ' ').slice(0, 19);
  }
  function fill(tbody, rows) {
    clear(tbody);
    for (const cells of rows) {
      const tr = document.createElement('tr');
      for (const cell of cells) {
        const td = el('td', cell.link ? undefined : cell.text, (cell.num ? 'num ' : '') + (cell.cls || ''));
        if (cell.link) {
          const a = el('a', cell.text);
          a.href = cell.link;
          td.appendChild(a);
        }
        tr.appendChild(td);
      }
      tbody.appendChild(tr);
    }
  }

  class Unauthorized extends Error {}

  async function call(path, init) {
    const options = { cache: 'no-store', credentials: 'same-origin', headers: {} };
    if (init && init.method === 'POST') {
      options.method = 'POST';
      options.headers['Content-Type'] = 'application/json';
      if (state.session) options.headers['X-CSRF-Token'] = state.session.csrf;
      options.body = JSON.stringify(init.body || {});
    }
    const res = await fetch(path, options);
    const body = res.status === 204 ? {} : await res.json().catch(function () { return {}; });
    if (res.status === 401 && !(init && init.login)) throw new Unauthorized(body.message || 'not logged in');
    if (!res.ok) {
      const error = new Error(body.message || path + ' answered ' + res.status);
      error.status = res.status;
      throw error;
    }
    return body;
  }

  const ctx = {
    api: call, byId: byId, el: el, clear: clear, fill: fill, short: short, clock: clock,
    role: function () { return state.session ? state.session.role : 'viewer'; },
    refresh: function () { return refresh(); },
  };

  function route() {
    const hash = decodeURIComponent(location.hash.replace(/^#/, ''));
    if (hash.startsWith('device/')) return { view: 'device', id: hash.slice(7) };
    return { view: VIEWS.indexOf(hash) >= 0 ? hash : 'devices' };
  }

  function status(text, bad) {
    const node = byId('status');
    node.textContent = text;
    node.className = bad ? 'status bad' : 'status';
  }

  function showLogin(message) {
    state.session = null;
    AmeConsoleViews.reset();
    byId('nav').hidden = true;
    byId('user').hidden = true;
    for (const view of VIEWS) byId('view-' + view).hidden = true;
    byId('login').hidden = false;
    byId('login-error').textContent = message || '';
    status('');
    byId('username').focus();
  }

  function showApp(session) {
    state.session = session;
    byId('login').hidden = true;
    byId('nav').hidden = false;
    byId('user').hidden = false;
    byId('user-name').textContent = session.username;
    byId('user-role').textContent = session.role;
    refresh();
  }

  async function refresh() {
    if (!state.session || state.busy) return;
    state.busy = true;
    const r = route();
    for (const view of VIEWS) byId('view-' + view).hidden = view !== r.view;
    for (const a of byId('nav').querySelectorAll('a')) a.className = a.getAttribute('href') === '#' + (r.view === 'device' ? 'devices' : r.view) ? 'active' : '';
    try {
      await AmeConsoleViews[r.view](ctx, r.id);
      status('updated ' + clock(Date.now()).slice(11));
    } catch (error) {
      if (error instanceof Unauthorized) showLogin('your session ended: log in again');
      else status('cannot read the API: ' + (error && error.message ? error.message : String(error)), true);
    } finally {
      state.busy = false;
    }
  }

  async function login(event) {
    event.preventDefault();
    byId('login-error').textContent = '';
    try {
      const session = await call('login', { method: 'POST', login: true, body: { username: byId('username').value, password: byId('password').value } });
      byId('password').value = '';
      showApp(session);
    } catch (error) {
      byId('login-error').textContent = error && error.message ? error.message : String(error);
    }
  }

  async function logout() {
    try {
      await call('logout', { method: 'POST' });
    } catch (error) {
      // the session is gone either way
    }
    showLogin('logged out');
  }

  async function loop() {
    await refresh();
    state.timer = setTimeout(loop, EVERY);
  }

  document.addEventListener('DOMContentLoaded', async function () {
    byId('login-form').addEventListener('submit', login);
    byId('logout').addEventListener('click', logout);
    byId('device-filters').addEventListener('submit', function (event) { event.preventDefault(); });
    byId('filter-group').addEventListener('change', refresh);
    byId('filter-online').addEventListener('change', refresh);
    byId('history-filters').addEventListener('submit', function (event) { event.preventDefault(); });
    byId('history-range').addEventListener('change', refresh);
    let typing = null;
    byId('filter-search').addEventListener('input', function () { clearTimeout(typing); typing = setTimeout(refresh, 250); });
    window.addEventListener('hashchange', refresh);
    try {
      showApp(await call('session'));
    } catch (error) {
      showLogin('');
    }
    state.timer = setTimeout(loop, EVERY);
  });
})();
`;
