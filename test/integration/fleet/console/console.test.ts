/**
 * The console's login, sessions and CSRF over real HTTP (the controller's API server, a registry on disk), without
 * a browser: what a browser would send, and what a forger would.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SESSION_COOKIE } from '../../../../fleet/console/index.ts';
import { startController, type Controller } from '../../../../fleet/controller/index.ts';
import { identity } from '../../../support/fleet-mqtt.ts';
import { labelledBytes } from '../../../support/seeded.ts';
import { appBundle, tempDir, type TempDir } from '../../../unit/fleet/repository/release-fixtures.ts';

const PASSWORD = 'a long enough password';
let t: TempDir | undefined;
let c: Controller | undefined;
afterEach(async () => {
  await c?.stop();
  c = undefined;
  t?.cleanup();
});

interface Answer {
  readonly status: number;
  readonly body: Record<string, unknown>;
  readonly cookie: string | null;
}

async function setup() {
  t = tempDir('console');
  let time = Date.now();
  const clock = { now: () => time, advance: (ms: number) => void (time += ms) };
  c = await startController({ dataDir: join(t.dir, 'fleet'), broker: 'embedded', clock, logger: pino({ level: 'silent' }), random: labelledBytes('console http'), schedule: () => () => undefined });
  for (const [name, role] of [['ada', 'admin'], ['olga', 'operator'], ['vic', 'viewer']] as const) c.registry.admins.create(name, PASSWORD, role, time);
  const device = identity('console http device');
  c.registry.enrol({ id: device.id, publicKey: device.key.publicKey.bytes, groups: ['canary'] }, time);
  const v1 = c.pushRelease((await appBundle(t.dir, '1.0.0')).bytes);
  const v2 = c.pushRelease((await appBundle(t.dir, '2.0.0')).bytes);
  c.rollouts.start('r1', { release: v2.id, previousRelease: v1.id, phases: [{ name: 'all' }], successThreshold: 1, failureBudget: 0, concurrency: 1, ratePerMinute: 60, timeoutMs: 3_600_000 });
  const host = new URL(c.apiUrl).host;
  const call = async (path: string, init: { method?: string; body?: string; headers?: Record<string, string> } = {}): Promise<Answer> => {
    const r = await fetch(new URL(path, c!.apiUrl), { redirect: 'manual', ...init });
    const text = await r.text();
    return { status: r.status, body: text.startsWith('{') ? (JSON.parse(text) as Record<string, unknown>) : { text }, cookie: r.headers.get('set-cookie') };
  };
  const login = (username: string, password = PASSWORD, headers: Record<string, string> = {}) =>
    call('console/login', { method: 'POST', body: JSON.stringify({ username, password }), headers: { 'Content-Type': 'application/json', Origin: `http://${host}`, ...headers } });
  /** A logged-in session: its cookie header and CSRF token. */
  const session = async (username: string) => {
    const answer = await login(username);
    expect(answer.status).toBe(200);
    return { cookie: answer.cookie!.split(';')[0]!, csrf: answer.body['csrf'] as string };
  };
  return { c, clock, host, call, login, session, device };
}

