/* The dashboard page: fetches the JSON API and fills the page. It prints the API's own texts (amounts are
 * formatted by the device, never recomputed here in floating point) and draws the charts as inline SVG.
 * Everything is written with textContent or SVG attributes, never as HTML, so no value can inject markup. */
/* global document, fetch, setTimeout */

const REFRESH_MS = 10_000;
const SVG = 'http://www.w3.org/2000/svg';

function set(field, text) {
  for (const el of document.querySelectorAll(`[data-field="${field}"]`)) el.textContent = text;
}

function list(name) {
  const el = document.querySelector(`[data-list="${name}"]`);
  el.replaceChildren();
  return el;
}

function cell(row, text, className) {
  const td = document.createElement('td');
  td.textContent = text;
  if (className) td.className = className;
  row.append(td);
  return td;
}

async function getJson(path) {
  const response = await fetch(path, { cache: 'no-store' });
  const body = await response.json();
  if (!response.ok) throw new Error(`${path}: ${body.error ? `${body.error.code}: ${body.error.message}` : response.status}`);
  return body;
}

function renderStatus(s) {
  set('state', s.state);
  set('stateReasons', s.reasons.length ? `(${s.reasons.join('; ')})` : '');
  set('role', s.role);
  set('peerId', s.peerId ?? 'no identity yet');
  set('connectedPeers', String(s.connectedPeers));
  set('health', s.health.healthy ? 'ok' : 'failing');
  set('payoutAddress', s.payout ? s.payout.address : 'not provisioned yet');
  set('walletAddress', s.wallet ? s.wallet.address : 'none');
  set('balance', s.balance ? s.balance.text : 'unknown');
  const e = s.earnings;
  set('servedRequests', e ? String(e.servedRequests) : '–');
  set('receiptsHeld', e ? String(e.receiptsHeld) : '–');
  set('unsettled', e ? e.unsettled.text : '–');
  set('settled', e ? e.settled.text : '–');
}

function seconds(ms) {
  return `${(ms / 1000).toFixed(1)} s`;
}

function renderVesting(l) {
  const v = l.available ? l.vesting : null;
  set('vestingSpendable', v ? v.spendable.text : '–');
  set('vestingBalance', v ? v.balance.text : '–');
  set('vestingReleased', v ? v.released.text : '–');
  set('vestingUnreleased', v ? v.unreleased.text : '–');
  set('vestingPeriodIncome', v ? v.periodIncome.text : '–');
  set('vestingFrozenAtClose', v ? v.frozenAtClose.text : '–');
  set('nextReleaseAmount', v && v.next ? v.next.amount.text : 'none');
  set('nextReleaseAt', v && v.next ? v.next.at : '–');
  set('nextReleaseIn', v && v.next ? `(in ${seconds(Number(BigInt(v.next.at) - BigInt(l.time)))})` : '');
  const body = list('tranches');
  for (const t of v ? v.tranches : []) {
    const row = document.createElement('tr');
    row.dataset.row = 'tranche';
    cell(row, t.start);
    cell(row, t.total.text);
    cell(row, t.released.text);
    cell(row, t.unreleased.text);
    cell(row, `${t.daysReleased} / ${t.days}`);
    cell(row, t.dailyPart.text);
    body.append(row);
  }
}

function renderPromotion(l) {
  const p = l.available ? l.promotion : null;
  set('eligible', p ? (p.eligible ? 'eligible for promotion' : 'not eligible yet') : 'not registered');
  set('shortfall', p && p.shortfall ? p.shortfall.message : '');
  const body = list('criteria');
  for (const c of p ? p.criteria : []) {
    const row = document.createElement('tr');
    row.dataset.criterion = c.name;
    cell(row, c.label);
    cell(row, c.value === null ? 'no evidence' : `${c.value}${c.unit ? ` ${c.unit}` : ''}`).dataset.part = 'value';
    cell(row, `${c.threshold}${c.unit ? ` ${c.unit}` : ''}`).dataset.part = 'threshold';
    const bar = document.createElement('progress');
    bar.max = 1;
    bar.value = c.progress;
    cell(row, '').append(bar);
    cell(row, c.met ? 'met' : 'not met', c.met ? 'met' : 'unmet').dataset.part = 'met';
    body.append(row);
  }
}

