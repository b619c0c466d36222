/**
 * Issue 10, Done-when 6: the fleet's web console opened in headless Chromium (Debian's chromium driven by
 * playwright-core) over a real controller (startController: SQLite registry on disk, embedded aedes broker, the
 * API's real HTTP server on 127.0.0.1 port 0). 30 enrolled devices (5 canaries, 10 online), two pushed releases, a
 * rollout with two canaries reported healthy. The page refuses a wrong password (audited), logs an admin in, shows
 * device counts equal to GET /api/devices under every filter, the rollout's per-phase progress equal to GET
 * /api/rollouts/<id>; a viewer sees no buttons and a POST from its session is refused; the admin's abort shows on
 * the page, in the API and in the audit log with the admin as actor. A device with 40 minutes of telemetry history
 * shows charts with one point per sample the history API returns for the same window, and a new sample appears at
 * the next poll. Screenshots go to test-results/console/.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pino } from 'pino';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startController, type Controller } from '../../../../fleet/controller/index.ts';
import type { DeviceSample, Release, SampleFigures } from '../../../../fleet/registry/index.ts';
import type { RolloutProgress } from '../../../../fleet/rollout/index.ts';
import { identity } from '../../../support/fleet-mqtt.ts';
import { labelledBytes } from '../../../support/seeded.ts';
import { appBundle, tempDir, type TempDir } from '../../../unit/fleet/repository/release-fixtures.ts';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(import.meta.dirname, '..', '..', '..', '..', 'test-results', 'console');
const ADMIN = { username: 'alice', password: 'correct horse battery' };
const VIEWER = { username: 'victor', password: 'viewer staple 1234' };

let t: TempDir;
let c: Controller;
let browser: Browser;
let token: string;
let v2: Release;
const devices = Array.from({ length: 30 }, (_, i) => identity(`console device ${i}`));
const HISTORY_POLICY = { intervalMs: 1_000, retentionMs: 7 * 24 * 3_600_000 };
/** The figures of the k-th sample of the charted device: counters that grow, a health dip, an hour of memory. */
const figuresAt = (k: number): SampleFigures => ({
  online: k % 13 !== 5,
  state: k >= 20 && k < 24 ? 'degraded' : 'serving',
  healthy: !(k >= 20 && k < 24),
  version: '1.0.0',
  role: 'temporary',
  servedRequests: k * k * 3,
  settled: String(k * 250_000),
  unsettled: String((k % 7) * 10_000),
  balance: String(10_000_000 + k * 200_000),
  rssBytes: k % 4 === 0 ? null : 60_000_000 + k * 100_000,
});

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`headless Chromium is missing at ${CHROMIUM}: apt-get install chromium (.ci/run installs it)`);
  mkdirSync(SHOTS, { recursive: true });
  t = tempDir('console-page');
  c = await startController({ dataDir: join(t.dir, 'fleet'), broker: 'embedded', clock: { now: Date.now }, logger: pino({ level: 'silent' }), random: labelledBytes('console page') });
  const now = Date.now();
  c.registry.admins.create(ADMIN.username, ADMIN.password, 'admin', now);
  c.registry.admins.create(VIEWER.username, VIEWER.password, 'viewer', now);
  token = c.registry.admins.issueToken({ role: 'viewer', label: 'test' }, now).token;
  devices.forEach((d, i) => {
    c.registry.enrol({ id: d.id, publicKey: d.key.publicKey.bytes, groups: i < 5 ? ['canary'] : [] }, now);
    if (i % 3 === 0) c.registry.devices.report(d.id, { online: true, version: '1.0.0', role: 'temporary', health: { state: 'serving', healthy: true } }, now);
  });
  c.registry.locks.lock(devices[9]!.id, 'camera app', 'recording a time-lapse', now + 3_600_000, now);
  for (let k = 0; k < 40; k++) c.registry.history.record([[devices[9]!.id, figuresAt(k)]], now - (40 - k) * 60_000, HISTORY_POLICY);
  const v1 = c.pushRelease((await appBundle(t.dir, '1.0.0')).bytes);
  v2 = c.pushRelease((await appBundle(t.dir, '2.0.0')).bytes);
  c.rollouts.start('r1', {
    release: v2.id,
    previousRelease: v1.id,
    phases: [{ name: 'canary', group: 'canary' }, { name: 'half', percent: 50 }, { name: 'rest' }],
    successThreshold: 0.6,
    failureBudget: 2,
    concurrency: 3,
    ratePerMinute: 100,
    timeoutMs: 600_000,
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await c?.stop();
  t?.cleanup();
});

