/**
 * `ame up`'s fleet side: the fleet controller in DIR/fleet, an older folder's command key adopted (a bad one refused
 * by name), devices enrolled at their first login with the start's provisioning token (into group `local`) and
 * refused without it, bootstrap.json carrying broker, command key and token to `ame device --join`, and the admin's
 * API contact kept across restarts.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { readBootstrap, writeBootstrap } from '../../../../cli/commands/up-bootstrap.ts';
import { FLEET_COMMAND_KEY_FILE, startUpFleet } from '../../../../cli/commands/up-fleet.ts';
import { Ed25519KeyPair, toHex } from '../../../../node/crypto/index.ts';
import { issueLoginToken } from '../../../../node/fleetproto/index.ts';
import { closed, identity, tryConnect } from '../../../support/fleet-mqtt.ts';
import { eventually } from '../../../support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-up-fleet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const silent = pino({ level: 'silent' });

describe('ame up fleet side', () => {
  it('adopts the command key of an older folder, and refuses a key file that holds no seed', async () => {
    const old = mkdtempSync(join(dir, 'old-'));
    const seed = new Uint8Array(32).fill(9);
    writeFileSync(join(old, FLEET_COMMAND_KEY_FILE), `${toHex(seed)}\n`, { mode: 0o600 });
    const fleet = await startUpFleet(old, 0, silent);
    try {
      expect(fleet.contact.commandKey).toBe(toHex(Ed25519KeyPair.fromSeed(seed).publicKey.bytes));
    } finally {
      await fleet.controller.stop();
    }
    const bad = mkdtempSync(join(dir, 'bad-'));
    writeFileSync(join(bad, FLEET_COMMAND_KEY_FILE), 'not hex\n');
    await expect(startUpFleet(bad, 0, silent)).rejects.toMatchObject({ code: 'BAD_INPUT', message: expect.stringContaining(FLEET_COMMAND_KEY_FILE) });
  });

  it('enrols a device presenting the provisioning token, refuses one without, and tells devices where it all is', async () => {
    const fleet = await startUpFleet(dir, 0, silent);
    let api: { url: string; token: string };
    try {
      const { contact } = fleet;
      expect(contact).toMatchObject({ url: fleet.controller.mqttUrl, brokerId: 'ame-local', commandKey: toHex(fleet.controller.commandKey.publicKey.bytes), provisioningToken: expect.stringMatching(/^ampt1\./) });
      const device = identity('up fleet device');
      const login = (brokerId: string, token?: string) => ({
        clientId: device.id,
        username: device.id,
        password: [issueLoginToken(device.key, { brokerId, now: Date.now() }), ...(token === undefined ? [] : [token])].join('.'),
      });
      expect((await tryConnect(contact.url, login('ame-local'))).error).toBeDefined();
      const { client, error } = await tryConnect(contact.url, login('ame-local', contact.provisioningToken));
      expect(error).toBeUndefined();
      await eventually('online', () => (fleet.online().has(device.id) ? true : undefined));
      expect(fleet.controller.registry.devices.get(device.id)).toMatchObject({ id: device.id, groups: ['local'] });
      client!.end(true);
      await closed(client!);
      await eventually('offline', () => (fleet.online().has(device.id) ? undefined : true));
      // A token for another broker is refused.
      expect((await tryConnect(contact.url, login('elsewhere', contact.provisioningToken))).error).toBeDefined();

      writeBootstrap(dir, [], [], [], [], contact);
      expect(readBootstrap(dir).fleet).toEqual(contact);
      writeBootstrap(dir, []);
      expect(readBootstrap(dir).fleet).toBeUndefined();
      api = JSON.parse(readFileSync(join(dir, 'fleet', 'api.json'), 'utf8'));
      const devices = await fetch(new URL('api/devices', api.url), { headers: { Authorization: `Bearer ${api.token}` } });
      expect(((await devices.json()) as { devices: { id: string }[] }).devices.map((d) => d.id)).toEqual([device.id]);
    } finally {
      await fleet.controller.stop();
    }
    // A restart keeps the keys, the enrolled device and the admin token.
    const again = await startUpFleet(dir, 0, silent);
    try {
      expect(again.contact.commandKey).toBe(fleet.contact.commandKey);
      expect(JSON.parse(readFileSync(join(dir, 'fleet', 'api.json'), 'utf8')).token).toBe(api.token);
      expect(again.controller.registry.devices.get(identity('up fleet device').id)).toBeDefined();
    } finally {
      await again.controller.stop();
    }
  });
});
