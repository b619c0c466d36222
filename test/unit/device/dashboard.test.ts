/**
 * The dashboard without sockets: access rules (local network vs remote, the password by Basic auth), the
 * handler's routes and typed errors, the Prometheus exposition, and the history sampler on a ManualClock.
 */
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../hal/index.ts';
import {
  basicPassword,
  checkAccess,
  createDashboardHandler,
  createHistorySampler,
  HTTP_ERROR_CODES,
  isLocalAddress,
  isLocalHostHeader,
  METRICS_CONTENT_TYPE,
  renderMetrics,
  type DashboardResponse,
} from '../../../device/index.ts';
import { agentStatus, basic, fakeSources, request } from '../../support/dashboard-fixtures.ts';

const json = (r: DashboardResponse) => JSON.parse(r.body.toString()) as Record<string, unknown>;
const errorOf = (r: DashboardResponse) => (json(r) as { error: { code: string; message: string; field?: string } }).error;

describe('dashboard access', () => {
  it('tells local-network addresses from the rest', () => {
    const local = ['127.0.0.1', '127.8.9.10', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.7', '169.254.3.4', '::1', '0:0:0:0:0:0:0:1', '::ffff:192.168.0.2', '::ffff:127.0.0.1', 'fd12:3456::1', 'fc00::1', 'fe80::1', 'fe80::1%eth0'];
    const remote = ['8.8.8.8', '172.15.0.1', '172.32.0.1', '192.169.0.1', '11.0.0.1', '1.2.3.4', '2001:db8::1', '::ffff:8.8.8.8', '::', 'localhost', '', 'x', undefined];
    for (const a of local) expect(isLocalAddress(a), a).toBe(true);
    for (const a of remote) expect(isLocalAddress(a), String(a)).toBe(false);
  });

  it('without a password: the local network only (403 FORBIDDEN otherwise)', () => {
    expect(checkAccess('192.168.1.7', undefined, null)).toEqual({ ok: true });
    expect(checkAccess('8.8.8.8', undefined, null)).toMatchObject({ ok: false, status: 403, code: 'FORBIDDEN' });
    // A header does not open the dashboard to the internet when no password is set.
    expect(checkAccess('8.8.8.8', basic('whatever1'), null)).toMatchObject({ ok: false, status: 403 });
  });

  it('with a password: Basic auth with it from anywhere, local addresses included (401 otherwise)', () => {
    const pw = 'correct horse';
    for (const from of ['127.0.0.1', '8.8.8.8', '2001:db8::1']) {
      expect(checkAccess(from, basic(pw), pw), from).toEqual({ ok: true });
      expect(checkAccess(from, basic(pw, ''), pw), from).toEqual({ ok: true });
      expect(checkAccess(from, undefined, pw)).toMatchObject({ ok: false, status: 401, code: 'UNAUTHORIZED' });
      expect(checkAccess(from, basic('correct horsE'), pw)).toMatchObject({ ok: false, status: 401 });
      expect(checkAccess(from, basic(`${pw}x`), pw)).toMatchObject({ ok: false, status: 401 });
      expect(checkAccess(from, `Bearer ${pw}`, pw)).toMatchObject({ ok: false, status: 401 });
    }
  });

  it('reads the password of a Basic header (colons after the first belong to it)', () => {
    expect(basicPassword(basic('a:b:c', 'u'))).toBe('a:b:c');
    expect(basicPassword('basic ' + Buffer.from('u:pw').toString('base64'))).toBe('pw');
    expect(basicPassword(`Basic ${Buffer.from('no colon').toString('base64')}`)).toBeNull();
    expect(basicPassword('Basic !!!')).toBeNull();
    expect(basicPassword(undefined)).toBeNull();
  });

  it('accepts Host headers naming the box on the local network, not other domains (DNS rebinding)', () => {
    for (const h of ['192.168.1.20:8080', '[fe80::1]:8080', '[::1]', 'localhost:8080', 'ame-device', 'ame-device.local', 'pi.lan:80', 'box.home.arpa', undefined]) {
      expect(isLocalHostHeader(h), String(h)).toBe(true);
    }
    for (const h of ['evil.example.com', 'evil.com:8080', 'a b', '', 'ame.device.io', '[zz]']) expect(isLocalHostHeader(h), h).toBe(false);
  });
});

describe('dashboard handler', () => {
  it('answers the API as JSON from the local network', async () => {
    const s = fakeSources();
    const handle = createDashboardHandler(s);
    const status = await handle(request('/api/status'));
    expect(status.status).toBe(200);
    expect(status.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(status.headers['cache-control']).toBe('no-store');
    expect(json(status)).toMatchObject({
      state: 'serving',
      peerId: agentStatus().peerId,
      role: 'temporary-worker',
      payout: { address: agentStatus().payout!.address, source: 'wallet' },
      balance: { unit: 'ABC', micro: '2840000', text: '2.84 ABC' },
      earnings: { servedRequests: 12, receiptsHeld: 2, unsettled: { micro: '150000', text: '0.15 ABC' }, settled: { text: '3 ABC' } },
    });
    expect(json(await handle(request('/api/ledger')))).toEqual({ available: false, reason: 'the node has not read the ledger yet' });
    s.samples.push({ time: 1, served: 1, settled: 0n, balance: null }, { time: 2, served: 5, settled: 10n, balance: 7n });
    expect(json(await handle(request('/api/history')))).toEqual({
      everyMs: 10_000,
      capacity: 100,
      samples: [
        { time: 1, served: 1, settled: { unit: 'ABC', micro: '0', text: '0 ABC' }, balance: null },
        { time: 2, served: 5, settled: { unit: 'ABC', micro: '10', text: '0.00001 ABC' }, balance: { unit: 'ABC', micro: '7', text: '0.000007 ABC' } },
      ],
    });
    expect((json(await handle(request('/api/history?limit=1'))) as { samples: unknown[] }).samples).toHaveLength(1);
  });

  it('serves the page, its script and style, with a strict content security policy on the page', async () => {
    const handle = createDashboardHandler(fakeSources());
    const page = await handle(request('/'));
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.body.toString()).toContain('<script type="module" src="/app.js">');
    expect((await handle(request('/app.js'))).headers['content-type']).toMatch(/^text\/javascript/);
    expect((await handle(request('/style.css'))).headers['content-type']).toMatch(/^text\/css/);
    const head = await handle(request('/', { method: 'HEAD' }));
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('refuses with typed JSON errors', async () => {
    const s = fakeSources();
    const handle = createDashboardHandler(s);
    const cases: [Parameters<typeof handle>[0], number, string, string?][] = [
      [request('/api/status', { remoteAddress: '8.8.8.8' }), 403, 'FORBIDDEN'],
      [request('/api/status', { headers: { host: 'evil.example.com' } }), 403, 'FORBIDDEN', 'host'],
      [request('/api/status', { method: 'POST' }), 405, 'METHOD_NOT_ALLOWED'],
      [request('/api/nothing'), 404, 'NOT_FOUND'],
      [request('/favicon.ico'), 404, 'NOT_FOUND'],
      [request('/api/history?limit=0'), 400, 'BAD_REQUEST', 'limit'],
      [request('/api/history?limit=abc'), 400, 'BAD_REQUEST', 'limit'],
      [request('/api/history?limit=1&limit=2'), 400, 'BAD_REQUEST', 'limit'],
      [request('/api/status?verbose=1'), 400, 'BAD_REQUEST', 'verbose'],
      [request('http://example.com/api/status'), 400, 'BAD_REQUEST', 'url'],
      [request('//example.com/x'), 400, 'BAD_REQUEST', 'url'],
      [request(`/${'a'.repeat(3000)}`), 414, 'URI_TOO_LONG'],
    ];
    for (const [req, status, code, field] of cases) {
      const r = await handle(req);
      expect(r.status, req.url.slice(0, 40)).toBe(status);
      expect(r.headers['content-type']).toBe('application/json; charset=utf-8');
      expect(errorOf(r)).toMatchObject({ code, ...(field === undefined ? {} : { field }) });
      expect(HTTP_ERROR_CODES).toContain(errorOf(r).code);
    }
    expect((await handle(request('/', { method: 'DELETE' }))).headers.allow).toBe('GET, HEAD');
  });

  it('asks for the password when one is set (from local addresses too), and takes it', async () => {
    const s = fakeSources();
    s.passwordValue = 'a long password';
    const handle = createDashboardHandler(s);
    const refused = await handle(request('/api/status', { remoteAddress: '127.0.0.1' }));
    expect(refused.status).toBe(401);
    expect(refused.headers['www-authenticate']).toBe('Basic realm="ame device", charset="UTF-8"');
    expect(errorOf(refused).code).toBe('UNAUTHORIZED');
    expect((await handle(request('/metrics', { headers: { authorization: basic('wrong password') } }))).status).toBe(401);
    // With the password any address and any Host name are fine: the owner chose to open it.
    const remote = await handle(request('/api/status', { remoteAddress: '8.8.8.8', headers: { host: 'box.example.com', authorization: basic('a long password') } }));
    expect(remote.status).toBe(200);
    // The password is a live key: read on every request.
    s.passwordValue = null;
    expect((await handle(request('/api/status'))).status).toBe(200);
  });

  it('answers 500 INTERNAL without details when a source fails, and goes on answering', async () => {
    const s = fakeSources();
    const handle = createDashboardHandler(s);
    s.failure = new Error('secret internals');
    const r = await handle(request('/api/status'));
    expect(r.status).toBe(500);
    expect(errorOf(r)).toEqual({ code: 'INTERNAL', message: 'the dashboard could not answer this request' });
    s.failure = null;
    expect((await handle(request('/api/status'))).status).toBe(200);
  });
});

/** Parses the text exposition strictly enough to catch format mistakes: families, HELP/TYPE, sample lines. */
function parseExposition(text: string): Map<string, { type: string; samples: { labels: string; value: number }[] }> {
  expect(text.endsWith('\n')).toBe(true);
  const families = new Map<string, { type: string; samples: { labels: string; value: number }[] }>();
  let current: string | null = null;
  for (const line of text.trimEnd().split('\n')) {
    const help = /^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) \S.*$/.exec(line);
    if (help) {
      current = help[1]!;
      expect(families.has(current), `${current} declared twice`).toBe(false);
      continue;
    }
    const type = /^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (gauge|counter)$/.exec(line);
    if (type) {
      expect(type[1]).toBe(current);
      families.set(current!, { type: type[2]!, samples: [] });
      continue;
    }
    const sample = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*"(?:,[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\.)*")*\})? (-?[0-9.e+]+)$/.exec(line);
    expect(sample, `bad line: ${line}`).not.toBeNull();
    expect(sample![1]).toBe(current);
    families.get(current!)!.samples.push({ labels: sample![2] ?? '', value: Number(sample![3]) });
  }
  return families;
}