function renderReputation(l) {
  const r = l.available ? l.reputation : null;
  set('reputation', r ? r.text : '–');
  set('uptimeCounts', r ? `${r.uptimeSeen} / ${r.uptimeExpected}` : '–');
  const body = list('penalties');
  const penalties = l.available ? l.penalties : [];
  if (penalties.length === 0) {
    const li = document.createElement('li');
    li.textContent = 'no penalties';
    body.append(li);
  }
  for (const p of penalties) {
    const li = document.createElement('li');
    li.dataset.penalty = p.kind;
    li.textContent = p.reason;
    body.append(li);
  }
}

function svg(name, attrs, text) {
  const el = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/** A line chart of `values` over `times` in the chart's 1000 × 200 view box. */
function chart(name, times, values, label) {
  const el = document.querySelector(`[data-chart="${name}"]`);
  el.replaceChildren();
  el.dataset.points = String(values.length);
  const [left, right, top, bottom] = [70, 990, 12, 185];
  el.append(svg('line', { class: 'axis', x1: left, y1: bottom, x2: right, y2: bottom }), svg('line', { class: 'axis', x1: left, y1: top, x2: left, y2: bottom }));
  if (values.length === 0) {
    el.append(svg('text', { x: left + 10, y: 100 }, 'no samples yet'));
    return;
  }
  const max = Math.max(...values, 0);
  const min = Math.min(...values, 0);
  // By time; samples all taken at one wall-clock time (a clock not set yet) are spread by their order instead.
  const t0 = times[0];
  const span = times[times.length - 1] - t0;
  const at = span > 0 ? times.map((t) => (t - t0) / span) : times.map((_, i) => i / Math.max(times.length - 1, 1));
  const x = (i) => (values.length === 1 ? (left + right) / 2 : left + at[i] * (right - left));
  const y = (v) => (max === min ? bottom : bottom - ((v - min) / (max - min)) * (bottom - top));
  const points = values.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`);
  el.append(svg('polyline', { class: 'line', points: points.join(' ') }));
  values.forEach((v, i) => el.append(svg('circle', { class: 'point', cx: x(i).toFixed(1), cy: y(v).toFixed(1), r: 3 })));
  el.append(svg('text', { x: 4, y: top + 8 }, label(max)), svg('text', { x: 4, y: bottom }, label(min)));
}

function renderHistory(h) {
  const times = h.samples.map((s) => s.time);
  const served = h.samples.map((s) => s.served);
  // Micro-units to ABC for the chart's scale only; the printed figures are the API's texts.
  const settled = h.samples.map((s) => Number(s.settled.micro) / 1e6);
  chart('served', times, served, (v) => String(v));
  chart('settled', times, settled, (v) => `${v} ABC`);
  const last = h.samples[h.samples.length - 1];
  set('servedLatest', last ? String(last.served) : '–');
  set('settledLatest', last ? last.settled.text : '–');
  set('servedPoints', String(h.samples.length));
  set('settledPoints', String(h.samples.length));
}

async function refresh() {
  const error = document.getElementById('error');
  try {
    const [status, ledger, history] = await Promise.all([getJson('/api/status'), getJson('/api/ledger'), getJson('/api/history')]);
    renderStatus(status);
    set('height', ledger.available ? ledger.height : '–');
    set('ledgerNote', ledger.available ? `at block time ${ledger.time}` : `ledger: ${ledger.reason}`);
    renderVesting(ledger);
    renderPromotion(ledger);
    renderReputation(ledger);
    renderHistory(history);
    set('updated', new Date().toLocaleTimeString());
    error.hidden = true;
    // Counts renders, so a test (or a curious owner) can wait for the first and see the page is refreshing.
    document.body.dataset.rendered = String(Number(document.body.dataset.rendered ?? '0') + 1);
  } catch (e) {
    error.textContent = `could not refresh: ${e.message}`;
    error.hidden = false;
  } finally {
    setTimeout(refresh, REFRESH_MS);
  }
}

refresh();
