/**
 * The update agent (device/update, SPEC §10) as `ame device` runs it: started at every boot once the identity is
 * known, judging a new release by the device agent's own health, trusting the root documents shipped on the boot
 * partition, timed on the device's wall clock, and telling its reports to whoever follows them (the fleet link).
 *
 * Trusted time is the system's wall clock (`wallNow`, Date.now): on the device it is kept by NTP
 * (systemd-timesyncd). The light client's consensus time is not used: it is known only once the node is connected,
 * and a trial must be judged (or rolled back) also when it never connects. A clock far behind can make expired
 * metadata look fresh until NTP corrects it; one far ahead makes fresh metadata look expired (refused: EXPIRED).
 */
import type { Logger } from 'pino';
import type { Clock } from '../hal/index.ts';
import type { UpdateReport } from '../node/fleetproto/index.ts';
import type { DeviceAgent } from './agent.ts';
import type { DeviceConfig } from './config/schema.ts';
import type { UpdateSide } from './fleet-link.ts';
import { describeState } from './state-machine.ts';
import { createUpdateAgent, type HealthCheck, readShippedRoots, type UpdateAgent } from './update/index.ts';

export interface DeviceUpdates extends UpdateSide {
  readonly agent: UpdateAgent;
  stop(): Promise<void>;
}

export interface DeviceUpdatesOptions {
  readonly agent: DeviceAgent;
  /** The node's PeerId: the director's documents must name it. */
  readonly deviceId: string;
  readonly config: DeviceConfig;
  /** Timers (the agent's clock). */
  readonly clock: Clock;
  /** Trusted wall time, ms. */
  readonly wallNow: () => number;
  /**
   * Called once the new slot (or, after a failed trial, the previous one; null: the flashed release) is on disk:
   * the process is to stop and start again from it. Must not wait for the update agent to stop (it is called
   * from the agent's own job).
   */
  readonly restart: (slot: string | null) => void;
  readonly fetch?: typeof fetch;
  readonly logger?: Logger;
}

/**
 * The device is healthy for a new release when the agent is serving (or promoted), the supervisor's checks pass
 * and the node has peers: a release that cannot reach the network, register or keep its checks green fails.
 */
export function deviceHealth(agent: DeviceAgent): HealthCheck {
  return async () => {
    const status = await agent.status();
    const state = status.state;
    if (state.name !== 'serving' && state.name !== 'promoted') return { ok: false, reason: `the agent is ${describeState(state)}, not serving` };
    if (!status.healthy) return { ok: false, reason: "the supervisor's health checks are failing" };
    if ((status.runtime?.connectedPeers ?? 0) === 0) return { ok: false, reason: 'no peers connected' };
    return { ok: true };
  };
}

/** Starts the update agent: a trial on disk is judged (or rolled back) from here on. */
export async function startDeviceUpdates(o: DeviceUpdatesOptions): Promise<DeviceUpdates> {
  const listeners = new Set<(report: UpdateReport) => void>();
  const agent = createUpdateAgent({
    dataDir: o.config.dataDir,
    deviceId: o.deviceId,
    clock: { now: o.wallNow, setTimeout: (fn, ms) => o.clock.setTimeout(fn, ms), clearTimeout: (timer) => o.clock.clearTimeout(timer) },
    initialRoots: readShippedRoots(o.config.bootDir),
    health: deviceHealth(o.agent),
    restart: async (slot) => o.restart(slot),
    report: (report) => {
      for (const listener of [...listeners]) listener(report);
    },
    judgement: o.config.trial,
    ...(o.fetch === undefined ? {} : { fetch: o.fetch }),
    ...(o.logger === undefined ? {} : { logger: o.logger }),
  });
  await agent.start();
  return {
    agent,
    offer: (offer) => agent.offer(offer),
    status: () => agent.status(),
    onReport(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    stop: () => agent.stop(),
  };
}
