/**
 * The controller end to end over a real embedded broker: ~20 simulated devices answer the offers the rollout
 * driver's director assignments publish, their reports come back through the device watch.
 */
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startController, type Controller } from '../../../../fleet/controller/index.ts';
import type { Release } from '../../../../fleet/registry/index.ts';
import type { RolloutPlan } from '../../../../fleet/rollout/index.ts';
import { identity } from '../../../support/fleet-mqtt.ts';
import { labelledBytes } from '../../../support/seeded.ts';
import { eventually } from '../../../support/wait.ts';
import { appBundle, tempDir, type TempDir } from '../../../unit/fleet/repository/release-fixtures.ts';
import { SimUpdateDevice, type Behaviour } from '../../../support/fleet-sim-devices.ts';

const FLEET = 20;
const CANARY = 3;

let t: TempDir | undefined;
let controller: Controller | undefined;
let devices: SimUpdateDevice[] = [];
afterEach(async () => {
  await Promise.all(devices.map((d) => d.close()));
  devices = [];
  await controller?.stop();
  controller = undefined;
  t?.cleanup();
});

interface Rig {
  readonly v1: Release;
  readonly v2: Release;
  readonly clock: { t: number; now(): number };
  readonly ids: ReturnType<typeof identity>[];
  start(port?: number): Promise<Controller>;
}

async function rig(behaviour: (rig: { v1: Release; v2: Release }) => Behaviour): Promise<Rig> {
  t = tempDir('controller');
  const dir = t.dir;
  const clock = { t: Date.now(), now: () => clock.t };
  const start = async (port?: number) => {
    controller = await startController({
      dataDir: join(dir, 'fleet'),
      broker: 'embedded',
      ...(port === undefined ? {} : { mqttPort: port }),
      clock,
      logger: pino({ level: 'silent' }),
      random: labelledBytes('controller rollout'),
      schedule: () => () => undefined, // the test ticks by hand
    });
    return controller;
  };
  const c = await start();
  const ids = Array.from({ length: FLEET }, (_, i) => identity(`rollout device ${i}`));
  ids.forEach((id, i) => c.registry.enrol({ id: id.id, publicKey: id.key.publicKey.bytes, groups: i < CANARY ? ['canary'] : [] }, clock.t));
  const v1 = c.pushRelease((await appBundle(dir, '1.0.0')).bytes);
  const v2 = c.pushRelease((await appBundle(dir, '2.0.0')).bytes);
  const b = behaviour({ v1, v2 });
  devices = ids.map((id) => new SimUpdateDevice(id, c.commandKey, b));
  await Promise.all(devices.map((d) => d.connect(c.mqttUrl, 'ame-fleet')));
  return { v1, v2, clock, ids, start };
}

const plan = (r: Rig, overrides: Partial<RolloutPlan> = {}): RolloutPlan => ({
  release: r.v2.id,
  previousRelease: r.v1.id,
  phases: [{ name: 'canary', group: 'canary' }, { name: 'half', percent: 50 }, { name: 'all' }],
  successThreshold: 1,
  failureBudget: 0,
  concurrency: 6,
  ratePerMinute: 1000,
  timeoutMs: 3_600_000,
  ...overrides,
});

/** Ticks the rollouts while waiting, as the timer would. */
const until = (what: string, c: Controller, probe: () => boolean) =>
  eventually(what, () => {
    c.rollouts.tick();
    return probe() ? true : undefined;
  }, 15_000);

const canary = () => devices.slice(0, CANARY);
const rest = () => devices.slice(CANARY);

