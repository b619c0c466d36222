/**
 * `ame device` as a process, offered a release by a real fleet controller (embedded broker, repository, director):
 * it enrols with a provisioning token, installs the release from the controller's repository into a slot with the
 * roots shipped in `<boot>/fleet-root/`, prints `restart {"slot": …}` and `stopped`, and exits with 75 for the
 * launcher — with its online flag cleared (a clean goodbye, not the last will) and the `installed` report retained.
 * Started again on the same folder it is on trial, and SIGTERM still stops it cleanly with exit code 0.
 *
 * The device has no chain to join here (its bootstrap peer does not exist), so it stays `connecting`: the update
 * agent and the fleet link start without waiting for the chain.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { RESTART_EXIT_CODE } from '../../../device/index.ts';
import { readUpdateState, runningSlot, shippedRootPaths, updatePaths } from '../../../device/update/index.ts';
import { type Controller, startController } from '../../../fleet/controller/index.ts';
import { loadOrCreateKey } from '../../../fleet/repository/index.ts';
import { fromHex, peerIdOf, toHex } from '../../../node/crypto/index.ts';
import { deviceTopics } from '../../../node/fleetproto/index.ts';
import { encodeGenesis } from '../../../node/ledger/index.ts';
import { buildBundle } from '../../../node/update/index.ts';
import { startDevice } from '../../support/cli.ts';
import { keyOf, Watcher } from '../../support/fleet-mqtt.ts';
import { testGenesis } from '../../support/ledger-chain.ts';
import { eventually } from '../../support/wait.ts';

const dir = mkdtempSync(join(tmpdir(), 'ame-device-update-'));
const children: ChildProcess[] = [];
let controller: Controller | undefined;
let watcher: Watcher | undefined;
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await watcher?.close();
  await controller?.stop();
  rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe('ame device and the fleet update', () => {
  it('installs an offered release and exits 75 for the launcher after a clean stop', async () => {
    const fleet = join(dir, 'fleet');
    controller = await startController({ dataDir: fleet, broker: 'embedded', clock: { now: () => Date.now() }, logger: pino({ level: 'silent' }) });
    const app = join(dir, 'app');
    mkdirSync(app);
    writeFileSync(join(app, 'version.txt'), '1.0.0\n');
    const v1 = controller.pushRelease((await buildBundle({ dir: app, name: 'ame', version: '1.0.0', arch: 'x64' })).bytes);
    const boot = join(dir, 'boot');
    const roots = shippedRootPaths(boot);
    mkdirSync(join(boot, 'fleet-root'), { recursive: true });
    // What an operator copies from the controller's folder (docs/fleet.md) onto the boot partition.
    writeFileSync(roots.image, readFileSync(join(fleet, 'repository', 'image-root-1.cbor')));
    writeFileSync(roots.director, readFileSync(join(fleet, 'director', 'director-root-1.cbor')));
    const genesis = join(dir, 'genesis.cbor');
    writeFileSync(genesis, encodeGenesis(testGenesis()));
    const controllerKey = loadOrCreateKey(fleet, 'controller');
    watcher = await Watcher.open(controller.mqttUrl, ['ame/v1/devices/#'], { as: { key: controllerKey, id: peerIdOf(controllerKey) }, brokerId: 'ame-fleet', clientSuffix: 'test' });

    const data = join(dir, 'data');
    const env = {
      AME_NETWORK_BOOTSTRAP: `/ip4/127.0.0.1/tcp/9/p2p/${peerIdOf(keyOf('no manager'))}`,
      AME_NETWORK_LISTEN: '/ip4/127.0.0.1/tcp/0',
      AME_DASHBOARD_PORT: '0',
      AME_MQTT_URL: controller.mqttUrl,
      AME_MQTT_BROKER_ID: 'ame-fleet',
      AME_MQTT_COMMAND_KEY: toHex(controller.commandKey.publicKey.bytes),
      AME_MQTT_PROVISIONING_TOKEN: (await controller.enrolment.issueToken({ lifetimeMs: 600_000 })).text,
    };
    const device = startDevice(['--data', data, '--boot', boot, '--genesis', genesis, '--sim'], children, env);
    const { peerId } = JSON.parse((await device.line(/^device (\{.*\})$/))[1]!) as { peerId: string };
    const topics = deviceTopics(peerId);
    await watcher.next(topics.online, (m) => m.text === 'true', 30_000);
    await controller.director.assign(peerId, { name: v1.target, length: v1.length, sha256: fromHex(v1.id, 'release id', 32) });

    expect(await device.exit).toBe(RESTART_EXIT_CODE);
    const slot = runningSlot(data);
    expect(slot).not.toBeNull();
    expect(readFileSync(join(slot!, 'version.txt'), 'utf8')).toBe('1.0.0\n');
    const lines = device.output().trimEnd().split('\n');
    expect(lines.slice(-2)).toEqual([`restart ${JSON.stringify({ slot })}`, 'stopped']);
    const installed = watcher.on(topics.events).map((m) => JSON.parse(m.text) as { type: string; data: { status: string } });
    expect(installed.filter((e) => e.type === 'update').map((e) => e.data.status)).toEqual(['downloading', 'installed']);
    // A clean goodbye: online=false was published (not only the will), after the installed state.
    await watcher.next(topics.online, (m) => m.text === 'false', 10_000);
    const states = watcher.on(topics.state).map((m) => JSON.parse(m.text) as { update?: { status: string } });
    expect(states.at(-1)?.update).toEqual({ status: 'installed', target: v1.target, running: v1.target });

    // The launcher's next start: on trial (this boot counted), and a signal still stops it cleanly with 0.
    const again = startDevice(['--data', data, '--boot', boot, '--genesis', genesis, '--sim'], children, env);
    await again.line(/^device \{/);
    await eventually('the trial counting this boot', () => (readUpdateState(updatePaths(data).state).trial?.bootsLeft === 2 ? true : undefined));
    again.child.kill('SIGTERM');
    expect(await again.exit).toBe(0);
    expect(again.output().trimEnd().split('\n').slice(-2)).toEqual(['stopping', 'stopped']);
  }, 120_000);
});
