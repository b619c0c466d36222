/**
 * `ame up`'s fleet side: the command key made once and kept in DIR, a bad key file refused by name, the broker
 * admitting a device that proves its own key, and bootstrap.json carrying the broker to `ame device --join`.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { readBootstrap, writeBootstrap } from '../../../../cli/commands/up-bootstrap.ts';
import { FLEET_COMMAND_KEY_FILE, loadOrCreateCommandKey, startUpFleet } from '../../../../cli/commands/up-fleet.ts';
import { toHex } from '../../../../node/crypto/index.ts';
import { issueLoginToken } from '../../../../node/fleetproto/index.ts';
import { closed, identity, tryConnect } from '../../../support/fleet-mqtt.ts';
import { eventually } from '../../../support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-up-fleet-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ame up fleet side', () => {
  it('makes the command key once (mode 0600) and refuses a file that holds no seed', () => {
    const first = loadOrCreateCommandKey(dir);
    expect(toHex(loadOrCreateCommandKey(dir).publicKey.bytes)).toBe(toHex(first.publicKey.bytes));
    expect(statSync(join(dir, FLEET_COMMAND_KEY_FILE)).mode & 0o777).toBe(0o600);
    const bad = mkdtempSync(join(dir, 'bad-'));
    writeFileSync(join(bad, FLEET_COMMAND_KEY_FILE), 'not hex\n');
    expect(() => loadOrCreateCommandKey(bad)).toThrow(expect.objectContaining({ code: 'BAD_INPUT', message: expect.stringContaining(FLEET_COMMAND_KEY_FILE) }));
  });

  it('admits a device that logs in with its own key, lists it online, and tells devices where it is', async () => {
    const fleet = await startUpFleet(dir, 0, pino({ level: 'silent' }));
    try {
      expect(fleet.contact).toEqual({ url: fleet.broker.address.url, brokerId: 'ame-local', commandKey: toHex(loadOrCreateCommandKey(dir).publicKey.bytes) });
      const device = identity('up fleet device');
      const login = (brokerId: string) => ({ clientId: device.id, username: device.id, password: issueLoginToken(device.key, { brokerId, now: Date.now() }) });
      const { client, error } = await tryConnect(fleet.contact.url, login('ame-local'));
      expect(error).toBeUndefined();
      await eventually('online', () => (fleet.online().has(device.id) ? true : undefined));
      client!.end(true);
      await closed(client!);
      await eventually('offline', () => (fleet.online().has(device.id) ? undefined : true));
      // A token for another broker is refused.
      expect((await tryConnect(fleet.contact.url, login('elsewhere'))).error).toBeDefined();

      writeBootstrap(dir, [], [], [], [], fleet.contact);
      expect(readBootstrap(dir).fleet).toEqual(fleet.contact);
      writeBootstrap(dir, []);
      expect(readBootstrap(dir).fleet).toBeUndefined();
    } finally {
      await fleet.broker.stop();
    }
  });
});
