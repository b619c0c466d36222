/**
 * Issue 10, Done-when 2: a rollout over 200 devices, each running the real update agent (device/update) behind its
 * own MQTT login to the controller's embedded broker, with small bundles in the real release format served by the
 * controller's repository. First a good release reaches every device through canary → 25 % → all, one device
 * holding its update lock being updated only after it lets go; then a release that fails its health check on the
 * canary: the rollout aborts within its failure budget, every canary device is back on the old release, and no
 * device outside the canary was offered the bad one.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { releaseLock, takeLock } from '../../../../device/update/index.ts';
import { startController, type Controller } from '../../../../fleet/controller/index.ts';
import type { Release } from '../../../../fleet/registry/index.ts';
import type { RolloutPlan } from '../../../../fleet/rollout/index.ts';
import { buildBundle } from '../../../../node/update/index.ts';
import { AgentDevice } from '../../../support/fleet-agent-device.ts';
import { inPool } from '../../../support/fleet-devices.ts';
import { identity } from '../../../support/fleet-mqtt.ts';
import { eventually } from '../../../support/wait.ts';

const FLEET = 200;
const CANARY = 10;
const LOCKED = 150;
const JUDGEMENT = { windowMs: 1_000, checks: 2, bootsAllowed: 2 };

describe(`a rollout over ${FLEET} devices running the real update agent`, () => {
  let dir: string;
  let controller: Controller;
  let devices: AgentDevice[] = [];
  let v0: Release;
  let v1: Release;
  let v2: Release;

  const release = async (version: string, health: string): Promise<Release> => {
    const app = join(dir, `app-${version}`);
    mkdirSync(join(app, 'bin'), { recursive: true });
    writeFileSync(join(app, 'health.txt'), `${health}\n`);
    writeFileSync(join(app, 'version.txt'), `${version}\n`);
    writeFileSync(join(app, 'bin', 'ame'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
    return controller.pushRelease((await buildBundle({ dir: app, name: 'ame', version, arch: 'x64' })).bytes);
  };

  const plan = (to: Release, from: Release): RolloutPlan => ({
    release: to.id,
    previousRelease: from.id,
    phases: [{ name: 'canary', group: 'canary' }, { name: 'quarter', percent: 25 }, { name: 'all' }],
    successThreshold: 1,
    failureBudget: 2,
    concurrency: 40,
    ratePerMinute: 100_000,
    timeoutMs: 120_000,
  });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ame-rollout-agents-'));
    controller = await startController({ dataDir: join(dir, 'fleet'), broker: 'embedded', clock: { now: () => Date.now() }, logger: pino({ level: 'silent' }), tickMs: 200 });
    v0 = await release('0.9.0', 'ok');
    v1 = await release('1.0.0', 'ok');
    v2 = await release('2.0.0', 'refuses to serve: the new build cannot open its store');
    const ids = Array.from({ length: FLEET }, (_, i) => identity(`rollout agent ${i}`));
    ids.forEach((id, i) => controller.registry.enrol({ id: id.id, publicKey: id.key.publicKey.bytes, groups: i < CANARY ? ['canary'] : [] }, Date.now()));
    const initialRoots = { image: controller.releases.initialRoot(), director: controller.director.initialRoot() };
    devices = ids.map((identity) => new AgentDevice({ identity, commandKey: controller.commandKey, initialRoots, judgement: JUDGEMENT }));
    // An application on device LOCKED holds its update lock (a long job) before any rollout starts.
    takeLock(devices[LOCKED]!.dataDir, { holder: 'batch-job', reason: 'a long computation', expiresAt: Date.now() + 600_000 }, Date.now());
    await inPool(devices, 50, (d) => d.connect(controller.mqttUrl, 'ame-fleet'));
  }, 180_000);

  afterAll(async () => {
    await inPool(devices, 50, (d) => d.close());
    await controller?.stop();
    if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
  }, 120_000);

  it('brings a good release to every device through its phases; the locked device only after it lets go', async () => {
    const started = Date.now();
    controller.rollouts.start('to-v1', plan(v1, v0));
    const locked = devices[LOCKED]!;
    await eventually('the locked device offered v1 and waiting for its lock', () => (locked.reports.some((r) => r.status === 'waiting-lock' && r.target === v1.target) ? true : undefined), 120_000);
    // Everything else that can go ahead does; the locked device does not move while locked.
    await eventually('every unlocked device of the started phases on v1', () => {
      const p = controller.rollouts.progress('to-v1');
      return p.inFlight === 1 ? true : undefined;
    }, 120_000);
    await new Promise((done) => setTimeout(done, 2_000));
    expect(locked.running()).toBeNull();
    expect(locked.reports.filter((r) => r.target === v1.target).map((r) => r.status)).not.toContain('downloading');
    expect(controller.rollouts.progress('to-v1').state).toBe('running');
    const letGo = Date.now();
    releaseLock(locked.dataDir, 'batch-job', letGo);
    await eventually('the rollout done', () => (controller.rollouts.progress('to-v1').state === 'done' ? true : undefined), 180_000);
    await eventually('every device on v1', () => (devices.every((d) => d.running() === v1.target) ? true : undefined), 60_000);
    expect(locked.installedAt.get(v1.target)!).toBeGreaterThan(letGo);
    for (const d of devices) {
      expect(d.offered, d.id).toEqual([v1.target]);
      expect(readFileSync(join(d.runningSlot()!, 'version.txt'), 'utf8')).toBe('1.0.0\n');
    }
    const progress = controller.rollouts.progress('to-v1');
    expect(progress.phases.map((p) => [p.name, p.state])).toEqual([['canary', 'passed'], ['quarter', 'passed'], ['all', 'passed']]);
    expect(progress.phases.reduce((n, p) => n + p.healthy, 0)).toBe(FLEET);
    // The registry follows the devices' reports.
    await eventually('the registry sees v1 everywhere', () => (devices.every((d) => controller.registry.devices.get(d.id)?.version === v1.target) ? true : undefined), 30_000);
    process.stdout.write(`good release to ${FLEET} devices: ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });

  it('aborts a release that fails its health check on the canary, every canary back on the old release, nobody else offered it', async () => {
    const started = Date.now();
    controller.rollouts.start('to-v2', plan(v2, v1));
    await eventually('the abort', () => (controller.rollouts.progress('to-v2').state === 'aborted' ? true : undefined), 120_000);
    const canary = devices.slice(0, CANARY);
    await eventually('every canary device back on v1 and idle', () => (canary.every((d) => d.running() === v1.target && d.reports.at(-1)?.status === 'idle') ? true : undefined), 120_000);
    const progress = controller.rollouts.progress('to-v2');
    expect(progress.abort?.code).toBe('failure-budget');
    expect(progress.phases[0]).toMatchObject({ name: 'canary', state: 'aborted' });
    expect(progress.phases[0]!.failed).toBeGreaterThanOrEqual(3);
    for (const d of canary) {
      // Offered v2, rolled back by itself (its own health check), then the fleet's revert named v1 again.
      expect(d.offered, d.id).toEqual([v1.target, v2.target, v1.target]);
      expect(d.reports.some((r) => r.status === 'rolled-back' && r.target === v2.target && r.code === 'UNHEALTHY'), d.id).toBe(true);
      expect(readFileSync(join(d.runningSlot()!, 'version.txt'), 'utf8')).toBe('1.0.0\n');
    }
    // Give the controller time to do anything more it would: nothing reaches the others.
    await new Promise((done) => setTimeout(done, 3_000));
    for (const d of devices.slice(CANARY)) {
      expect(d.offered, d.id).toEqual([v1.target]);
      expect(d.running()).toBe(v1.target);
    }
    process.stdout.write(`bad release aborted and reverted in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  });
});
