/**
 * The network page's health panels (browser JavaScript as text; page.ts inlines it before page-script.ts).
 *
 * Managers: whether each manager of the ledger's set still takes part in consensus, read from the chain itself —
 * the certificates of the latest final blocks (GET /api/headers) and their proposers. A certificate is complete at a
 * quorum (5 of 6), so one live manager may be missing from a few in a row; a manager is called silent only when
 * it signed none of the last SILENT_AFTER final blocks. Devices: GET /api/fleet when the process running the
 * explorer looks after device processes (404: the panel says so). Every string goes through textContent.
 */
export const PAGE_HEALTH_SCRIPT = String.raw`
'use strict';
const AmeHealth = (function () {
  const WINDOW = 24;
  const SILENT_AFTER = 8;
  const seen = { managers: new Map(), devices: new Map() };

  /** managers: [{key}] of the ledger's set; headers: [{height, certificate: [{member}]}] ascending; head: height. */
  function managerRows(managers, headers, head) {
    const last = new Map();
    for (const h of headers) for (const c of h.certificate) last.set(c.member, Number(h.height));
    return managers.map(function (m) {
      const signed = last.has(m.key) ? last.get(m.key) : null;
      const silent = headers.length >= SILENT_AFTER && (signed === null || head - signed >= SILENT_AFTER);
      return { key: m.key, signed: signed, silent: silent };
    });
  }

  /** Events for a manager turning silent or back, and a device going offline, online or exiting. */
  function changes(rows, devices, event, short) {
    for (const r of rows) {
      const before = seen.managers.get(r.key);
      if (before !== undefined && before !== r.silent) {
        event(r.silent ? 'down' : 'up', 'manager ' + short(r.key) + (r.silent ? ' silent since #' + (r.signed === null ? '?' : r.signed) : ' signing again'));
      }
      seen.managers.set(r.key, r.silent);
    }
    for (const d of devices) {
      const now = d.process === 'exited' ? 'exited' : d.online ? 'online' : 'offline';
      const before = seen.devices.get(d.name);
      if (before !== undefined && before !== now) event(now === 'online' ? 'up' : 'down', 'device ' + d.name + ' ' + now + (d.exit ? ' (' + d.exit + ')' : ''));
      seen.devices.set(d.name, now);
    }
  }

  async function poll(get, head, nodes, event, short, fill) {
    const from = Math.max(1, head - WINDOW + 1);
    const managers = nodes.filter(function (n) { return n.role === 'manager' && n.status === 'active'; });
    const [headers, fleet] = await Promise.all([
      head >= 1 ? get('api/headers?from=' + from + '&to=' + head) : Promise.resolve({ headers: [] }),
      get('api/fleet', true),
    ]);
    const rows = managerRows(managers, headers.headers, head);
    const devices = fleet ? fleet.devices : [];
    changes(rows, devices, event, short);
    fill(document.getElementById('managers').tBodies[0], rows.map(function (r) {
      return [{ text: short(r.key) }, { text: r.silent ? 'silent' : 'signing', state: r.silent ? 'bad' : 'good' }, { text: r.signed === null ? '–' : '#' + r.signed, num: true }];
    }));
    const note = document.getElementById('fleet-note');
    note.textContent = fleet ? devices.length + ' device processes run by this network' : 'this explorer runs no devices';
    fill(document.getElementById('devices').tBodies[0], devices.map(function (d) {
      const status = d.process === 'exited' ? 'exited' + (d.exit ? ' (' + d.exit + ')' : '') : d.online ? 'online' : 'offline';
      return [{ text: d.name }, { text: d.peerId ? short(d.peerId) : '–' }, { text: status, state: status === 'online' ? 'good' : 'bad' }, { text: d.state || '–' }];
    }));
    return { silent: rows.filter(function (r) { return r.silent; }).length, offline: devices.filter(function (d) { return !d.online; }).length };
  }

  return { poll: poll, managerRows: managerRows };
})();
`;
