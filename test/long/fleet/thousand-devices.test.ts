/**
 * 1,000 simulated devices, each its own MQTT connection with its own credentials, report to the controller: once
 * on the embedded broker (aedes), where every device enrols at its first login with one provisioning token, and
 * once on Mosquitto with the dynamic-security plugin, where each device gets its own client, password and role.
 * The controller (startController: its registry, fed by its device watch) records all 1,000 online with their
 * states, and a second controller-side client counts every retained state and online flag on the wire; revoking
 * one device drops it at once and its next login is refused. Prints how long each phase took.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { startController, type Controller } from '../../../fleet/controller/index.ts';
import { Ed25519KeyPair, fromHex } from '../../../node/crypto/index.ts';
import { createDynsecAdmin, createDynsecLogins, type DynsecAdmin } from '../../../fleet/dynsec/index.ts';
import {
  createEnrolment,
  createRevoker,
  MemoryEnrolmentStore,
} from '../../../fleet/enrol/index.ts';
import { issueLoginToken } from '../../../node/fleetproto/index.ts';
import { ReportCounter, SimFleet } from '../../support/fleet-devices.ts';
import { closed, identity, tryConnect, type Identity } from '../../support/fleet-mqtt.ts';
import { eventually } from '../../support/wait.ts';
import { startDynsecMosquitto, type DynsecMosquitto } from '../../support/mosquitto-dynsec.ts';

const COUNT = 1_000;
const BROKER_ID = 'scale-broker';
const devices: Identity[] = Array.from({ length: COUNT }, (_, i) => identity(`scale device ${i}`));
const clock = { now: () => Date.now() };
const cleanup: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => undefined);
});

function timer() {
  const start = performance.now();
  const marks: string[] = [];
  return {
    mark: (what: string) => marks.push(`${what} ${((performance.now() - start) / 1000).toFixed(1)} s`),
    line: () => marks.join(', '),
  };
}

const stateOf = (id: string) => ({ state: 'serving', id });
const allReported = (c: ReportCounter) =>
  c.states.size === COUNT && c.online.size === COUNT && [...c.online.values()].every((v) => v === 'true');

async function controllerIn(broker: Parameters<typeof startController>[0]['broker']): Promise<{ controller: Controller; dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'ame-scale-controller-'));
  const controller = await startController({ dataDir: dir, broker, brokerId: BROKER_ID, clock, logger: pino({ level: 'silent' }) });
  cleanup.push(async () => {
    await controller.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  return { controller, dir };
}

/** The controller's registry, fed by its device watch, holds every device online with its state. */
async function expectRegistryHoldsAll(controller: Controller): Promise<void> {
  await eventually('the registry sees 1,000 online', () => (controller.registry.devices.summary().online === COUNT ? true : undefined), 60_000);
  const page = controller.registry.devices.query({ limit: 5 });
  for (const d of page.devices) expect(d.health, d.id).toMatchObject({ state: 'serving' });
}

function expectEveryState(counter: ReportCounter): void {
  for (const d of devices) expect(JSON.parse(counter.states.get(d.id) ?? 'null'), d.id).toEqual(stateOf(d.id));
}

