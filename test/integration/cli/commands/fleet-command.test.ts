/**
 * `ame fleet command DEVICE NAME` against a real controller and a real device telemetry client on its embedded
 * broker: the command is signed, delivered, run by the device's handler and its answer printed; a handler's
 * refusal exits 1 with its code; a device that does not answer is NO_ANSWER after --timeout; a viewer may not send,
 * an unknown device is NOT_FOUND, and every command sent is in the audit log.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { createTelemetryClient, type TelemetryClient } from '../../../../device/telemetry/index.ts';
import { startController } from '../../../../fleet/controller/index.ts';
import { ameInProcess } from '../../../support/cli-in-process.ts';
import { identity } from '../../../support/fleet-mqtt.ts';
import { eventually } from '../../../support/wait.ts';

const cleanup: (() => Promise<unknown> | unknown)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

const ame = (...args: string[]) => ameInProcess(args);

describe('ame fleet command', () => {
  it('sends a signed command, prints the device’s answer, and refuses what it must', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ame-fleet-command-'));
    cleanup.push(() => rmSync(dir, { recursive: true, force: true }));
    const c = await startController({ dataDir: join(dir, 'fleet'), broker: 'embedded', clock: { now: Date.now }, logger: pino({ level: 'silent' }) });
    cleanup.push(() => c.stop());
    const token = await c.enrolment.issueToken({ lifetimeMs: 60_000 });
    const device = identity('command device');
    mkdirSync(join(dir, 'device'));
    const seen: string[] = [];
    const client: TelemetryClient = createTelemetryClient({
      url: c.mqttUrl,
      brokerId: 'ame-fleet',
      nodeKey: device.key,
      commandKey: c.commandKey.publicKey,
      storePath: join(dir, 'device', 'telemetry.sqlite'),
      provisioningToken: token.text,
      onCommand: (command) => {
        seen.push(command.name);
        if (command.name === 'identify') throw new Error('no LED on this board');
        return command.name === 'status' ? { state: 'serving', peers: 3 } : undefined;
      },
      onDesired: () => undefined,
      reconnect: { minDelayMs: 100, maxDelayMs: 1_000 },
    });
    await client.start();
    cleanup.push(() => client.stop());
    await eventually('the device enrolled', () => (c.registry.devices.get(device.id) !== undefined ? true : undefined), 15_000);

    const operator = c.registry.admins.issueToken({ role: 'operator', label: 'ops' }, Date.now()).token;
    const viewer = c.registry.admins.issueToken({ role: 'viewer', label: 'eyes' }, Date.now()).token;
    const as = (t: string) => ['--api', c.apiUrl, '--token', t];

    const status = await ame('fleet', 'command', device.id, 'status', '--json', ...as(operator));
    expect(status.code, status.stderr).toBe(0);
    expect(JSON.parse(status.stdout)).toMatchObject({ kind: 'cmd', ok: true, detail: { state: 'serving', peers: 3 } });
    const reload = await ame('fleet', 'command', device.id, 'reload-config', ...as(operator));
    expect([reload.code, reload.stdout.trim()]).toEqual([0, `${device.id} reload-config: ok`]);
    const identify = await ame('fleet', 'command', device.id, 'identify', ...as(operator));
    expect(identify.code).toBe(1);
    expect(identify.stdout).toContain(`${device.id} refused identify: FAILED (no LED on this board)`);
    expect(seen).toEqual(['status', 'reload-config', 'identify']);

    const forbidden = await ame('fleet', 'command', device.id, 'status', ...as(viewer));
    expect(forbidden.code).not.toBe(0);
    expect(forbidden.stderr).toContain('FORBIDDEN');
    const unknown = await ame('fleet', 'command', identity('nobody').id, 'status', ...as(operator));
    expect(unknown.stderr).toContain('NOT_FOUND');
    const badName = await ame('fleet', 'command', device.id, 'mqtt-credentials', ...as(operator));
    expect(badName.stderr).toContain('name must be one of identify, status, reload-config');
    expect(seen).toHaveLength(3); // nothing refused by the controller reached the device

    await client.stop();
    const t0 = Date.now();
    const silent = await ame('fleet', 'command', device.id, 'status', '--timeout', '0.5', ...as(operator));
    expect(silent.code).not.toBe(0);
    expect(silent.stderr).toContain('NO_ANSWER');
    expect(Date.now() - t0).toBeLessThan(10_000);
    const audited = c.registry.audit.query({ action: 'device.command' }).entries.map((e) => [e.actor, e.target]);
    expect(audited).toEqual(Array.from({ length: 4 }, () => ['token:ops', device.id]));
  }, 60_000);
});
