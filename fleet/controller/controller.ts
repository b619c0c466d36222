/**
 * `ame fleet`'s composition root (SPEC §10): the registry, the broker (embedded aedes by default, or any broker by
 * URL), the release store with its HTTP repository, the director service, the device watch and the rollout driver,
 * started in that order and stopped in reverse. Everything lives under `dataDir` (docs/fleet.md "Controller").
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { peerIdOf, type Ed25519KeyPair, type RandomSource } from '../../node/crypto/index.ts';
import { createFleetBroker, type FleetBroker } from '../broker/index.ts';
import { createConsole } from '../console/index.ts';
import { createDynsecAdmin, createDynsecLogins, DynsecError, type DynsecLogins } from '../dynsec/index.ts';
import { createEnrolment, createRevoker, embeddedBrokerLogins, type Enrolment } from '../enrol/index.ts';
import { RegistryEnrolmentStore } from '../registry/enrolment-store.ts';
import { Registry } from '../registry/index.ts';
import {
  createRepositoryServer,
  createTimestampRefresher,
  loadOrCreateKey,
  ReleaseStore,
  type RepositoryServer,
  type Scheduler,
  type TimestampRefresher,
} from '../repository/index.ts';
import type { Release } from '../registry/index.ts';
import { createControllerApi } from './api.ts';
import { metricsText } from './metrics.ts';
import { connectControllerLink, type ControllerLink } from './controller-link.ts';
import { createDeviceWatch, type DeviceWatch } from './device-watch.ts';
import { createCommandSender, createCommandSequence } from './command-sender.ts';
import { createHistoryRecorder, type HistoryRecorder, type HistorySettings } from './history-recorder.ts';
import { createCredentialsDelivery, type CredentialsDelivery } from './credentials-delivery.ts';
import { createDirectorService, type DirectorService } from './director-service.ts';
import { ControllerError } from './errors.ts';
import { createRolloutDriver, type RolloutDriver } from './rollout-driver.ts';

export const COMMAND_KEY_FILE = 'command.key';
export const CONTROLLER_KEY_FILE = 'controller.key';
export const DEFAULT_BROKER_ID = 'ame-fleet';

export interface ControllerOptions {
  readonly dataDir: string;
  /** The embedded aedes broker, or an external one by URL (mqtt:// or mqtts://). */
  readonly broker: 'embedded' | { readonly url: string; readonly username?: string; readonly password?: string };
  /** The id the embedded broker's login tokens name (default `ame-fleet`). */
  readonly brokerId?: string;
  /**
   * With an external Mosquitto: its dynamic-security admin account (docs/fleet.md "Mosquitto logins"). Devices then
   * enrol on the embedded broker (the enrolment broker, `enrolmentUrl`) and get their own Mosquitto password in a
   * signed `mqtt-credentials` command; `adminUrl` defaults to the broker's URL, `deviceUrl` (what devices are told)
   * too. The controller's own account (`broker.username`/`password`) is created if missing.
   */
  readonly dynsec?: { readonly username: string; readonly password: string; readonly adminUrl?: string; readonly deviceUrl?: string };
  readonly mqttPort?: number;
  readonly httpPort?: number;
  /** Port of the JSON API and the web console (api.ts; default 0: a free one). */
  readonly apiPort?: number;
  /** Marks the console's session cookie `Secure`, for a console reached over TLS (a proxy in front). */
  readonly secureConsoleCookie?: boolean;
  /** Interface the embedded broker and the repository listen on (default 127.0.0.1). */
  readonly host?: string;
  /** The repository URL devices are offered, when they reach it under another name than host:port. */
  readonly repositoryUrl?: string;
  readonly clock: { now(): number };
  readonly logger: Logger;
  readonly random?: RandomSource;
  readonly tickMs?: number;
  readonly schedule?: Scheduler;
  /** The telemetry history's sampling interval, retention and flush period (history-recorder.ts defaults). */
  readonly history?: HistorySettings;
}