describe('1,000 devices', () => {
  it('report to the controller on the embedded broker, each enrolled at first login with its own key', async () => {
    const t = timer();
    const { controller, dir } = await controllerIn('embedded');
    const token = await controller.enrolment.issueToken({ lifetimeMs: 10 * 60_000, maxUses: COUNT, groups: ['scale'] });
    const url = controller.mqttUrl;
    // A second connection of the controller's identity counts what goes over the wire.
    const controllerKey = Ed25519KeyPair.fromSeed(fromHex(readFileSync(join(dir, 'controller.key'), 'utf8').trim(), 'seed', 32));
    const ctl = await tryConnect(url, {
      clientId: `${controller.controllerId}/scale`,
      username: controller.controllerId,
      password: issueLoginToken(controllerKey, { brokerId: BROKER_ID, now: Date.now() }),
    });
    cleanup.push(() => ctl.client!.endAsync(true));
    const counter = new ReportCounter(ctl.client!);
    await counter.subscribe();

    const fleet = await SimFleet.connect({
      url,
      ids: devices.map((d) => d.id),
      credentials: (_id, i) => ({
        username: devices[i]!.id,
        password: `${issueLoginToken(devices[i]!.key, { brokerId: BROKER_ID, now: Date.now(), lifetimeMs: 10 * 60_000 })}.${token.text}`,
      }),
    });
    cleanup.push(() => fleet.close());
    t.mark('connected and enrolled');
    expect(controller.broker!.clients().filter((c) => c.role === 'device')).toHaveLength(COUNT);
    expect(controller.registry.devices.groups()).toEqual([{ name: 'scale', devices: COUNT }]);

    await fleet.report(stateOf);
    await counter.until(allReported, 60_000);
    expectEveryState(counter);
    await expectRegistryHoldsAll(controller);
    t.mark('1,000 states counted and in the registry');

    const victim = fleet.devices[0]!;
    const gone = closed(victim.client);
    await controller.revoke(victim.id);
    await gone;
    await counter.until((c) => c.online.get(victim.id) === 'false', 10_000);
    const again = await tryConnect(url, {
      clientId: victim.id,
      username: victim.id,
      password: `${issueLoginToken(devices[0]!.key, { brokerId: BROKER_ID, now: Date.now() })}.${token.text}`,
    });
    expect(again.error?.message).toMatch(/Not authorized/);
    expect(controller.registry.devices.summary().revoked).toBe(1);
    await fleet.close();
    t.mark('revoked one, closed all');
    console.log(`aedes, ${COUNT} devices: ${t.line()}`);
  });

  it('report to the controller on Mosquitto, each with its own dynamic-security login and role', async () => {
    const t = timer();
    const mosquitto: DynsecMosquitto = await startDynsecMosquitto();
    cleanup.push(() => mosquitto.stop());
    const admin: DynsecAdmin = createDynsecAdmin({ url: mosquitto.url, ...mosquitto.admin, timeoutMs: 120_000 });
    await admin.start();
    cleanup.push(() => admin.stop());
    const logins = createDynsecLogins({ admin, random: randomBytes });
    const passwords = await logins.provision(devices.map((d) => d.id));
    const controllerPassword = randomBytes(18).toString('base64url');
    await logins.addController('scale-controller', controllerPassword);
    // The controller and the counter below log in with the same controller login (other client ids).
    const { controller } = await controllerIn({ url: mosquitto.url, username: 'scale-controller', password: controllerPassword });
    devices.forEach((d) => controller.registry.enrol({ id: d.id, publicKey: d.key.publicKey.bytes, groups: ['scale'] }, Date.now()));
    t.mark('provisioned');

    const ctl = await tryConnect(mosquitto.url, { clientId: 'scale-controller', username: 'scale-controller', password: controllerPassword });
    cleanup.push(() => ctl.client!.endAsync(true));
    const counter = new ReportCounter(ctl.client!);
    await counter.subscribe();
    const fleet = await SimFleet.connect({
      url: mosquitto.url,
      ids: devices.map((d) => d.id),
      credentials: (id) => ({ username: id, password: passwords.get(id)! }),
    });
    cleanup.push(() => fleet.close());
    t.mark('connected');
    await fleet.report(stateOf);
    await counter.until(allReported, 60_000);
    expectEveryState(counter);
    await expectRegistryHoldsAll(controller);
    t.mark('1,000 states counted and in the registry');

    // Revocation through the same Revoker as on the embedded broker, with dynamic security as the login backend.
    const store = new MemoryEnrolmentStore();
    const enrolment = createEnrolment({ store, clock, random: randomBytes });
    const token = await enrolment.issueToken({ lifetimeMs: 60_000 });
    const victim = fleet.devices[0]!;
    await enrolment.enrol({ deviceId: victim.id, publicKey: devices[0]!.key.publicKey.bytes, provisioningToken: token.text });
    const gone = closed(victim.client);
    await createRevoker({ store, logins: [logins], clock }).revoke(victim.id);
    // The plugin kicks a disabled client without publishing its will (Mosquitto 2.0): only the drop is seen.
    await gone;
    const again = await tryConnect(mosquitto.url, { clientId: victim.id, username: victim.id, password: passwords.get(victim.id)! });
    expect(again.error?.message).toMatch(/Not authorized/);
    await fleet.close();
    t.mark('revoked one, closed all');
    console.log(`mosquitto + dynsec, ${COUNT} devices: ${t.line()}`);
  });
});
