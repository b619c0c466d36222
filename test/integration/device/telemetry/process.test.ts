/**
 * The device client as a real process that is killed with SIGKILL: the broker publishes its last will
 * (`online=false`), and what it queued before dying — even while no broker was reachable — is delivered in order
 * by the next process on the same store, which also still refuses a command the dead one had already accepted.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createFleetBroker, type FleetBroker } from '../../../../fleet/broker/index.ts';
import { decodeCommandResult, deviceTopics, signCommand } from '../../../../node/fleetproto/index.ts';
import { Enrolment, identity, keyOf, Watcher } from '../../../support/fleet-mqtt.ts';
import { spawnDevice, type DeviceProcess } from '../../../support/telemetry-process.ts';

const BROKER_ID = 'process-test';
const controller = identity('process controller');
const commandKey = keyOf('process command key');
const dir = mkdtempSync(join(tmpdir(), 'ame-telemetry-process-'));
const devices = new Enrolment();
const processes: DeviceProcess[] = [];
const cleanup: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const p of processes.splice(0)) await p.kill();
  for (const c of cleanup.splice(0).reverse()) await c();
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startBroker(port = 0): Promise<{ broker: FleetBroker; watcher: Watcher }> {
  const broker = createFleetBroker({ brokerId: BROKER_ID, port, devices, controllers: new Enrolment(controller) });
  await broker.start();
  const watcher = await Watcher.open(broker.address.url, ['ame/v1/devices/#'], { as: controller, brokerId: BROKER_ID });
  cleanup.push(async () => {
    await watcher.close();
    await broker.stop();
  });
  return { broker, watcher };
}

function device(label: string, url: string): DeviceProcess {
  const id = identity(label);
  devices.enrol(id);
  const storePath = join(dir, `${label}.sqlite`);
  const p = spawnDevice({ url, brokerId: BROKER_ID, key: id.key, commandKey: commandKey.publicKey.bytes, storePath });
  processes.push(p);
  return p;
}

describe('a device process that dies', () => {
  it('leaves online=false behind through its last will', async () => {
    const { broker, watcher } = await startBroker();
    const t = deviceTopics(identity('will device').id);
    const p = device('will device', broker.address.url);
    await p.line(/^status connected$/);
    await watcher.next(t.online, (m) => m.text === 'true');
    const mark = watcher.received.length;
    await p.kill('SIGKILL');
    const will = await watcher.next(t.online, () => true, 10_000, mark);
    expect(will.text).toBe('false');
    expect(will.retain).toBe(false); // delivered live; the broker also keeps it retained:
    const lateLogin = { as: controller, brokerId: BROKER_ID, clientSuffix: 'late' };
    const late = await Watcher.open(broker.address.url, [t.online], lateLogin);
    cleanup.push(() => late.close());
    expect(await late.next(t.online)).toMatchObject({ text: 'false', retain: true });
  });

  it('loses nothing it queued while the broker was down, and its successor sends it in order', async () => {
    // A port with no broker on it: take one, then free it.
    const probe = createFleetBroker({ brokerId: BROKER_ID, devices });
    const port = (await probe.start()).port;
    await probe.stop();
    const url = `mqtt://127.0.0.1:${port}`;
    const id = identity('outage process');
    const t = deviceTopics(id.id);

    const first = device('outage process', url);
    await first.line(/^started$/);
    for (let i = 1; i <= 10; i++) {
      first.send(`event outage-${i}`);
      await first.line(/^queued \d+$/);
    }
    first.send('state {"agent":"connecting"}');
    await first.line(/^queued \d+$/);
    await first.kill('SIGKILL');
    expect(first.stderr()).toBe('');

    const { watcher } = await startBroker(port);
    const second = device('outage process', url);
    await second.line(/^status connected$/);
    await watcher.next(t.state, () => true, 15_000);
    const events = watcher.on(t.events).map((m) => JSON.parse(m.text) as { type: string; msgId: number });
    expect(events.map((e) => e.type)).toEqual(Array.from({ length: 10 }, (_, i) => `outage-${i + 1}`));
    expect(events.map((e) => e.msgId)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));
    expect(JSON.parse(watcher.on(t.state)[0]!.text)).toMatchObject({ agent: 'connecting', msgId: 11 });
  });

  it('does not run a command again after a restart', async () => {
    const { broker, watcher } = await startBroker();
    const id = identity('replay process');
    const t = deviceTopics(id.id);
    const cmd = (seq: number) =>
      Buffer.from(signCommand(commandKey, { device: id.id, seq, time: Date.now(), name: 'run', args: null }));

    const first = device('replay process', broker.address.url);
    await first.line(/^status connected$/);
    await watcher.client.publishAsync(t.cmd, cmd(3), { qos: 1 });
    await first.line(/^handled cmd 3$/);
    await watcher.next(t.cmdResult, (m) => decodeCommandResult(m.payload).seq === 3);
    await first.kill('SIGKILL');

    const second = device('replay process', broker.address.url);
    await second.line(/^status connected$/);
    await watcher.client.publishAsync(t.cmd, cmd(3), { qos: 1 });
    await watcher.client.publishAsync(t.cmd, cmd(4), { qos: 1 });
    await second.line(/^handled cmd 4$/);
    await watcher.next(t.cmdResult, (m) => decodeCommandResult(m.payload).seq === 4);
    // The first process may die between the broker's copy of a result and its PUBACK: the second then sends it
    // again, with the same msgId (at least once). Distinct msgIds are what the fleet counts.
    const byMsgId = new Map(watcher.on(t.cmdResult).map((m) => [decodeCommandResult(m.payload).msgId, m.payload]));
    const results = [...byMsgId.values()].map((payload) => decodeCommandResult(payload));
    expect(results.map((r) => [r.seq, r.ok, r.code ?? null])).toEqual([
      [3, true, null],
      [3, false, 'REPLAY'],
      [4, true, null],
    ]);
    await expect(second.line(/^handled cmd 3$/, 0)).rejects.toThrow(/no line matching/);

    const mark = watcher.received.length;
    second.send('stop');
    await second.line(/^stopped$/);
    expect((await watcher.next(t.online, () => true, 10_000, mark)).text).toBe('false');
  });
});
