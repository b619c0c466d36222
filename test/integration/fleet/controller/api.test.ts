/** The controller's JSON API over real HTTP: token roles, listings, rollout control with an audit entry. */
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startController, type Controller } from '../../../../fleet/controller/index.ts';
import { identity } from '../../../support/fleet-mqtt.ts';
import { labelledBytes } from '../../../support/seeded.ts';
import { appBundle, tempDir, type TempDir } from '../../../unit/fleet/repository/release-fixtures.ts';

let t: TempDir | undefined;
let c: Controller | undefined;
afterEach(async () => {
  await c?.stop();
  c = undefined;
  t?.cleanup();
});

async function setup() {
  t = tempDir('controller-api');
  c = await startController({ dataDir: join(t.dir, 'fleet'), broker: 'embedded', clock: { now: Date.now }, logger: pino({ level: 'silent' }), random: labelledBytes('api'), schedule: () => () => undefined });
  const devices = [identity('api device 0'), identity('api device 1')];
  devices.forEach((d, i) => c!.registry.enrol({ id: d.id, publicKey: d.key.publicKey.bytes, groups: i === 0 ? ['canary'] : [] }, Date.now()));
  const v1 = c.pushRelease((await appBundle(t.dir, '1.0.0')).bytes);
  const v2 = c.pushRelease((await appBundle(t.dir, '2.0.0')).bytes);
  const viewer = c.registry.admins.issueToken({ role: 'viewer', label: 'dash' }, Date.now()).token;
  const operator = c.registry.admins.issueToken({ role: 'operator', label: 'ci' }, Date.now()).token;
  const call = async (path: string, token: string | undefined, init: RequestInit = {}) => {
    const r = await fetch(new URL(path, c!.apiUrl), { ...init, headers: token ? { Authorization: `Bearer ${token}` } : {} });
    return { status: r.status, body: (await r.json()) as Record<string, unknown> };
  };
  return { c, devices, v1, v2, viewer, operator, call };
}

