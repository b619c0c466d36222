/**
 * `ame fleet token issue|list|revoke` as a child process against a real controller (embedded broker, registry on
 * disk): an admin issues a token, a device enrols with it at its first MQTT login, the list shows the use, a
 * revoked token lets no further device in, a viewer or operator may list but not issue, and the audit log has
 * each action without the token's secret.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startController, type Controller } from '../../../../fleet/controller/index.ts';
import { issueLoginToken } from '../../../../node/fleetproto/index.ts';
import { runAme } from '../../../support/cli.ts';
import { identity, tryConnect, type Identity } from '../../../support/fleet-mqtt.ts';

let dir: string | undefined;
let c: Controller | undefined;
afterEach(async () => {
  await c?.stop();
  c = undefined;
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

/** A device's first login on the embedded broker: its login token, then the provisioning token. */
async function firstLogin(controller: Controller, who: Identity, provisioningToken: string): Promise<Error | undefined> {
  const password = `${issueLoginToken(who.key, { brokerId: 'ame-fleet', now: Date.now() })}.${provisioningToken}`;
  const { client, error } = await tryConnect(controller.mqttUrl, { clientId: who.id, username: who.id, password });
  await client?.endAsync();
  return error;
}

describe('ame fleet token', () => {
  it('issues a token a device enrols with, lists it, revokes it, and audits each step', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ame-fleet-tokens-'));
    c = await startController({ dataDir: join(dir, 'fleet'), broker: 'embedded', clock: { now: Date.now }, logger: pino({ level: 'silent' }) });
    const admin = c.registry.admins.issueToken({ role: 'admin', label: 'root' }, Date.now()).token;
    const operator = c.registry.admins.issueToken({ role: 'operator', label: 'ci' }, Date.now()).token;
    const env = { AME_FLEET_API: c.apiUrl, AME_FLEET_TOKEN: admin };
    const ame = (args: string[], token = admin) => runAme(['fleet', 'token', ...args], { env: { ...env, AME_FLEET_TOKEN: token } });

    const issued = await ame(['issue', '--ttl', '2h', '--uses', '2', '--group', 'canary', '--tag', 'pi5', '--json']);
    expect(issued.code, issued.stderr).toBe(0);
    const token = JSON.parse(issued.stdout) as { id: string; token: string; maxUses: number; expiresAt: number; groups: string[]; tags: string[] };
    expect(token).toMatchObject({ maxUses: 2, groups: ['canary'], tags: ['pi5'] });
    expect(token.token).toMatch(new RegExp(`^ampt1\\.${token.id}\\.[A-Za-z0-9_-]{43}$`));
    expect(Math.abs(token.expiresAt - (Date.now() + 2 * 3_600_000))).toBeLessThan(60_000);

    const device = identity('cli token device a');
    expect(await firstLogin(c, device, token.token)).toBeUndefined();
    expect(c.registry.devices.get(device.id)).toMatchObject({ groups: ['canary'], tags: ['pi5'] });

    const listed = await ame(['list'], operator);
    expect(listed.code, listed.stderr).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${token.id}  active   1/2 used  expires \\S+  canary,#pi5$`, 'm'));

    const forbidden = await ame(['issue'], operator);
    expect(forbidden.code).toBe(1);
    expect(forbidden.stderr).toContain('FORBIDDEN');
    expect((await ame(['revoke', token.id], operator)).stderr).toContain('FORBIDDEN');

    const revoked = await ame(['revoke', token.id]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toContain(`token ${token.id} revoked`);
    const late = identity('cli token device b');
    expect(await firstLogin(c, late, token.token)).toBeDefined();
    expect(c.registry.devices.get(late.id)).toBeUndefined();
    // The device enrolled before the revocation stays and still logs in with its key alone.
    expect(await firstLogin(c, device, 'x')).toBeUndefined();
    expect(JSON.parse((await ame(['list', '--json'])).stdout)).toMatchObject({ tokens: [{ id: token.id, state: 'expired', uses: 1 }] });

    const unknown = await ame(['revoke', 'AAAAAAAAAAAAAAAAAAAAAA']);
    expect(unknown.stderr).toContain('NOT_FOUND');
    const bad = await ame(['issue', '--ttl', '400d']);
    expect(bad.stderr).toContain('BAD_INPUT');
    expect((await ame(['issue', '--ttl', 'soon'])).code).toBe(2);

    const audit = c.registry.audit.query({});
    expect(audit.entries.filter((e) => e.action.startsWith('token.')).map((e) => [e.actor, e.action, e.target])).toEqual([
      ['token:root', 'token.issue', token.id],
      ['token:root', 'token.revoke', token.id],
    ]);
    expect(JSON.stringify(audit)).not.toContain(token.token.split('.')[2]);
  }, 60_000);
});