export interface Controller {
  readonly registry: Registry;
  /** Provisioning tokens (issueToken); devices enrol with one at their first login on the embedded broker. */
  readonly enrolment: Enrolment;
  readonly releases: ReleaseStore;
  readonly director: DirectorService;
  readonly rollouts: RolloutDriver;
  readonly watch: DeviceWatch;
  /** Samples the watched reports into the registry's telemetry history. */
  readonly history: HistoryRecorder;
  /** The embedded broker, when there is one. */
  readonly broker: FleetBroker | undefined;
  readonly mqttUrl: string;
  /** Where devices enrol: the embedded broker (also `mqttUrl` without `dynsec`); undefined with an external broker alone. */
  readonly enrolmentUrl: string | undefined;
  /** The delivery of devices' Mosquitto passwords, with `dynsec`. */
  readonly credentials: CredentialsDelivery | undefined;
  readonly repositoryUrl: string;
  /** The JSON API's base URL (`http://host:port/`; paths under `api/`). */
  readonly apiUrl: string;
  /** The web console on the API's server (`http://host:port/console/`; fleet/console). */
  readonly consoleUrl: string;
  readonly commandKey: Ed25519KeyPair;
  /** The controller identity's PeerId (its MQTT username on the embedded broker). */
  readonly controllerId: string;
  pushRelease(bundle: Uint8Array): Release;
  /** Revokes a device: marked in the registry, then dropped by the embedded broker (EnrolError codes). */
  revoke(deviceId: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startController(o: ControllerOptions): Promise<Controller> {
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const now = () => o.clock.now();
  const random = o.random ?? ((n: number) => new Uint8Array(randomBytes(n)));
  const log = (mod: string) => o.logger.child({ mod });
  const closers: (() => Promise<void> | void)[] = [];
  const stop = async () => {
    for (const close of closers.splice(0).reverse()) {
      try {
        await close();
      } catch (error) {
        o.logger.warn({ err: error }, 'controller part failed to stop');
      }
    }
  };
  try {
    const commandKey = loadOrCreateKey(o.dataDir, 'command', random);
    const identity = loadOrCreateKey(o.dataDir, 'controller', random);
    const controllerId = peerIdOf(identity);
    const registry = Registry.open(join(o.dataDir, 'registry.sqlite'), { random });
    closers.push(() => registry.close());
    const enrolmentStore = RegistryEnrolmentStore.open(join(o.dataDir, 'registry.sqlite'));
    closers.push(() => enrolmentStore.close());
    const enrolment = createEnrolment({ store: enrolmentStore, clock: o.clock, random, logger: log('enrol') });

    let logins: DynsecLogins | undefined;
    if (o.dynsec !== undefined) {
      if (o.broker === 'embedded') throw new ControllerError('BAD_INPUT', 'dynsec needs an external broker (broker: { url })');
      const admin = createDynsecAdmin({ url: o.dynsec.adminUrl ?? o.broker.url, username: o.dynsec.username, password: o.dynsec.password, clientId: `${controllerId}/dynsec`, logger: log('dynsec') });
      await admin.start();
      closers.push(() => admin.stop());
      logins = createDynsecLogins({ admin, random, logger: log('dynsec') });
      const { username, password } = o.broker;
      if (username !== undefined && password !== undefined) {
        await logins.addController(username, password).catch((error: unknown) => {
          if (!(error instanceof DynsecError && /already exists/i.test(error.message))) throw error;
        });
      }
    }

    let broker: FleetBroker | undefined;
    let mqttUrl: string;
    let enrolmentUrl: string | undefined;
    const brokerId = o.brokerId ?? DEFAULT_BROKER_ID;
    if (o.broker === 'embedded' || logins !== undefined) {
      const b = createFleetBroker({
        brokerId,
        devices: registry,
        controllers: { publicKey: (id) => (id === controllerId ? identity.publicKey.bytes : undefined) },
        enrol: (request) => enrolment.enrol(request),
        ...(o.host ? { host: o.host } : {}),
        ...(o.mqttPort !== undefined ? { port: o.mqttPort } : {}),
        clock: o.clock,
        logger: log('broker'),
      });
      broker = b;
      enrolmentUrl = (await b.start()).url;
      mqttUrl = o.broker === 'embedded' ? enrolmentUrl : o.broker.url;
      closers.push(() => b.stop());
    } else {
      mqttUrl = o.broker.url;
    }

    const releases = ReleaseStore.open({ dir: join(o.dataDir, 'repository'), releases: registry.releases, now, random });
    const refresher: TimestampRefresher = createTimestampRefresher({ store: releases, now, logger: log('repository'), ...(o.schedule ? { schedule: o.schedule } : {}) });
    const server: RepositoryServer = createRepositoryServer({ store: releases, logger: log('repository'), ...(o.host ? { host: o.host } : {}), ...(o.httpPort !== undefined ? { port: o.httpPort } : {}) });
    const servedAt = await server.start();
    closers.push(() => server.stop());
    refresher.start();
    closers.push(() => refresher.stop());
    const repositoryUrl = o.repositoryUrl ?? servedAt;

    const link: ControllerLink = await connectControllerLink({
      url: mqttUrl,
      now,
      ...(o.broker === 'embedded'
        ? { identity: { key: identity, brokerId } }
        : { ...(o.broker.username ? { username: o.broker.username } : {}), ...(o.broker.password ? { password: o.broker.password } : {}) }),
    });
    closers.push(() => link.close());
    // One sequence for every command this controller signs: a device refuses a number it has seen (REPLAY, STALE).
    const sequence = createCommandSequence(now);
    let credentials: CredentialsDelivery | undefined;
    if (logins !== undefined && enrolmentUrl !== undefined && o.broker !== 'embedded') {
      const enrolLink = await connectControllerLink({ url: enrolmentUrl, identity: { key: identity, brokerId }, clientSuffix: 'enrolment', now });
      closers.push(() => enrolLink.close());
      const delivery = createCredentialsDelivery({ client: enrolLink.client, logins, commandKey, deviceUrl: o.dynsec?.deviceUrl ?? o.broker.url, enrolled: (id) => registry.publicKey(id) !== undefined, now, sequence, logger: log('credentials') });
      await delivery.start();
      closers.push(() => delivery.stop());
      credentials = delivery;
    }

    const director = createDirectorService({ dir: join(o.dataDir, 'director'), commandKey, publisher: link, repositoryUrl: () => repositoryUrl, now, random });
    closers.push(() => director.close());
    const rollouts = createRolloutDriver({ registry, director, now, logger: log('rollout'), ...(o.tickMs ? { tickMs: o.tickMs } : {}), ...(o.schedule ? { schedule: o.schedule } : {}) });
    closers.push(() => rollouts.stop());
    const revoker = createRevoker({ store: enrolmentStore, logins: [...(broker ? [embeddedBrokerLogins(broker)] : []), ...(logins ? [logins] : [])], clock: o.clock, logger: log('enrol') });
    const history = createHistoryRecorder({ history: registry.history, now, logger: log('history'), ...o.history, ...(o.schedule ? { schedule: o.schedule } : {}) });
    history.start();
    closers.push(() => history.stop());
    const watch = createDeviceWatch({ client: link.client, devices: registry.devices, history, onUpdate: (id, report) => rollouts.report(id, report), now, logger: log('watch') });
    await director.republish();
    // Restore rollouts before reports flow in, so the retained reports the subscription brings find them.
    rollouts.begin();
    await watch.start();
    closers.push(() => watch.stop());
    const commands = await createCommandSender({ client: link.client, commandKey, sequence, now });
    closers.push(() => commands.stop());
    const fleetConsole = createConsole({ registry, now, random, logger: log('console'), ...(o.secureConsoleCookie ? { secureCookie: true } : {}) });
    const metrics = () =>
      metricsText({ devices: () => registry.devices.summary(), releases: () => registry.releases.list().length, rollouts: () => registry.rollouts.list(), watch: () => watch.counts() });
    const api = createControllerApi({ registry, rollouts, console: fleetConsole, tokens: enrolment, commands, metrics, push: (bundle) => releases.pushRelease(bundle), now, ...(o.host ? { host: o.host } : {}), ...(o.apiPort !== undefined ? { port: o.apiPort } : {}) });
    const apiUrl = await api.start();
    closers.push(() => api.stop());

    return {
      registry,
      enrolment,
      releases,
      director,
      rollouts,
      watch,
      history,
      broker,
      mqttUrl,
      enrolmentUrl,
      credentials,
      repositoryUrl,
      apiUrl,
      consoleUrl: new URL('console/', apiUrl).href,
      commandKey,
      controllerId,
      pushRelease: (bundle) => releases.pushRelease(bundle),
      revoke: (deviceId) => revoker.revoke(deviceId),
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}