describe('controller rollouts', () => {
  it('aborts on a failing canary: every canary device gets a revert naming the old target, no other device an offer', async () => {
    const r = await rig(({ v2 }) => (target) => (target === v2.target ? ['downloading', 'installed', 'rolled-back'] : ['idle']));
    const c = controller!;
    c.rollouts.start('bad', plan(r));
    await until('the abort and every canary reverted', c, () => c.rollouts.progress('bad').state === 'aborted' && canary().every((d) => d.offers.length === 2));
    await c.rollouts.settled();
    for (const d of canary()) expect(d.targets).toEqual([r.v2.target, r.v1.target]);
    for (let i = 0; i < 5; i++) c.rollouts.tick();
    await c.rollouts.settled();
    for (const d of rest()) expect(d.offers, d.id).toEqual([]);
    const progress = c.rollouts.progress('bad');
    expect(progress.abort?.code).toBe('failure-budget');
    expect(progress.phases[0]).toMatchObject({ name: 'canary', state: 'aborted', reverted: CANARY });
    expect(c.registry.rollouts.get('bad')?.status).toBe('aborted');
  });

  it('brings a good release to every device through its phases, and the registry follows the reports', async () => {
    const r = await rig(() => () => ['downloading', 'installed', 'healthy']);
    const c = controller!;
    c.rollouts.start('good', plan(r));
    await until('the rollout done', c, () => c.rollouts.progress('good').state === 'done');
    for (const d of devices) expect(d.targets, d.id).toEqual([r.v2.target]);
    const progress = c.rollouts.progress('good');
    expect(progress.phases.map((p) => [p.name, p.state, p.healthy])).toEqual([
      ['canary', 'passed', CANARY],
      ['half', 'passed', FLEET / 2 - CANARY],
      ['all', 'passed', FLEET / 2],
    ]);
    await eventually('every device seen running the release', () => (devices.every((d) => c.registry.devices.get(d.id)?.version === r.v2.target) ? true : undefined));
    expect(c.registry.devices.get(devices[0]!.id)).toMatchObject({ online: true, role: 'temporary', health: { state: 'serving', healthy: true } });
  });

  it('updates a device holding an update lock only once its lock expires', async () => {
    const r = await rig(() => () => ['healthy']);
    const c = controller!;
    const locked = rest()[0]!;
    c.registry.locks.lock(locked.id, 'app', 'recording a video', r.clock.t + 600_000, r.clock.t);
    c.rollouts.start('locked', plan(r, { phases: [{ name: 'canary', group: 'canary' }, { name: 'all' }] }));
    await until('every unlocked device healthy', c, () => devices.every((d) => d === locked || d.offers.length === 1) && c.rollouts.progress('locked').phases[1]!.healthy === FLEET - CANARY - 1);
    await c.rollouts.settled();
    expect(locked.offers).toEqual([]);
    expect(c.rollouts.progress('locked').phases[1]).toMatchObject({ state: 'active', lockedWaiting: 1 });
    r.clock.t += 600_000;
    await until('the rollout done', c, () => c.rollouts.progress('locked').state === 'done');
    expect(locked.targets).toEqual([r.v2.target]);
  });

  it('continues a rollout after a controller restart, never sending a device the release twice', async () => {
    const r = await rig(({ v2 }) => (target) => (target === v2.target ? 'hold' : ['idle']));
    let c = controller!;
    for (const d of canary()) d.behaviour = () => ['healthy'];
    c.rollouts.start('restart', plan(r, { phases: [{ name: 'canary', group: 'canary' }, { name: 'all' }], concurrency: 4 }));
    await until('the second phase in flight', c, () => c.rollouts.progress('restart').inFlight === 4 && rest().filter((d) => d.offers.length === 1).length === 4);
    await c.rollouts.settled();
    const port = Number(new URL(c.mqttUrl).port);
    await c.stop();
    await Promise.all(devices.map((d) => d.close()));

    c = await r.start(port);
    expect(c.rollouts.progress('restart')).toMatchObject({ state: 'running', phase: 'all', inFlight: 4 });
    for (const d of devices) d.behaviour = () => ['healthy'];
    await Promise.all(devices.map((d) => d.connect(c.mqttUrl, 'ame-fleet')));
    for (const d of devices) d.answerHeld();
    await until('the rollout done after the restart', c, () => c.rollouts.progress('restart').state === 'done');
    for (const d of devices) expect(d.targets, d.id).toEqual([r.v2.target]);
  });
});