describe('dashboard metrics', () => {
  it('exposes the agent, its node and the process in the Prometheus text format', async () => {
    const handle = createDashboardHandler(fakeSources());
    const r = await handle(request('/metrics'));
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe(METRICS_CONTENT_TYPE);
    const f = parseExposition(r.body.toString());
    const value = (name: string) => f.get(name)?.samples[0]?.value;
    const states = f.get('ame_device_state')!.samples;
    expect(states.filter((s) => s.value === 1)).toEqual([{ labels: '{state="serving"}', value: 1 }]);
    expect(states.map((s) => s.labels)).toContain('{state="degraded"}');
    expect(f.get('ame_device_requests_served_total')).toEqual({ type: 'counter', samples: [{ labels: '', value: 12 }] });
    expect(value('ame_device_balance_micro_abc')).toBe(2_840_000);
    expect(value('ame_device_receipts_held')).toBe(2);
    expect(value('ame_device_unsettled_micro_abc')).toBe(150_000);
    expect(value('ame_device_settled_micro_abc_total')).toBe(3_000_000);
    expect(value('ame_device_healthy')).toBe(1);
    expect(value('process_resident_memory_bytes')).toBe(50_000_000);
    expect(value('process_uptime_seconds')).toBe(12.5);
    // No ledger read yet: its series are absent, not zero.
    expect(f.has('ame_device_uptime_seen')).toBe(false);
    expect(f.has('ame_device_ledger_height')).toBe(false);
  });

  it('leaves out what is unknown before the node runs', () => {
    const text = renderMetrics(agentStatus({ state: { name: 'connecting' }, runtime: null }), null, { rssBytes: 1, uptimeSeconds: 2 });
    const f = parseExposition(text);
    expect([...f.keys()].sort()).toEqual(['ame_device_healthy', 'ame_device_state', 'process_resident_memory_bytes', 'process_uptime_seconds']);
  });

  it('escapes label values', () => {
    // Only state names are labels today; a reason with quotes never becomes one, but the renderer must hold.
    const text = renderMetrics(agentStatus({ state: { name: 'error', reason: 'a "quoted"\nreason' } }), null, { rssBytes: 1, uptimeSeconds: 1 });
    expect(parseExposition(text).get('ame_device_state')!.samples.find((s) => s.value === 1)!.labels).toBe('{state="error"}');
  });
});