describe('controller API', () => {
  it('refuses a request without a valid token, and lists devices and releases for a viewer', async () => {
    const s = await setup();
    expect((await s.call('api/devices', undefined)).status).toBe(401);
    expect((await s.call('api/devices', 'amet_nope')).body).toMatchObject({ error: 'UNAUTHORIZED' });
    const canary = await s.call('api/devices?group=canary', s.viewer);
    expect(canary.status).toBe(200);
    expect((canary.body['devices'] as { id: string }[]).map((d) => d.id)).toEqual([s.devices[0]!.id]);
    const releases = await s.call('api/releases', s.viewer);
    expect((releases.body['releases'] as { id: string }[]).map((r) => r.id).sort()).toEqual([s.v1.id, s.v2.id].sort());
    expect((await s.call('api/elsewhere', s.viewer)).status).toBe(404);
  });

  it('shows a rollout’s progress; an operator pauses and aborts it (audited), a viewer may not', async () => {
    const s = await setup();
    s.c.rollouts.start('r1', {
      release: s.v2.id,
      previousRelease: s.v1.id,
      phases: [{ name: 'canary', group: 'canary' }, { name: 'all' }],
      successThreshold: 1,
      failureBudget: 0,
      concurrency: 5,
      ratePerMinute: 100,
      timeoutMs: 60_000,
    });
    const progress = await s.call('api/rollouts/r1', s.viewer);
    expect(progress.body).toMatchObject({ id: 'r1', state: 'running', phase: 'canary', inFlight: 1 });
    expect(((await s.call('api/rollouts', s.viewer)).body['rollouts'] as unknown[])[0]).not.toHaveProperty('state');
    expect((await s.call('api/rollouts/r1/pause', s.viewer, { method: 'POST' })).status).toBe(403);
    expect((await s.call('api/rollouts/r1/pause', s.operator, { method: 'POST' })).body).toMatchObject({ state: 'paused' });
    expect((await s.call('api/rollouts/r1/pause', s.operator, { method: 'POST' })).status).toBe(409);
    const aborted = await s.call('api/rollouts/r1/abort', s.operator, { method: 'POST', body: JSON.stringify({ reason: 'bad metrics' }) });
    expect(aborted.body).toMatchObject({ state: 'aborted', abort: { code: 'manual', reason: 'bad metrics' } });
    expect((await s.call('api/rollouts/nope', s.viewer)).status).toBe(404);
    const audit = s.c.registry.audit.query({ action: 'rollout.abort' }).entries;
    expect(audit.map((e) => [e.actor, e.target, e.detail])).toEqual([['token:ci', 'r1', { reason: 'bad metrics' }]]);
  });

  it('takes a pushed bundle and a new rollout from an operator (audited), refuses them from a viewer and refuses bad ones', async () => {
    const s = await setup();
    const bundle = (await appBundle(t!.dir, '3.0.0')).bytes;
    const post = (path: string, token: string, body: Uint8Array | string) => s.call(path, token, { method: 'POST', body });
    expect((await post('api/releases', s.viewer, bundle)).status).toBe(403);
    const pushed = await post('api/releases', s.operator, bundle);
    expect(pushed.status).toBe(201);
    expect(pushed.body).toMatchObject({ target: expect.stringContaining('3.0.0') });
    expect(s.c.registry.releases.list().map((r) => r.id)).toContain(pushed.body['id']);
    const junk = await post('api/releases', s.operator, new Uint8Array([1, 2, 3]));
    expect(junk).toMatchObject({ status: 400, body: { error: 'BAD_INPUT' } });

    const plan = { release: pushed.body['id'], previousRelease: s.v1.id, phases: [{ name: 'all' }], successThreshold: 1, failureBudget: 0, concurrency: 2, ratePerMinute: 60, timeoutMs: 60_000 };
    expect((await post('api/rollouts', s.viewer, JSON.stringify({ id: 'r3', plan }))).status).toBe(403);
    const started = await post('api/rollouts', s.operator, JSON.stringify({ id: 'r3', plan }));
    expect(started).toMatchObject({ status: 201, body: { id: 'r3', state: 'running' } });
    const badPlan = await post('api/rollouts', s.operator, JSON.stringify({ id: 'r4', plan: { ...plan, concurrency: 0 } }));
    expect(badPlan.status).toBe(400);
    expect((await post('api/rollouts', s.operator, '{"id": 5}')).body).toMatchObject({ error: 'BAD_INPUT' });
    expect(s.c.registry.audit.query({}).entries.map((e) => e.action)).toEqual(expect.arrayContaining(['release.push', 'rollout.start']));
  });

  it('shows one device with its lock, the groups, the active locks and the audit log to a viewer', async () => {
    const s = await setup();
    const [canary, other] = s.devices as [(typeof s.devices)[0], (typeof s.devices)[0]];
    const now = Date.now();
    s.c.registry.locks.lock(other.id, 'app', 'recording', now + 60_000, now);
    s.c.registry.audit.append('ops', 'note', 'x', { n: 1 }, now);
    s.c.registry.audit.append('ada', 'note', 'y', null, now);
    const one = await s.call(`api/devices/${encodeURIComponent(other.id)}`, s.viewer);
    expect(one.body).toMatchObject({ device: { id: other.id, groups: [] }, lock: { holder: 'app', reason: 'recording' } });
    expect((await s.call(`api/devices/${encodeURIComponent(canary.id)}`, s.viewer)).body).toMatchObject({ device: { id: canary.id }, lock: null });
    expect((await s.call('api/devices/12D3KooWnope', s.viewer)).status).toBe(404);
    expect((await s.call('api/groups', s.viewer)).body).toEqual({ groups: [{ name: 'canary', devices: 1 }] });
    expect(((await s.call('api/locks', s.viewer)).body['locks'] as { device: string }[]).map((l) => l.device)).toEqual([other.id]);
    const audit = await s.call('api/audit?actor=ops', s.viewer);
    expect(audit.body).toMatchObject({ entries: [{ actor: 'ops', action: 'note', target: 'x', detail: { n: 1 } }], next: null });
    const paged = await s.call('api/audit?action=note&limit=1', s.viewer);
    expect((paged.body['entries'] as unknown[]).length).toBe(1);
    expect(paged.body['next']).toEqual(expect.any(Number));
    expect((await s.call('api/audit?limit=zero', s.viewer)).body).toMatchObject({ error: 'BAD_INPUT' });
    expect(((await s.call('api/devices?limit=1', s.viewer)).body['devices'] as unknown[]).length).toBe(1);
  });

  it('serves Prometheus metrics to a token holder, read from the registry', async () => {
    const s = await setup();
    const metrics = async (token: string | undefined) => {
      const r = await fetch(new URL('/metrics', s.c.apiUrl), { headers: token ? { Authorization: `Bearer ${token}` } : {} });
      return { status: r.status, type: r.headers.get('content-type'), text: await r.text() };
    };
    expect((await metrics(undefined)).status).toBe(401);
    const m = await metrics(s.viewer);
    expect(m).toMatchObject({ status: 200, type: expect.stringContaining('text/plain; version=0.0.4') });
    expect(m.text).toContain('ame_fleet_devices{state="offline"} 2');
    expect(m.text).toContain('ame_fleet_releases 2');
    s.c.registry.devices.revoke(s.devices[1]!.id, Date.now());
    expect((await metrics(s.viewer)).text).toContain('ame_fleet_devices{state="revoked"} 1');
  });
});