async function api<T>(path: string): Promise<T> {
  const res = await fetch(new URL(path, c.apiUrl), { headers: { Authorization: `Bearer ${token}` } });
  expect(res.status, path).toBe(200);
  return (await res.json()) as T;
}

/** Browser-side conditions are functions (the page's CSP forbids eval); the project compiles without the DOM library. */
interface PageDom {
  readonly document: { querySelector(s: string): { textContent: string | null } | null };
}
/** Waits until `selector`'s text is `expected`; a timeout says what the page showed instead. */
async function waitText(page: Page, selector: string, expected: string): Promise<void> {
  try {
    await page.waitForFunction(([s, e]) => ((globalThis as unknown as PageDom).document.querySelector(s!)?.textContent ?? '') === e, [selector, expected], { timeout: 10_000 });
  } catch (error) {
    const shown = await page.evaluate((s) => (globalThis as unknown as PageDom).document.querySelector(s)?.textContent ?? null, selector).catch(() => 'unreadable');
    throw new Error(`${selector} shows ${JSON.stringify(shown)}, not ${JSON.stringify(expected)}, after 10 s (page ${page.url()})`, { cause: error });
  }
}

async function shot(page: Page, name: string): Promise<void> {
  const path = join(SHOTS, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  expect(statSync(path).size, path).toBeGreaterThan(10_000);
  expect([...readFileSync(path).subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]); // the PNG signature
}

async function login(page: Page, who: { username: string; password: string }): Promise<void> {
  await page.fill('#username', who.username);
  await page.fill('#password', who.password);
  await page.click('#login-submit');
}

/** What the page's counts cell of a phase says, from the API's progress. */
const phaseText = (p: RolloutProgress['phases'][number]) => `${p.healthy}/${p.total} healthy · ${p.inFlight} in flight · ${p.failed} failed · ${p.reverted} reverted`;

async function expectDeviceCounts(page: Page, query: string): Promise<void> {
  const listed = (await api<{ devices: { online: boolean }[]; next: string | null }>(`api/devices?limit=500${query}`)).devices;
  const online = listed.filter((d) => d.online).length;
  await waitText(page, '#count-devices', String(listed.length));
  await waitText(page, '#count-online', String(online));
  await waitText(page, '#count-offline', String(listed.length - online));
  expect(await page.locator('#devices tbody tr').count()).toBe(listed.length);
}

/** Which figures each chart plots, as the page computes them from a sample. */
const CHARTED: Readonly<Record<string, (s: DeviceSample) => unknown>> = {
  served: (s) => s.servedRequests,
  earned: (s) => (s.settled === null && s.unsettled === null ? null : 1),
  balance: (s) => s.balance,
  healthy: (s) => s.healthy,
  online: (s) => s.online,
  memory: (s) => s.rssBytes,
};

/** Every chart has one point per sample of the window the page shows (its data-from), as the history API gives them. */
async function expectCharts(page: Page, id: string, samples: number): Promise<void> {
  await page.waitForSelector(`#charts[data-samples="${samples}"]`, { timeout: 10_000 });
  const from = Number(await page.locator('#charts').getAttribute('data-from'));
  const history = await api<{ samples: DeviceSample[]; next: number | null }>(`api/devices/${id}/history?since=${from}&limit=10080`);
  expect(history.next).toBeNull();
  expect(history.samples).toHaveLength(samples);
  for (const [chart, figure] of Object.entries(CHARTED)) {
    const expected = history.samples.filter((s) => figure(s) !== null).length;
    expect([chart, Number(await page.locator(`.chart[data-chart="${chart}"]`).getAttribute('data-points'))]).toEqual([chart, expected]);
  }
  // The served-requests line has exactly one vertex per sample, in time order.
  const points = (await page.locator('.chart[data-chart="served"] polyline').getAttribute('points'))!.trim().split(/\s+/);
  expect(points).toHaveLength(history.samples.length);
  const xs = points.map((p) => Number(p.split(',')[0]));
  expect(xs.every((x, i) => i === 0 || x >= xs[i - 1]!)).toBe(true);
  expect(await page.locator('.chart[data-chart="memory"]').getAttribute('data-points')).not.toBe(String(samples));
}

describe('the fleet console in headless Chromium', () => {
  it('refuses a wrong password, shows devices and a rollout as the API does, keeps viewers read-only and aborts for an admin', async () => {
    const errors: string[] = [];
    const page = await browser.newPage({ viewport: { width: 1300, height: 900 } });
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (m) => {
      // 401 and 403 answers are Chromium's own log lines about statuses the test provokes, not the page's errors.
      if (m.type() === 'error' && !/status of 40[13]/.test(m.text())) errors.push(m.text());
    });
    expect((await page.goto(`${c.consoleUrl}?every=300`))?.status()).toBe(200);
    await page.waitForSelector('#login:not([hidden])');

    await login(page, { username: ADMIN.username, password: 'not the password' });
    await waitText(page, '#login-error', 'wrong username or password');
    expect(await page.locator('#nav').isHidden()).toBe(true);
    await shot(page, 'login-refused');
    expect(c.registry.audit.query({ action: 'console.login-failed' }).entries.map((e) => e.actor)).toEqual([ADMIN.username]);

    await login(page, ADMIN);
    await page.waitForSelector('#view-devices:not([hidden])');
    expect(await page.locator('#user-role').innerText()).toBe('admin');
    await expectDeviceCounts(page, '');
    expect(await page.locator('#count-devices').innerText()).toBe('30');
    expect(await page.locator('#count-online').innerText()).toBe('10');
    await shot(page, 'devices');
    await page.selectOption('#filter-group', 'canary');
    await expectDeviceCounts(page, '&group=canary');
    await page.selectOption('#filter-online', 'true');
    await expectDeviceCounts(page, '&group=canary&online=true');
    await page.selectOption('#filter-group', '');
    await page.fill('#filter-search', devices[7]!.id.slice(-10));
    await expectDeviceCounts(page, `&online=true&search=${devices[7]!.id.slice(-10)}`);
    await page.fill('#filter-search', devices[9]!.id);
    await expectDeviceCounts(page, `&online=true&search=${devices[9]!.id}`);
    await page.click(`#devices a[href="#device/${devices[9]!.id}"]`);
    await waitText(page, '#device-id', devices[9]!.id);
    const fields = await page.locator('#device-fields').innerText();
    expect(fields).toMatch(/version\s+1\.0\.0/);
    expect(fields).toMatch(/health\s+healthy · serving/);
    expect(fields).toContain('camera app: recording a time-lapse');
    await expectCharts(page, devices[9]!.id, 40);
    await shot(page, 'device-history');
    // A new sample shows at the next poll, fetched on its own (the page asks only for samples after the newest it holds).
    c.registry.history.record([[devices[9]!.id, figuresAt(40)]], Date.now(), HISTORY_POLICY);
    await expectCharts(page, devices[9]!.id, 41);
    await page.selectOption('#history-range', '3600000');
    await expectCharts(page, devices[9]!.id, 41);
    await page.click('nav a[href="#releases"]');
    await page.waitForSelector('#view-releases:not([hidden])');
    await page.waitForFunction(() => (globalThis as unknown as PageDom).document.querySelector('#releases tbody tr:nth-child(2)') !== null);
    const listed = (await api<{ releases: { version: string }[] }>('api/releases')).releases.map((r) => r.version);
    expect(await page.locator('#releases tbody td:nth-child(3)').allInnerTexts()).toEqual(listed);
    await page.click('nav a[href="#locks"]');
    await waitText(page, '#locks tbody td:nth-child(2)', 'camera app');

    // Two canaries report the new release healthy; the rollout then holds still (no timeout for 10 min).
    const first = c.rollouts.progress('r1');
    expect(first.phases[0]!.inFlight).toBe(3);
    const snapshot = c.registry.rollouts.get('r1')!.state as { devices: { id: string; status: string }[] };
    const inFlight = snapshot.devices.filter((d) => d.status === 'in-flight').map((d) => d.id);
    for (const id of inFlight.slice(0, 2)) c.rollouts.report(id, { status: 'healthy', target: v2.target, running: v2.target });
    c.rollouts.tick();
    await c.rollouts.settled();
    const before = await api<RolloutProgress>('api/rollouts/r1');
    expect(before.phases[0]).toMatchObject({ healthy: 2, inFlight: 3, total: 5 });

    await page.goto(`${c.consoleUrl}?every=300#rollouts`);
    const card = '[data-rollout="r1"]';
    await page.waitForSelector(`${card}[data-state="running"]`);
    for (const phase of before.phases) await waitText(page, `${card} .phase[data-phase="${phase.name}"] .counts`, phaseText(phase));
    expect(await page.locator(`${card} .state`).innerText()).toMatch(/running/i);
    expect(await page.locator(`${card} button.abort`).isVisible()).toBe(true);
    const healthyWidth = await page.locator(`${card} .phase[data-phase="canary"] .seg.healthy`).evaluate((e) => (e as unknown as { style: { width: string } }).style.width);
    expect(healthyWidth).toBe('40%');
    await shot(page, 'rollout-running');

    // A viewer: the same rollout without buttons, and a POST from its session refused even with its CSRF token.
    const viewerContext = await browser.newContext({ viewport: { width: 1300, height: 900 } });
    const viewer = await viewerContext.newPage();
    await viewer.goto(`${c.consoleUrl}?every=300#rollouts`);
    await login(viewer, VIEWER);
    await viewer.waitForSelector(`${card}[data-state="running"]`);
    expect(await viewer.locator('#user-role').innerText()).toBe('viewer');
    expect(await viewer.locator(`${card} button.abort`).isVisible()).toBe(false);
    expect(await viewer.locator(`${card} .actions`).isHidden()).toBe(true);
    const forged = await viewer.evaluate(async () => {
      const session = (await (await fetch('session')).json()) as { csrf: string };
      const res = await fetch('../api/rollouts/r1/abort', { method: 'POST', headers: { 'Content-Type': 'application/json', 'X-CSRF-Token': session.csrf }, body: '{}' });
      return { status: res.status, body: (await res.json()) as { error: string } };
    });
    expect(forged).toEqual({ status: 403, body: expect.objectContaining({ error: 'FORBIDDEN' }) });
    await viewerContext.close();
    // The admin's own session without its CSRF token is refused too.
    const noCsrf = await page.evaluate(async () => (await fetch('../api/rollouts/r1/pause', { method: 'POST', body: '{}' })).status);
    expect(noCsrf).toBe(403);
    expect((await api<RolloutProgress>('api/rollouts/r1')).state).toBe('running');

    await page.fill(`${card} input.reason`, 'canary metrics look wrong');
    await page.click(`${card} button.abort`);
    await page.waitForSelector(`${card}[data-state="aborted"]`);
    await page.waitForSelector(`${card} .actions`, { state: 'hidden' });
    const after = await api<RolloutProgress>('api/rollouts/r1');
    expect(after).toMatchObject({ state: 'aborted', abort: { code: 'manual', reason: 'canary metrics look wrong' } });
    for (const phase of after.phases) await waitText(page, `${card} .phase[data-phase="${phase.name}"] .counts`, phaseText(phase));
    expect(await page.locator(`${card} .meta`).innerText()).toContain('aborted (manual): canary metrics look wrong');
    await shot(page, 'rollout-aborted');

    const aborts = c.registry.audit.query({ action: 'rollout.abort' }).entries;
    expect(aborts.map((e) => [e.actor, e.target, e.detail])).toEqual([[ADMIN.username, 'r1', { reason: 'canary metrics look wrong' }]]);
    await page.click('nav a[href="#audit"]');
    await page.waitForSelector('#view-audit:not([hidden])');
    const row = page.locator('#audit tbody tr', { hasText: 'rollout.abort' });
    await row.waitFor();
    expect(await row.locator('td').nth(2).innerText()).toBe(ADMIN.username);
    await shot(page, 'audit');

    await page.click('#logout');
    await page.waitForSelector('#login:not([hidden])');
    const afterLogout = await page.evaluate(async () => (await fetch('../api/devices')).status);
    expect(afterLogout).toBe(401);
    expect(errors).toEqual([]);
    await page.close();
  });
});
