/**
 * TEST ONLY: a device that runs the real update agent (device/update) behind a real MQTT link to the fleet's broker:
 * it logs in with its own login token, takes its retained desired state, opens the envelope under the fleet's
 * command key, hands the update offer to the agent, and publishes each update report in its retained `state` and
 * as an `events` message, as the device's fleet link does. A restart the agent asks for is done in-process (the old
 * agent stops, a new one starts on the same data folder and is given the retained offer again), as the launcher
 * would restart the process into the new slot. Health is the running release's own `health.txt` (healthOfSlot).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type MqttClient } from 'mqtt';
import { createUpdateAgent, readUpdateState, runningSlot, updatePaths, type Judgement, type UpdateAgent } from '../../device/update/index.ts';
import type { Clock } from '../../hal/index.ts';
import type { Ed25519KeyPair } from '../../node/crypto/index.ts';
import {
  CommandVerifier,
  deviceTopics,
  issueLoginToken,
  MemorySequenceStore,
  ONLINE_PAYLOAD,
  OFFLINE_PAYLOAD,
  updateOfferOf,
  updateReportJson,
  type UpdateOffer,
  type UpdateReport,
} from '../../node/fleetproto/index.ts';
import { decodeDocument } from '../../node/update/index.ts';
import type { Identity } from './fleet-mqtt.ts';
import { healthOfSlot } from './update-device.ts';

/** Wall time (the agent judges metadata and lock expiry on it) with real timers. */
export const wallClock: Clock = { now: () => Date.now(), setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (t) => clearTimeout(t as ReturnType<typeof setTimeout>) };

export interface AgentDeviceOptions {
  readonly identity: Identity;
  readonly commandKey: Ed25519KeyPair;
  readonly initialRoots: { readonly image: Uint8Array; readonly director: Uint8Array };
  readonly judgement: Judgement;
}

export class AgentDevice {
  readonly id: string;
  readonly dataDir: string;
  /** The target each distinct director document named, in order of arrival. */
  readonly offered: string[] = [];
  readonly reports: UpdateReport[] = [];
  /** Time of each install (`installed` report), by target. */
  readonly installedAt = new Map<string, number>();
  readonly #o: AgentDeviceOptions;
  readonly #verifier: CommandVerifier;
  readonly #versions = new Set<number>();
  #client: MqttClient | undefined;
  #agent: UpdateAgent | undefined;
  #retained: UpdateOffer | undefined;
  #closed = false;
  #rebooting: Promise<void> = Promise.resolve();

  constructor(options: AgentDeviceOptions) {
    this.#o = options;
    this.id = options.identity.id;
    this.dataDir = mkdtempSync(join(tmpdir(), 'ame-agent-device-'));
    this.#verifier = new CommandVerifier({ deviceId: this.id, commandKey: options.commandKey.publicKey, sequences: new MemorySequenceStore() });
  }

  /** The target name the device runs (null: the flashed release). */
  running(): string | null {
    return readUpdateState(updatePaths(this.dataDir).state).running?.name ?? null;
  }

  /** The running release's own file (its health.txt, its version file …); null on the flashed release. */
  runningSlot(): string | null {
    return runningSlot(this.dataDir);
  }

  async connect(url: string, brokerId: string): Promise<void> {
    await this.#boot();
    const topics = deviceTopics(this.id);
    const client = connect(url, {
      protocolVersion: 4,
      clientId: this.id,
      username: this.id,
      password: issueLoginToken(this.#o.identity.key, { brokerId, now: Date.now() }),
      reconnectPeriod: 0,
      connectTimeout: 30_000,
      will: { topic: topics.online, payload: Buffer.from(OFFLINE_PAYLOAD), qos: 1, retain: true },
    });
    client.on('error', () => undefined);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('close', () => reject(new Error(`device ${this.id} closed before CONNACK`)));
    });
    this.#client = client;
    client.on('message', (_topic, payload) => this.#onDesired(new Uint8Array(payload)));
    await client.publishAsync(topics.online, ONLINE_PAYLOAD, { qos: 1, retain: true });
    await this.#publish(null);
    await client.subscribeAsync(topics.desired, { qos: 1 });
  }

  async close(): Promise<void> {
    this.#closed = true;
    await this.#rebooting;
    await this.#agent?.stop();
    await this.#client?.endAsync(true);
    rmSync(this.dataDir, { recursive: true, force: true });
  }

  async #boot(): Promise<void> {
    const agent = createUpdateAgent({
      dataDir: this.dataDir,
      deviceId: this.id,
      clock: wallClock,
      initialRoots: this.#o.initialRoots,
      health: async () => healthOfSlot(runningSlot(this.dataDir)),
      restart: async () => {
        // Like the process exiting for the launcher: the next agent starts once this one has stopped.
        this.#rebooting = new Promise<void>((resolve) => setImmediate(resolve)).then(async () => {
          await agent.stop();
          if (!this.#closed) await this.#boot();
        });
      },
      report: (report) => {
        this.reports.push(report);
        if (report.status === 'installed' && report.target !== null) this.installedAt.set(report.target, Date.now());
        void this.#publish(report).catch(() => undefined);
      },
      judgement: this.#o.judgement,
      retryMs: 500,
      lockPollMs: 200,
    });
    this.#agent = agent;
    await agent.start();
    if (this.#retained !== undefined) agent.offer(this.#retained);
  }

  #onDesired(payload: Uint8Array): void {
    const desired = this.#verifier.open('desired', payload);
    const offer = updateOfferOf(desired.state);
    if (offer === undefined) return;
    const director = decodeDocument('director', offer.director).signed;
    if (!this.#versions.has(director.version)) {
      this.#versions.add(director.version);
      this.offered.push(director.target.name);
    }
    this.#retained = offer;
    this.#agent?.offer(offer);
  }

  async #publish(report: UpdateReport | null): Promise<void> {
    const client = this.#client;
    if (client === undefined) return;
    const topics = deviceTopics(this.id);
    const running = this.running();
    const state = { state: 'serving', version: running ?? 'flashed', role: 'temporary', healthy: true, ...(report === null ? {} : { update: updateReportJson(report) }) };
    await client.publishAsync(topics.state, JSON.stringify(state), { qos: 1, retain: true });
    if (report !== null) await client.publishAsync(topics.events, JSON.stringify({ type: 'update', data: updateReportJson(report) }), { qos: 1 });
  }
}
