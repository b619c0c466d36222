/**
 * The agent's link to its fleet (SPEC §9 "Telemetry and commands over MQTT"): a telemetry client
 * (device/telemetry) under the node identity that publishes the agent's state — retained, on every state change
 * and with each telemetry sample — and hands the fleet's verified commands and desired state to the agent.
 * Desired state goes through the agent's config (refused whole, naming the field, when a value is bad: the
 * refusal is the command result), except its `update` key: the fleet's update offer goes to the update agent
 * (node/fleetproto/update.ts), whose reports ride in the retained state as `update` and go out, each change, as
 * an `events` message `{type: "update", data}`. Commands: `identify` (blink), `status` (the state report as the
 * result), `reload-config`; any other name is answered as unknown.
 *
 * Made only when the config names both a broker (`mqtt.url`) and the fleet's command key (`mqtt.commandKey`).
 */
import type { Logger } from 'pino';
import { type Ed25519KeyPair, fromHex } from '../node/crypto/index.ts';
import {
  type JsonObject,
  updateOfferOf,
  type UpdateOffer,
  type UpdateReport,
  updateReportJson,
  type VerifiedCommand,
  withoutUpdateOffer,
} from '../node/fleetproto/index.ts';
import type { DeviceAgent } from './agent.ts';
import type { DeviceConfig } from './config/schema.ts';
import { DeviceError } from './errors.ts';
import { createTelemetryClient, type TelemetryClient } from './telemetry/index.ts';

export interface FleetLinkOptions {
  readonly agent: DeviceAgent;
  readonly mqtt: DeviceConfig['mqtt'];
  readonly nodeKey: Ed25519KeyPair;
  /** The outbox and accepted sequence numbers (SQLite), under the data dir. */
  readonly storePath: string;
  readonly version: string;
  /** The update agent's side (device-updates.ts); without it an update offer is refused (NOT_STARTED). */
  readonly updates?: UpdateSide;
  readonly logger?: Logger;
}

/** What the link needs of the update agent: hand it offers, read and follow its reports. */
export interface UpdateSide {
  offer(offer: UpdateOffer): void;
  status(): UpdateReport | null;
  onReport(listener: (report: UpdateReport) => void): () => void;
}

export interface FleetLink {
  readonly client: TelemetryClient;
  /**
   * Stops the link: state reports being built are queued, then (up to `flushMs`, default 0) the outbox is given
   * the time to reach the broker while connected — what is left stays queued for the next start — and the client
   * disconnects (`online=false`).
   */
  stop(options?: { readonly flushMs?: number }): Promise<void>;
}

/** How often a flushing stop looks whether the outbox is empty. */
const FLUSH_POLL_MS = 20;

/** The retained `state` report: agent state, role, version, earnings, health and the update's status. */
async function stateReport(agent: DeviceAgent, version: string, updates: UpdateSide | undefined): Promise<JsonObject> {
  const update = updates?.status() ?? null;
  const status = await agent.status();
  const state = status.state;
  const runtime = status.runtime;
  return {
    state: state.name,
    reasons: state.name === 'degraded' ? [...state.reasons] : state.name === 'error' ? [state.reason] : [],
    version,
    role: runtime?.role ?? 'none',
    peerId: status.peerId,
    wallet: status.wallet?.address ?? null,
    earnings: {
      servedRequests: runtime?.earnings.servedRequests ?? 0,
      settled: runtime?.earnings.settled.micro.toString() ?? '0',
      unsettled: runtime?.earnings.unsettled.micro.toString() ?? '0',
    },
    balance: runtime?.balance?.micro.toString() ?? null,
    healthy: status.healthy,
    ...(update === null ? {} : { update: updateReportJson(update) }),
  };
}

export async function startFleetLink(o: FleetLinkOptions): Promise<FleetLink | undefined> {
  const { url, commandKey } = o.mqtt;
  if (url === null || commandKey === null) return undefined;
  const run = async (command: VerifiedCommand) => {
    switch (command.name) {
      case 'identify':
        await o.agent.identify();
        return undefined;
      case 'status':
        return stateReport(o.agent, o.version, o.updates);
      case 'reload-config': {
        const result = o.agent.reloadConfig();
        if (!result.ok) throw result.error;
        return undefined;
      }
      default:
        throw new DeviceError('BAD_TRANSITION', `unknown command ${JSON.stringify(command.name)}`, { field: 'name' });
    }
  };
  const client = createTelemetryClient({
    url,
    brokerId: o.mqtt.brokerId,
    nodeKey: o.nodeKey,
    commandKey: fromHex(commandKey, 'mqtt.commandKey', 32),
    storePath: o.storePath,
    ...(o.mqtt.provisioningToken === null ? {} : { provisioningToken: o.mqtt.provisioningToken }),
    onCommand: run,
    onDesired: (desired) => {
      // Both parts are checked before either is used: a malformed offer or a refused config refuses the whole.
      const offer = updateOfferOf(desired.state);
      if (offer !== undefined && o.updates === undefined) throw new DeviceError('NOT_STARTED', 'an update offer, but the update agent is not running');
      const result = o.agent.applyDesired(withoutUpdateOffer(desired.state));
      if (!result.ok) throw result.error;
      if (offer !== undefined) o.updates?.offer(offer);
    },
    telemetry: {
      intervalMs: o.mqtt.telemetryMs,
      sample: async () => {
        const report = await stateReport(o.agent, o.version, o.updates);
        return { ...report, rssBytes: process.memoryUsage().rss };
      },
    },
    ...(o.logger === undefined ? {} : { logger: o.logger.child({ component: 'fleet-link' }) }),
  });
  await client.start();
  // One report built at a time, in order: a slow one never overwrites a newer one in the retained state.
  let building: Promise<void> = Promise.resolve();
  const publish = () => {
    building = building
      .then(() => stateReport(o.agent, o.version, o.updates))
      .then((report) => void client.publishState(report))
      .catch((error: unknown) => o.logger?.warn({ err: error }, 'state report not queued'));
  };
  const unsubscribe = o.agent.onState(publish);
  const unfollow =
    o.updates?.onReport((report) => {
      try {
        client.publishEvent('update', updateReportJson(report));
      } catch (error) {
        o.logger?.warn({ err: error }, 'update event not queued');
      }
      publish();
    }) ?? (() => {});
  publish();
  return {
    client,
    stop: async (options = {}) => {
      unsubscribe();
      unfollow();
      await building;
      const until = Date.now() + (options.flushMs ?? 0);
      while (client.connected && client.buffered() > 0 && Date.now() < until) await new Promise((done) => setTimeout(done, FLUSH_POLL_MS));
      await client.stop();
    },
  };
}
