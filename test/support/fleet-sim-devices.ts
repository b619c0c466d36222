/**
 * Simulated devices that answer update offers over real MQTT — not the device's update agent (the lead tests
 * that): each logs in with its own login token, takes its retained desired state, checks the envelope under the
 * command key, reads the director document's version and target, and reports through its retained `state` what
 * its behaviour says for that target. `hold` keeps offers unanswered until `answerHeld()`. It answers every `cmd`
 * on `cmd/result`: ok for a command the command key signed, the refusal's code otherwise (the device's check).
 */
import { connect, type MqttClient } from 'mqtt';
import type { Ed25519KeyPair } from '../../node/crypto/index.ts';
import {
  CommandVerifier,
  deviceTopics,
  issueLoginToken,
  MemorySequenceStore,
  ONLINE_PAYLOAD,
  OFFLINE_PAYLOAD,
  updateOfferOf,
  type UpdateStatus,
} from '../../node/fleetproto/index.ts';
import { decodeDocument } from '../../node/update/index.ts';
import type { Identity } from './fleet-mqtt.ts';

export interface Offer {
  readonly version: number;
  readonly target: string;
}

/** What a device reports, in order, when offered `target`; 'hold' answers later. */
export type Behaviour = (target: string) => readonly UpdateStatus[] | 'hold';

export class SimUpdateDevice {
  readonly id: string;
  /** Every distinct director document received, in order. */
  readonly offers: Offer[] = [];
  behaviour: Behaviour;
  #client: MqttClient | undefined;
  #held: string | undefined;
  #running: string | null = null;
  readonly #identity: Identity;
  readonly #verifier: CommandVerifier;

  constructor(identity: Identity, commandKey: Ed25519KeyPair, behaviour: Behaviour) {
    this.id = identity.id;
    this.#identity = identity;
    this.behaviour = behaviour;
    this.#verifier = new CommandVerifier({ deviceId: identity.id, commandKey: commandKey.publicKey, sequences: new MemorySequenceStore() });
  }

  async connect(url: string, brokerId: string): Promise<void> {
    const topics = deviceTopics(this.id);
    const client = connect(url, {
      protocolVersion: 4,
      clientId: this.id,
      username: this.id,
      password: issueLoginToken(this.#identity.key, { brokerId, now: Date.now() }),
      reconnectPeriod: 0,
      connectTimeout: 10_000,
      will: { topic: topics.online, payload: Buffer.from(OFFLINE_PAYLOAD), qos: 1, retain: true },
    });
    client.on('error', () => undefined);
    client.on('connect', () => (client.stream as { setNoDelay?: (on: boolean) => void }).setNoDelay?.(true));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('close', () => reject(new Error(`device ${this.id} closed before CONNACK`)));
    });
    this.#client = client;
    client.on('message', (topic, payload) => (topic === topics.cmd ? this.#onCommand(new Uint8Array(payload)) : this.#onDesired(new Uint8Array(payload))));
    await client.publishAsync(topics.online, ONLINE_PAYLOAD, { qos: 1, retain: true });
    await this.#publishState(null);
    await client.subscribeAsync([topics.desired, topics.cmd], { qos: 1 });
  }

  /** Answers the offer held back by a 'hold' behaviour, with what the behaviour says now. */
  answerHeld(): void {
    const target = this.#held;
    this.#held = undefined;
    if (target !== undefined) this.#answer(target);
  }

  get targets(): string[] {
    return this.offers.map((o) => o.target);
  }

  async close(): Promise<void> {
    await this.#client?.endAsync(true);
    this.#client = undefined;
  }

  #onCommand(payload: Uint8Array): void {
    let result: Record<string, unknown>;
    try {
      const command = this.#verifier.open('cmd', payload);
      result = { kind: 'cmd', seq: command.seq, ok: true, detail: command.name };
    } catch (error) {
      result = { kind: 'cmd', seq: null, ok: false, code: (error as { code?: string }).code ?? 'FAILED' };
    }
    void this.#client?.publishAsync(deviceTopics(this.id).cmdResult, JSON.stringify(result), { qos: 1 }).catch(() => undefined);
  }

  #onDesired(payload: Uint8Array): void {
    const desired = this.#verifier.open('desired', payload);
    const offer = updateOfferOf(desired.state);
    if (offer === undefined) return;
    const director = decodeDocument('director', offer.director).signed;
    if (this.offers.some((o) => o.version === director.version)) return; // the same document re-delivered
    if (this.offers.length > 0 && director.version < this.offers.at(-1)!.version) throw new Error(`${this.id}: director version went back`);
    this.offers.push({ version: director.version, target: director.target.name });
    this.#answer(director.target.name);
  }

  #answer(target: string): void {
    const statuses = this.behaviour(target);
    if (statuses === 'hold') {
      this.#held = target;
      return;
    }
    void (async () => {
      for (const status of statuses) {
        if (status === 'healthy') this.#running = target;
        await this.#publishState({ status, target, running: this.#running });
      }
    })().catch(() => undefined);
  }

  async #publishState(update: { status: UpdateStatus; target: string; running: string | null } | null): Promise<void> {
    const state = { state: 'serving', reasons: [], version: this.#running ?? 'flashed', role: 'temporary', healthy: true, earnings: { servedRequests: 0 }, ...(update ? { update } : {}) };
    await this.#client?.publishAsync(deviceTopics(this.id).state, JSON.stringify(state), { qos: 1, retain: true });
  }
}
