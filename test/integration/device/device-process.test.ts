/**
 * What `ame device` runs (device/device-process.ts) against a real fleet controller (embedded aedes broker, its
 * image repository over HTTP, the director): a device enrolled with a provisioning token is offered a release; the
 * offer reaches the update agent, the bundle lands in a slot, the retained state and an `events` message carry
 * `installed`, and the process asks for its restart (exit code 75) after a clean stop. A new process on the same
 * folders judges the trial by the agent's own health and reports `healthy`. A device without the fleet's root
 * documents refuses the offer with NO_ROOTS and keeps serving.
 *
 * The device runs in-process on the sim HAL and the in-memory node runtime; everything else is real. Waits are on
 * messages and states; the one timed part is the trial's judgement window (3 s, set through the config).
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type AgentState,
  deviceLayout,
  type DeviceProcess,
  type NodeRuntimeFactory,
  openDeviceConfig,
  readNodeIdentity,
  RESTART_EXIT_CODE,
  startDeviceProcess,
} from '../../../device/index.ts';
import { DIRECTOR_ROOT_FILE, IMAGE_ROOT_FILE, readUpdateState, runningSlot, shippedRootPaths, updatePaths } from '../../../device/update/index.ts';
import { type Controller, startController } from '../../../fleet/controller/index.ts';
import type { Release } from '../../../fleet/registry/index.ts';
import { loadOrCreateKey } from '../../../fleet/repository/index.ts';
import { ManualClock } from '../../../hal/index.ts';
import { fromHex, peerIdOf, toHex } from '../../../node/crypto/index.ts';
import { deviceTopics } from '../../../node/fleetproto/index.ts';
import { buildBundle } from '../../../node/update/index.ts';
import { createSimDeviceHal, type DeviceDirs, makeDeviceDirs } from '../../support/device-rig.ts';
import { type InMemoryRuntime, InMemoryRuntimes } from '../../support/device-runtime.ts';
import { type Received, Watcher } from '../../support/fleet-mqtt.ts';

interface Report {
  readonly status: string;
  readonly target: string | null;
  readonly running: string | null;
  readonly code?: string;
  readonly reason?: string;
}

const json = (m: Received): Record<string, unknown> => JSON.parse(m.text) as Record<string, unknown>;
const eventOf = (m: Received): Report | undefined => {
  const body = json(m);
  return body.type === 'update' ? (body.data as Report) : undefined;
};
const stateUpdate = (m: Received): Report | undefined => json(m).update as Report | undefined;

describe('ame device wired to its update agent, against a real fleet controller', () => {
  let root: string;
  let controller: Controller;
  let watcher: Watcher;
  let v1: Release;
  const opened: { dirs: DeviceDirs; processes: DeviceProcess[] }[] = [];
  const controllerIdentity = () => {
    const key = loadOrCreateKey(join(root, 'fleet'), 'controller');
    return { key, id: peerIdOf(key) };
  };

  /** A device process on `dirs` (a "boot"), with the fleet in its environment; resolves once it is serving. */
  const boot = async (dirs: DeviceDirs, token: string, runtime: NodeRuntimeFactory = new InMemoryRuntimes().factory): Promise<{ process: DeviceProcess; id: string }> => {
    const env = {
      AME_MQTT_URL: controller.mqttUrl,
      AME_MQTT_BROKER_ID: 'ame-fleet',
      AME_MQTT_COMMAND_KEY: toHex(controller.commandKey.publicKey.bytes),
      AME_MQTT_PROVISIONING_TOKEN: token,
      AME_TRIAL_WINDOW_MS: '3000',
      AME_TRIAL_CHECKS: '2',
      AME_TRIAL_BOOTS_ALLOWED: '2',
      AME_THRESHOLDS_MIN_FREE_BYTES: '0',
    };
    let serving: Promise<AgentState> | undefined;
    const process = await startDeviceProcess({
      config: openDeviceConfig({ env, dataDir: dirs.dataDir, bootDir: dirs.bootDir }),
      // The HAL's own timers (LED, button, watchdog timeout) stay on a manual clock; the agent runs on real time.
      hal: createSimDeviceHal(new ManualClock(0)),
      runtime,
      walletScheme: 'ecdsa',
      version: 'test',
      logger: pino({ level: 'silent' }),
      beforeStart: (agent) => (serving = agent.whenState('serving')),
    });
    const known = opened.find((o) => o.dirs === dirs);
    if (known === undefined) opened.push({ dirs, processes: [process] });
    else known.processes.push(process);
    await serving;
    return { process, id: readNodeIdentity(deviceLayout(dirs.dataDir))!.peerId };
  };

  /** A device with the fleet's roots on its boot partition, enrolled, serving. */
  const fleetDevice = async (): Promise<{ dirs: DeviceDirs; token: string; device: { process: DeviceProcess; id: string } }> => {
    const dirs = makeDeviceDirs();
    const roots = shippedRootPaths(dirs.bootDir);
    mkdirSync(join(dirs.bootDir, 'fleet-root'));
    writeFileSync(roots.image, controller.releases.initialRoot());
    writeFileSync(roots.director, controller.director.initialRoot());
    const token = (await controller.enrolment.issueToken({ lifetimeMs: 600_000 })).text;
    const device = await boot(dirs, token);
    // Online and enrolled (the broker recorded its key at the first login) before anything is offered.
    await watcher.next(deviceTopics(device.id).state, (m) => json(m).state === 'serving', 15_000);
    return { dirs, token, device };
  };

  const assign = (deviceId: string, release: Release) =>
    controller.director.assign(deviceId, { name: release.target, length: release.length, sha256: fromHex(release.id, 'release id', 32) });

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'ame-device-process-'));
    controller = await startController({ dataDir: join(root, 'fleet'), broker: 'embedded', clock: { now: () => Date.now() }, logger: pino({ level: 'silent' }) });
    const app = join(root, 'app-1.0.0');
    mkdirSync(join(app, 'bin'), { recursive: true });
    writeFileSync(join(app, 'version.txt'), '1.0.0\n');
    writeFileSync(join(app, 'bin', 'ame'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    v1 = controller.pushRelease((await buildBundle({ dir: app, name: 'ame', version: '1.0.0', arch: 'x64' })).bytes);
    watcher = await Watcher.open(controller.mqttUrl, ['ame/v1/devices/#'], { as: controllerIdentity(), brokerId: 'ame-fleet', clientSuffix: 'test' });
  }, 30_000);

  afterAll(async () => {
    for (const { dirs, processes } of opened) {
      for (const p of processes) await p.stop();
      dirs.remove();
    }
    await watcher?.close();
    await controller?.stop();
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  }, 30_000);

  it('installs the offered release, reports it, restarts with 75, and the next start judges it healthy', async () => {
    const { dirs, token, device: first } = await fleetDevice();
    const roots = shippedRootPaths(dirs.bootDir);
    expect([roots.image, roots.director]).toEqual([join(dirs.bootDir, 'fleet-root', IMAGE_ROOT_FILE), join(dirs.bootDir, 'fleet-root', DIRECTOR_ROOT_FILE)]);
    const topics = deviceTopics(first.id);
    const from = watcher.received.length;
    await assign(first.id, v1);

    const installed = await watcher.next(topics.events, (m) => eventOf(m)?.status === 'installed', 15_000, from);
    expect(eventOf(installed)).toEqual({ status: 'installed', target: v1.target, running: v1.target });
    // The events before it: the download, for the same target.
    expect(watcher.on(topics.events).map(eventOf).filter((r) => r !== undefined).map((r) => r.status)).toEqual(['downloading', 'installed']);
    await watcher.next(topics.state, (m) => stateUpdate(m)?.status === 'installed', 15_000, from);

    // The injected exit: the process stopped cleanly and asks for the new slot.
    const exit = await first.process.exited;
    expect(exit).toEqual({ code: RESTART_EXIT_CODE, slot: runningSlot(dirs.dataDir) });
    expect(readFileSync(join(exit.slot!, 'version.txt'), 'utf8')).toBe('1.0.0\n');
    expect(readUpdateState(updatePaths(dirs.dataDir).state).trial).toMatchObject({ target: { name: v1.target }, bootsLeft: 2 }); // trial.bootsAllowed
    // Clean stop: the unclean-stop marker is gone, and the broker keeps `installed` in the retained state.
    expect(() => readFileSync(deviceLayout(dirs.dataDir).runningMarker)).toThrow();
    const late = await Watcher.open(controller.mqttUrl, [topics.state], { as: controllerIdentity(), brokerId: 'ame-fleet', clientSuffix: 'late' });
    try {
      const retained = await late.next(topics.state);
      expect(retained.retain).toBe(true);
      expect(stateUpdate(retained)).toEqual({ status: 'installed', target: v1.target, running: v1.target });
    } finally {
      await late.close();
    }

    // The launcher's restart: a new process on the same folders, on trial.
    const again = watcher.received.length;
    const second = await boot(dirs, token);
    expect(second.id).toBe(first.id);
    const healthy = await watcher.next(topics.events, (m) => eventOf(m)?.status === 'healthy', 15_000, again);
    expect(eventOf(healthy)).toEqual({ status: 'healthy', target: v1.target, running: v1.target });
    await watcher.next(topics.state, (m) => stateUpdate(m)?.status === 'healthy', 15_000, again);
    expect(readUpdateState(updatePaths(dirs.dataDir).state)).toMatchObject({ running: { name: v1.target }, trial: null });
    expect(second.process.updates()?.status()?.status).toBe('healthy');
    // Judged, not rolled back: no restart asked for.
    expect(await Promise.race([second.process.exited, Promise.resolve('running')])).toBe('running');
  }, 30_000);

  it('rolls a release back when the device comes up without peers on it, and restarts into the flashed release', async () => {
    const { dirs, token, device: first } = await fleetDevice();
    const topics = deviceTopics(first.id);
    await assign(first.id, v1);
    expect(await first.process.exited).toEqual({ code: RESTART_EXIT_CODE, slot: runningSlot(dirs.dataDir) });

    // The new release connects, registers and serves, but never has a peer: its judgement fails.
    const runtimes = new InMemoryRuntimes();
    const lonely: NodeRuntimeFactory = async (context) => {
      const runtime = (await runtimes.factory(context)) as InMemoryRuntime;
      const connect = runtime.connect.bind(runtime);
      runtime.connect = async () => {
        await connect();
        runtime.set({ connectedPeers: 0 });
      };
      return runtime;
    };
    const again = watcher.received.length;
    const second = await boot(dirs, token, lonely);
    const back = await watcher.next(topics.events, (m) => eventOf(m)?.status === 'rolled-back', 15_000, again);
    expect(eventOf(back)).toMatchObject({ status: 'rolled-back', target: v1.target, running: null, code: 'UNHEALTHY' });
    expect(eventOf(back)?.reason).toContain('no peers connected');
    expect(await second.process.exited).toEqual({ code: RESTART_EXIT_CODE, slot: null });
    expect(runningSlot(dirs.dataDir)).toBeNull();
  }, 30_000);

  it('refuses an offer with NO_ROOTS when the fleet roots were not shipped, and keeps serving', async () => {
    const dirs = makeDeviceDirs();
    const token = await controller.enrolment.issueToken({ lifetimeMs: 600_000 });
    const device = await boot(dirs, token.text);
    const topics = deviceTopics(device.id);
    await watcher.next(topics.state, (m) => json(m).state === 'serving', 15_000);
    const from = watcher.received.length;
    await assign(device.id, v1);

    const failed = await watcher.next(topics.events, (m) => eventOf(m) !== undefined, 15_000, from);
    expect(eventOf(failed)).toMatchObject({ status: 'failed', target: null, running: null, code: 'NO_ROOTS' });
    expect(eventOf(failed)?.reason).toContain(join(dirs.bootDir, 'fleet-root'));
    await watcher.next(topics.state, (m) => stateUpdate(m)?.code === 'NO_ROOTS', 15_000, from);
    expect(device.process.agent.state().name).toBe('serving');
    expect(runningSlot(dirs.dataDir)).toBeNull();
    expect(await Promise.race([device.process.exited, Promise.resolve('running')])).toBe('running');
  }, 30_000);
});