describe('console login and sessions', () => {
  it('refuses a wrong password or an unknown account alike (401, audited), and logs in with a protected cookie', async () => {
    const s = await setup();
    for (const [name, password] of [['ada', 'wrong password!'], ['nobody', PASSWORD], ['<b>x</b>', PASSWORD]] as const) {
      const refused = await s.login(name, password);
      expect(refused).toMatchObject({ status: 401, body: { error: 'UNAUTHORIZED', message: 'wrong username or password' }, cookie: null });
    }
    const failed = s.c.registry.audit.query({ action: 'console.login-failed' }).entries;
    expect(failed.map((e) => e.actor)).toEqual(['ada', 'nobody', '(not a username)']);
    expect(failed[0]!.detail).toEqual({ remote: expect.stringMatching(/127\.0\.0\.1/) });

    const ok = await s.login('ada');
    expect(ok.status).toBe(200);
    expect(ok.body).toMatchObject({ username: 'ada', role: 'admin', csrf: expect.stringMatching(/^[A-Za-z0-9_-]{43}$/) });
    expect(ok.cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[A-Za-z0-9_-]{43}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200$`));
    expect(s.c.registry.audit.query({ action: 'console.login' }).entries.map((e) => e.actor)).toEqual(['ada']);
    const cookie = ok.cookie!.split(';')[0]!;
    expect((await s.call('console/session', { headers: { cookie } })).body).toMatchObject({ username: 'ada', role: 'admin', csrf: ok.body['csrf'] });
    expect((await s.call('api/devices', { headers: { cookie } })).status).toBe(200);
  });

  it('makes a username wait after 5 failed logins from one address, even with the right password, for 15 minutes', async () => {
    const s = await setup();
    for (let i = 0; i < 5; i++) expect((await s.login('ada', `wrong password ${i}`)).status).toBe(401);
    expect(await s.login('ada')).toMatchObject({ status: 429, body: { error: 'TOO_MANY_ATTEMPTS', message: expect.stringMatching(/try again in 900 s/) } });
    expect((await s.login('olga')).status).toBe(200);
    expect(s.c.registry.audit.query({ action: 'console.login-failed' }).entries.length).toBe(5);
    s.clock.advance(15 * 60_000);
    expect((await s.login('ada')).status).toBe(200);
  });

  it('refuses a login from another origin or as a form post (no CSRF into someone else’s login)', async () => {
    const s = await setup();
    expect((await s.login('ada', PASSWORD, { Origin: 'http://evil.example' })).status).toBe(403);
    expect((await s.login('ada', PASSWORD, { Origin: 'null' })).status).toBe(403);
    const form = await s.call('console/login', { method: 'POST', body: `username=ada&password=${encodeURIComponent(PASSWORD)}`, headers: { 'Content-Type': 'application/x-www-form-urlencoded' } });
    expect(form).toMatchObject({ status: 400, body: { error: 'BAD_INPUT' } });
    expect((await s.call('console/login', { method: 'POST', body: '[1]', headers: { 'Content-Type': 'application/json' } })).status).toBe(400);
    expect(s.c.registry.audit.query({ action: 'console.login' }).entries).toEqual([]);
  });

  it('needs the session’s CSRF token (and its origin) for every change; roles as for tokens; actions audited by username', async () => {
    const s = await setup();
    const olga = await s.session('olga');
    const vic = await s.session('vic');
    const post = (path: string, who: { cookie: string }, headers: Record<string, string> = {}) =>
      s.call(path, { method: 'POST', body: '{}', headers: { cookie: who.cookie, 'Content-Type': 'application/json', ...headers } });
    expect((await post('api/rollouts/r1/pause', olga)).status).toBe(403);
    expect((await post('api/rollouts/r1/pause', olga, { 'X-CSRF-Token': vic.csrf })).status).toBe(403);
    expect((await post('api/rollouts/r1/pause', olga, { 'X-CSRF-Token': olga.csrf, Origin: 'http://evil.example' })).status).toBe(403);
    expect((await post('api/rollouts/r1/pause', vic, { 'X-CSRF-Token': vic.csrf })).body).toMatchObject({ error: 'FORBIDDEN', message: 'a viewer cannot change a rollout' });
    expect(s.c.rollouts.progress('r1').state).toBe('running');
    expect((await post('api/rollouts/r1/pause', olga, { 'X-CSRF-Token': olga.csrf, Origin: `http://${s.host}` })).body).toMatchObject({ state: 'paused' });
    const abort = await s.call('api/rollouts/r1/abort', { method: 'POST', body: '{}', headers: { cookie: olga.cookie, 'X-CSRF-Token': olga.csrf } });
    expect(abort.body).toMatchObject({ state: 'aborted', abort: { reason: 'aborted by olga' } });
    const audit = s.c.registry.audit.query({ actor: 'olga' }).entries.map((e) => [e.action, e.target]);
    expect(audit).toEqual([['console.login', null], ['rollout.pause', 'r1'], ['rollout.abort', 'r1']]);
  });

  it('follows the account: a role taken away or an account removed counts at the next request', async () => {
    const s = await setup();
    const olga = await s.session('olga');
    const headers = { cookie: olga.cookie, 'X-CSRF-Token': olga.csrf };
    s.c.registry.admins.setRole('olga', 'viewer');
    expect((await s.call('api/rollouts/r1/pause', { method: 'POST', headers })).status).toBe(403);
    expect((await s.call('console/session', { headers })).body).toMatchObject({ role: 'viewer' });
    s.c.registry.admins.remove('olga');
    expect((await s.call('api/devices', { headers })).body).toMatchObject({ error: 'UNAUTHORIZED', message: 'account olga no longer exists' });
  });

  it('ends a session after 30 idle minutes and at logout (CSRF-checked, audited); an API token works beside sessions', async () => {
    const s = await setup();
    const ada = await s.session('ada');
    s.clock.advance(29 * 60_000);
    expect((await s.call('api/devices', { headers: { cookie: ada.cookie } })).status).toBe(200);
    s.clock.advance(30 * 60_000);
    const expired = await s.call('api/devices', { headers: { cookie: ada.cookie } });
    expect(expired).toMatchObject({ status: 401, body: { error: 'UNAUTHORIZED' } });
    const gone = await s.call('console/session', { headers: { cookie: ada.cookie } });
    expect(gone.status).toBe(401);
    expect(gone.cookie).toContain('Max-Age=0');

    const again = await s.session('ada');
    expect((await s.call('console/logout', { method: 'POST', headers: { cookie: again.cookie } })).status).toBe(403);
    const out = await s.call('console/logout', { method: 'POST', headers: { cookie: again.cookie, 'X-CSRF-Token': again.csrf } });
    expect(out.status).toBe(204);
    expect(out.cookie).toMatch(new RegExp(`^${SESSION_COOKIE}=; .*Max-Age=0`));
    expect((await s.call('api/devices', { headers: { cookie: again.cookie } })).status).toBe(401);
    expect(s.c.registry.audit.query({ action: 'console.logout' }).entries.map((e) => e.actor)).toEqual(['ada']);

    const token = s.c.registry.admins.issueToken({ role: 'viewer', label: 'cli' }, s.clock.now()).token;
    const withBoth = await s.call('api/devices', { headers: { cookie: again.cookie, Authorization: `Bearer ${token}` } });
    expect(withBoth.status).toBe(200); // an Authorization header decides; a stale cookie beside it does not matter
  });

  it('serves the page under a strict CSP, its script and stylesheet, and nothing else under /console/', async () => {
    const s = await setup();
    const page = await fetch(new URL('console/', s.c.apiUrl));
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe');
    const html = await page.text();
    expect(html).toContain('<script src="console.js" defer></script>');
    expect(html).not.toMatch(/<script>|\sstyle="|\son[a-z]+="/); // no inline script, style or handler
    const script = await fetch(new URL('console/console.js', s.c.apiUrl));
    expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
    expect(await script.text()).not.toContain('innerHTML');
    expect((await fetch(new URL('console/console.css', s.c.apiUrl))).headers.get('content-type')).toMatch(/^text\/css/);
    expect((await s.call('')).status).toBe(302);
    expect((await s.call('console/nothing')).status).toBe(404);
    expect((await s.call('console/', { method: 'POST' })).status).toBe(404);
    expect((await s.call('api/devices')).status).toBe(401);
  });
});
