/**
 * What `ame device` runs (SPEC §9, §10; docs/device.md): the device agent, and — once the boot sequence has read
 * the node identity (the `connecting` state, or the error state of a device that has one) — the update agent and,
 * when the config names a fleet, the fleet link between them and the broker. The update agent starts at every
 * boot, fleet or not, so a release on trial is judged or rolled back.
 *
 * The process ends in one of two ways: stop() (a signal), exit code 0; or the update agent switching slots, exit
 * code 75 (RESTART_EXIT_CODE, EX_TEMPFAIL): everything is stopped cleanly first — the update agent, the fleet link
 * after its outbox had a moment to reach the broker (the `installed` report), the device agent (node, watchdog,
 * unclean-stop marker) — and the launcher starts the process again from `runningSlot(dataDir)`. This module
 * never exits the process itself: `exited` resolves and the caller does.
 */
import { join } from 'node:path';
import { type Logger, pino } from 'pino';
import { systemClock } from '../hal/index.ts';
import { createDeviceAgent, type DeviceAgent, type DeviceAgentOptions } from './agent.ts';
import type { DeviceConfigStore } from './config/store.ts';
import { startDeviceUpdates, type DeviceUpdates } from './device-updates.ts';
import { describeError } from './errors.ts';
import { type FleetLink, startFleetLink } from './fleet-link.ts';
import { deviceLayout } from './layout.ts';
import { type NodeIdentity, readNodeIdentity } from './provisioning/identity.ts';

/** The exit code that asks the launcher for a restart into the running slot (sysexits' EX_TEMPFAIL). */
export const RESTART_EXIT_CODE = 75;
/** How long a restart waits for queued fleet messages (the `installed` report) to reach the broker. */
const RESTART_FLUSH_MS = 5_000;

export interface DeviceProcessOptions extends DeviceAgentOptions {
  readonly config: DeviceConfigStore;
  /** This release's version, in the state reports. */
  readonly version: string;
  /** The update agent's HTTP client (default: global fetch). */
  readonly fetch?: typeof fetch;
  /** Called with the agent before it starts (its first states are dispatched during start()). */
  readonly beforeStart?: (agent: DeviceAgent) => void;
}

export interface DeviceExit {
  /** 0 after stop(); RESTART_EXIT_CODE when the update agent switched slots. */
  readonly code: number;
  /** For a restart: the slot to run (null: the release the device was flashed with). */
  readonly slot?: string | null;
}

export interface DeviceProcess {
  readonly agent: DeviceAgent;
  /** The update agent's side, once started (undefined before the identity is known, or when it failed to start). */
  updates(): DeviceUpdates | undefined;
  /** The fleet link, once started (undefined without a fleet in the config). */
  link(): FleetLink | undefined;
  /** Resolves once everything stopped, with the code the process is to exit with. */
  readonly exited: Promise<DeviceExit>;
  /** Stops everything (exit code 0, unless a restart was already under way). */
  stop(): Promise<DeviceExit>;
}

export async function startDeviceProcess(options: DeviceProcessOptions): Promise<DeviceProcess> {
  const logger: Logger = options.logger ?? pino({ enabled: false });
  const clock = options.clock ?? systemClock;
  const wallNow = options.wallNow ?? Date.now;
  const agent = createDeviceAgent(options);
  const layout = deviceLayout(options.config.current().dataDir);
  let updates: DeviceUpdates | undefined;
  let link: FleetLink | undefined;
  let parts: Promise<void> | undefined;
  let stopping: Promise<DeviceExit> | undefined;
  let announce: (exit: DeviceExit) => void = () => {};
  const exited = new Promise<DeviceExit>((resolve) => (announce = resolve));

  const shutdown = (exit: DeviceExit): Promise<DeviceExit> =>
    (stopping ??= (async () => {
      await parts;
      // The update agent first: what it reports while stopping still goes out through the link.
      await updates?.stop().catch((error: unknown) => logger.error({ err: error }, 'the update agent did not stop cleanly'));
      await link?.stop({ flushMs: exit.code === RESTART_EXIT_CODE ? RESTART_FLUSH_MS : 0 }).catch((error: unknown) => logger.error({ err: error }, 'the fleet link did not stop cleanly'));
      await agent.stop();
      announce(exit);
      return exit;
    })());

  const startParts = async (identity: NodeIdentity): Promise<void> => {
    const config = agent.config();
    try {
      updates = await startDeviceUpdates({
        agent,
        deviceId: identity.peerId,
        config,
        clock,
        wallNow,
        restart: (slot) => {
          logger.warn({ slot }, 'restarting into another release');
          void shutdown({ code: RESTART_EXIT_CODE, slot });
        },
        ...(options.fetch === undefined ? {} : { fetch: options.fetch }),
        logger,
      });
    } catch (error) {
      // A damaged state.json or trust.json: the node still serves, and says why it does not update.
      logger.error({ err: error }, `the update agent did not start: ${describeError(error)}`);
    }
    if (stopping !== undefined) return;
    try {
      link = await startFleetLink({
        agent,
        mqtt: config.mqtt,
        nodeKey: identity.key,
        storePath: join(layout.agentDir, 'fleet-outbox.sqlite'),
        version: options.version,
        ...(updates === undefined ? {} : { updates }),
        logger,
      });
    } catch (error) {
      // A broker that cannot be reached is retried by the link itself; this is a config it cannot use.
      logger.error({ err: error }, 'the fleet link did not start');
    }
  };

  agent.onState((state) => {
    if (parts !== undefined || stopping !== undefined || (state.name !== 'connecting' && state.name !== 'error')) return;
    let identity: NodeIdentity | null = null;
    try {
      identity = readNodeIdentity(layout);
    } catch {
      // a damaged identity: the boot sequence reports it; nothing here can use it
    }
    if (identity !== null) parts = startParts(identity);
  });

  options.beforeStart?.(agent);
  await agent.start();
  return {
    agent,
    updates: () => updates,
    link: () => link,
    exited,
    stop: () => shutdown({ code: 0 }),
  };
}
