/**
 * 1,000 simulated devices, each its own MQTT connection with its own credentials, report to the controller: once
 * on the embedded broker (aedes), where every device enrols at its first login with one provisioning token, and
 * once on Mosquitto with the dynamic-security plugin, where each device gets its own client, password and role.
 * The controller counts all 1,000 retained states and online flags; revoking one device drops it at once and its
 * next login is refused. Prints how long each phase took.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createFleetBroker, type FleetBroker } from '../../../fleet/broker/index.ts';
import { createDynsecAdmin, createDynsecLogins, type DynsecAdmin } from '../../../fleet/dynsec/index.ts';
import {
  createEnrolment,
  createRevoker,
  embeddedBrokerLogins,
  MemoryEnrolmentStore,
} from '../../../fleet/enrol/index.ts';
import { issueLoginToken } from '../../../node/fleetproto/index.ts';
import { ReportCounter, SimFleet } from '../../support/fleet-devices.ts';
import { closed, Enrolment, identity, tryConnect, type Identity } from '../../support/fleet-mqtt.ts';
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

const stateOf = (id: string) => ({ agent: 'serving', id });
const allReported = (c: ReportCounter) =>
  c.states.size === COUNT && c.online.size === COUNT && [...c.online.values()].every((v) => v === 'true');

function expectEveryState(counter: ReportCounter): void {
  for (const d of devices) expect(JSON.parse(counter.states.get(d.id) ?? 'null'), d.id).toEqual(stateOf(d.id));
}

describe('1,000 devices', () => {
  it('report to the controller on the embedded broker, each enrolled at first login with its own key', async () => {
    const t = timer();
    const store = new MemoryEnrolmentStore();
    const enrolment = createEnrolment({ store, clock, random: randomBytes });
    const token = await enrolment.issueToken({ lifetimeMs: 10 * 60_000, maxUses: COUNT, groups: ['scale'] });
    const controller = identity('scale controller');
    const broker: FleetBroker = createFleetBroker({
      brokerId: BROKER_ID,
      devices: enrolment,
      controllers: new Enrolment(controller),
      enrol: (request) => enrolment.enrol(request),
    });
    const url = (await broker.start()).url;
    cleanup.push(() => broker.stop());
    const ctl = await tryConnect(url, {
      clientId: `${controller.id}/scale`,
      username: controller.id,
      password: issueLoginToken(controller.key, { brokerId: BROKER_ID, now: Date.now() }),
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
    expect(broker.clients().filter((c) => c.role === 'device')).toHaveLength(COUNT);
    expect(store.token(token.id)?.uses).toBe(COUNT);
    expect(store.devices().every((d) => d.groups.includes('scale'))).toBe(true);

    await fleet.report(stateOf);
    await counter.until(allReported, 60_000);
    t.mark('1,000 states counted');
    expectEveryState(counter);

    const victim = fleet.devices[0]!;
    const gone = closed(victim.client);
    await createRevoker({ store, logins: [embeddedBrokerLogins(broker)], clock }).revoke(victim.id);
    await gone;
    await counter.until((c) => c.online.get(victim.id) === 'false', 10_000);
    const again = await tryConnect(url, {
      clientId: victim.id,
      username: victim.id,
      password: `${issueLoginToken(devices[0]!.key, { brokerId: BROKER_ID, now: Date.now() })}.${token.text}`,
    });
    expect(again.error?.message).toMatch(/Not authorized/);
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
    t.mark('1,000 states counted');
    expectEveryState(counter);

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