describe('dashboard history sampler', () => {
  it('samples every interval on the clock, keeps the newest `capacity`, and leaves no timer after stop', async () => {
    const clock = new ManualClock(0);
    let served = 0;
    let wall = 1_000;
    const sampler = createHistorySampler({
      clock,
      wallNow: () => wall,
      everyMs: 5_000,
      capacity: 3,
      logger: pino({ enabled: false }),
      read: async () => (served === 0 ? null : { served, settled: BigInt(served) * 10n, balance: null }),
    });
    sampler.start();
    const tick = async () => {
      wall += 5_000;
      clock.advance(5_000);
      for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
    };
    await tick(); // no node yet: nothing recorded
    expect(sampler.samples()).toEqual([]);
    for (const n of [1, 2, 3, 4, 5]) {
      served = n;
      await tick();
    }
    expect(sampler.samples().map((s) => s.served)).toEqual([3, 4, 5]);
    expect(sampler.samples().map((s) => s.time)).toEqual([21_000, 26_000, 31_000]);
    expect(sampler.samples()[2]!.settled).toBe(50n);
    await sampler.stop();
    expect(clock.pending()).toBe(0);
    clock.advance(60_000);
    expect(sampler.samples()).toHaveLength(3);
  });

  it('survives a failing read and refuses a bad interval or capacity', async () => {
    const clock = new ManualClock(0);
    let fail = true;
    const sampler = createHistorySampler({
      clock,
      wallNow: () => 0,
      everyMs: 1_000,
      capacity: 10,
      logger: pino({ enabled: false }),
      read: async () => {
        if (fail) throw new Error('node gone');
        return { served: 1, settled: 0n, balance: 0n };
      },
    });
    await sampler.sample();
    fail = false;
    await sampler.sample();
    expect(sampler.samples()).toHaveLength(1);
    const base = { clock, wallNow: () => 0, logger: pino({ enabled: false }), read: async () => null };
    expect(() => createHistorySampler({ ...base, everyMs: 0, capacity: 1 })).toThrow(RangeError);
    expect(() => createHistorySampler({ ...base, everyMs: 1, capacity: 0 })).toThrow(RangeError);
  });
});
