/** The balenaCloud backend through the real balena-sdk 23 over HTTP, against the local balena API server. */
import { getSdk } from 'balena-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_STATUS_TAG, createBalenaBackend, GROUPS_TAG, type BalenaBackend } from '../../../../fleet/balena/index.ts';
import { startBalenaApi, type BalenaApi } from '../../../support/balena-api.ts';

const OLD = 'a'.repeat(40);
const NEW = 'b'.repeat(40);
const TOKEN = 'balena-test-token';
const FLEET = 'ame/fleet';
const D1 = '1'.repeat(32);
const D2 = '2'.repeat(32);
const D3 = '3'.repeat(32);

let api: BalenaApi | undefined;

afterEach(async () => {
  await api?.close();
  api = undefined;
});

async function rig(token = TOKEN): Promise<{ api: BalenaApi; backend: BalenaBackend }> {
  api = await startBalenaApi({
    token: TOKEN,
    fleet: { slug: FLEET, pinned: OLD },
    releases: [OLD, NEW],
    devices: [
      { uuid: D1, name: 'one', running: OLD, tags: { [GROUPS_TAG]: 'canary, lab,,bad group' } },
      { uuid: D2, name: 'two', running: OLD, tags: { [AGENT_STATUS_TAG]: `failed ${NEW}` } },
      { uuid: D3, name: 'three', running: OLD, online: false, tags: { [AGENT_STATUS_TAG]: 'not a verdict' } },
    ],
  });
  const sdk = getSdk({ apiUrl: api.url, dataDirectory: false });
  await sdk.auth.loginWithToken(token);
  return { api, backend: createBalenaBackend({ sdk, fleet: FLEET }) };
}

describe('balena backend over balena-sdk', () => {
  it('reads every device: release, pin, online, overall status, groups and the agent verdict', async () => {
    const { api, backend } = await rig();
    await backend.pinDevices([D2], NEW);
    const status = await backend.deviceStatus();
    expect(status).toEqual([
      { uuid: D1, name: 'one', online: true, overallStatus: 'idle', running: OLD, pinned: null, groups: ['canary', 'lab'], agent: null },
      { uuid: D2, name: 'two', online: true, overallStatus: 'updating', running: OLD, pinned: NEW, groups: [], agent: { status: 'failed', release: NEW } },
      { uuid: D3, name: 'three', online: false, overallStatus: 'offline', running: OLD, pinned: null, groups: [], agent: null },
    ]);
    expect(api.unsupported()).toEqual([]);
  });

  it('pins devices and the fleet, unpins devices, and reads the fleet target', async () => {
    const { api, backend } = await rig();
    expect(await backend.fleetTarget()).toEqual({ release: OLD, tracksLatest: false });
    await backend.pinDevices([D1, D2], NEW);
    expect(api.device(D1)).toMatchObject({ pinned: NEW, target: NEW });
    expect(api.device(D3)).toMatchObject({ pinned: null, target: OLD });
    await backend.pinFleet(NEW);
    await backend.unpinDevices([D1]);
    expect(api.device(D1)).toMatchObject({ pinned: null, target: NEW });
    expect(api.device(D3).target).toBe(NEW);
    expect(await backend.fleetTarget()).toEqual({ release: NEW, tracksLatest: false });
    // One PATCH for both devices: pins of one release go out as one call.
    const devicePatches = api.requests().filter((r) => r.method === 'PATCH' && r.resource === 'device');
    expect(devicePatches.map((r) => [...r.devices].sort())).toEqual([[D1, D2], [D1]]);
    expect(api.unsupported()).toEqual([]);
  });

  it('sets device and fleet variables, creating then updating them', async () => {
    const { api, backend } = await rig();
    await backend.setDeviceVar(D1, 'AME_LOG_LEVEL', 'debug');
    await backend.setDeviceVar(D1, 'AME_LOG_LEVEL', 'info');
    await backend.setFleetVar('AME_MQTT_URL', 'mqtt://fleet.example:1883');
    expect(api.device(D1).env).toEqual({ AME_LOG_LEVEL: 'info' });
    expect(api.device(D2).env).toEqual({});
    expect(api.fleet().env).toEqual({ AME_MQTT_URL: 'mqtt://fleet.example:1883' });
    expect(api.unsupported()).toEqual([]);
  });

  it('refuses malformed arguments before any request', async () => {
    const { api, backend } = await rig();
    const before = api.requests().length;
    await expect(backend.pinDevices(['nope'], NEW)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('"nope"') });
    await expect(backend.pinDevices([D1], 'main')).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('"main"') });
    await expect(backend.pinFleet('')).rejects.toMatchObject({ code: 'BAD_INPUT' });
    await expect(backend.setDeviceVar(D1, '1BAD', 'x')).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining('1BAD') });
    await expect(backend.setFleetVar('OK', 'x'.repeat(16 * 1024 + 1))).rejects.toMatchObject({ code: 'BAD_INPUT' });
    expect(api.requests()).toHaveLength(before);
  });

  it('turns refusals of the API into API_FAILED naming the call: a wrong token, an unknown release or device', async () => {
    const { backend } = await rig('not-the-token');
    const error = await backend.deviceStatus().catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'API_FAILED', message: expect.stringContaining('listing the devices of ame/fleet') });
    expect((error as Error).cause).toBeInstanceOf(Error);
    await api?.close();
    const good = await rig();
    await expect(good.backend.pinDevices([D1], 'c'.repeat(40))).rejects.toMatchObject({ code: 'API_FAILED', message: expect.stringContaining('c'.repeat(40)) });
    await expect(good.backend.pinFleet('c'.repeat(40))).rejects.toMatchObject({ code: 'API_FAILED' });
    await expect(good.backend.pinDevices(['f'.repeat(32)], NEW)).rejects.toMatchObject({ code: 'API_FAILED' });
    expect(good.api.device(D1).pinned).toBeNull();
    expect(good.api.fleet().pinned).toBe(OLD);
  });
});

describe('the local balena API server', () => {
  it('answers 400 to a filter it cannot parse and 501 to what it does not serve, and records both', async () => {
    const { api } = await rig();
    const get = (path: string, token = TOKEN) => fetch(new URL(path, api.url), { headers: { authorization: `Bearer ${token}` } });
    expect((await get("v7/device?$filter=uuid eq 'x")).status).toBe(400);
    expect((await get('v7/device?$filter=uuid has 1')).status).toBe(400);
    expect((await get('v7/device?$format=json')).status).toBe(400);
    expect((await get('v7/service')).status).toBe(501);
    expect((await get('v7/device', 'wrong')).status).toBe(401);
    const ok = await get(`v7/device(uuid='${D1}')?$select=device_name`);
    expect(await ok.json()).toEqual({ d: [{ device_name: 'one' }] });
    expect(api.unsupported().map((r) => r.status)).toEqual([400, 400, 400, 501]);
  });
});
