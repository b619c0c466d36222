/**
 * The agent's link to its fleet (SPEC §9 "Telemetry and commands over MQTT"): a telemetry client
 * (device/telemetry) under the node identity that publishes the agent's state — retained, on every state change
 * and with each telemetry sample — and hands the fleet's verified commands and desired state to the agent.
 * Desired state goes through the agent's config (refused whole, naming the field, when a value is bad: the
 * refusal is the command result). Commands: `identify` (blink), `status` (the state report as the result),
 * `reload-config`; any other name is answered as unknown.
 *
 * Made only when the config names both a broker (`mqtt.url`) and the fleet's command key (`mqtt.commandKey`).
 */
import type { Logger } from 'pino';
import { type Ed25519KeyPair, fromHex } from '../node/crypto/index.ts';
import type { JsonObject, VerifiedCommand } from '../node/fleetproto/index.ts';
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
  readonly logger?: Logger;
}

export interface FleetLink {
  readonly client: TelemetryClient;
  stop(): Promise<void>;
}

/** The retained `state` report: agent state, role, version, earnings and health. */
async function stateReport(agent: DeviceAgent, version: string): Promise<JsonObject> {
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
        return stateReport(o.agent, o.version);
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
      const result = o.agent.applyDesired(desired.state);
      if (!result.ok) throw result.error;
    },
    telemetry: {
      intervalMs: o.mqtt.telemetryMs,
      sample: async () => {
        const report = await stateReport(o.agent, o.version);
        return { ...report, rssBytes: process.memoryUsage().rss };
      },
    },
    ...(o.logger === undefined ? {} : { logger: o.logger.child({ component: 'fleet-link' }) }),
  });
  await client.start();
  const publish = () => {
    void stateReport(o.agent, o.version)
      .then((report) => client.publishState(report))
      .catch((error: unknown) => o.logger?.warn({ err: error }, 'state report not queued'));
  };
  const unsubscribe = o.agent.onState(publish);
  publish();
  return {
    client,
    stop: async () => {
      unsubscribe();
      await client.stop();
    },
  };
}
