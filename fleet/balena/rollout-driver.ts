/**
 * Drives fleet/rollout's engine over a balenaCloud fleet (SPEC §10), as fleet/controller's driver does over MQTT:
 * `assign` pins a device to the new release, `revert` pins it back to the previous one; balena's supervisor then
 * installs whatever a device is pinned to. Verdicts come from polling the devices: a device running the release
 * whose agent says `healthy` for it is healthy, an agent verdict `failed` / `rolled-back` for it is a failure.
 * When the last phase passes the fleet itself is pinned to the release and the rollout's devices are unpinned, so
 * devices added later get the release too.
 *
 * One rollout at a time: the fleet's pin is one value, and two rollouts would fight over it. The fleet must be
 * pinned to the plan's previous release when a rollout starts (a fleet tracking the latest release would install
 * a new release everywhere at once, which is what a rollout is there to prevent).
 */
import { intervalScheduler, type Scheduler } from '../repository/index.ts';
import { Rollout, type FleetDevice, type ReportStatus, type RolloutAction, type RolloutPlan, type RolloutProgress, type RolloutSnapshot } from '../rollout/index.ts';
import type { BalenaBackend, BalenaDeviceStatus } from './backend.ts';
import { BalenaError } from './errors.ts';

export interface BalenaDriverLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface BalenaRolloutDriverOptions {
  readonly backend: Pick<BalenaBackend, 'pinDevices' | 'unpinDevices' | 'pinFleet' | 'fleetTarget' | 'deviceStatus'>;
  readonly now: () => number;
  /** How often the devices are polled (default 10 s: balenaCloud rate-limits its API). */
  readonly pollMs?: number;
  readonly schedule?: Scheduler;
  /** Called with the engine's state after every engine call, before its actions run: store it to survive a restart. */
  readonly onSnapshot?: (snapshot: RolloutSnapshot) => void;
  readonly logger?: BalenaDriverLogger;
}

export interface BalenaRolloutDriver {
  /** Starts a rollout over `devices` (default: every device of the fleet, groups from its AME_GROUPS tag). */
  start(id: string, plan: RolloutPlan, devices?: readonly FleetDevice[]): Promise<RolloutProgress>;
  /** Continues a rollout from a stored snapshot, re-sending the pins it says were sent. */
  restore(snapshot: unknown): Promise<RolloutProgress>;
  pause(id: string): Promise<RolloutProgress>;
  resume(id: string): Promise<RolloutProgress>;
  abort(id: string, reason: string): Promise<RolloutProgress>;
  progress(id: string): RolloutProgress;
  /** One round: read every device, feed the verdicts and time to the engine, carry out what it asks. */
  poll(): Promise<void>;
  /** Starts polling every `pollMs`. */
  begin(): void;
  stop(): Promise<void>;
}

interface Entry {
  readonly rollout: Rollout;
  /** The fleet is pinned to the release and the devices unpinned (only once the rollout is done). */
  finalised: boolean;
}

const never = (): boolean => false;

/** What a device's status says about `release`, or null when it says nothing yet. */
export function verdictOf(device: BalenaDeviceStatus, release: string): ReportStatus | null {
  const agent = device.agent?.release === release ? device.agent.status : null;
  if (agent === 'failed' || agent === 'rolled-back') return agent;
  if (device.running !== release) return null;
  return agent === 'healthy' ? 'healthy' : 'installed';
}

export function createBalenaRolloutDriver(o: BalenaRolloutDriverOptions): BalenaRolloutDriver {
  const rollouts = new Map<string, Entry>();
  let current: Entry | undefined;
  /** Pins that failed to go out: re-sent at the next poll, after anything newer for the same device is known. */
  let retry: RolloutAction[] = [];
  let polling: Promise<void> = Promise.resolve();
  let cancelTimer: (() => void) | undefined;
  let stopped = false;

  const live = (): boolean => {
    const state = current?.rollout.progress().state;
    return state === 'running' || state === 'paused';
  };

  const get = (id: string): Entry => {
    const entry = rollouts.get(id);
    if (entry === undefined) throw new BalenaError('NOT_FOUND', `no rollout ${id}`);
    return entry;
  };

  /** Pins in order, batching consecutive pins to the same release into one API call. */
  const carryOut = async (actions: readonly RolloutAction[]) => {
    // A newer pin for a device supersedes an older one still waiting for its retry.
    const newer = new Set(actions.map((a) => a.device));
    retry = retry.filter((a) => !newer.has(a.device));
    const batches: { release: string; actions: RolloutAction[] }[] = [];
    for (const action of actions) {
      const last = batches.at(-1);
      if (last?.release === action.release) last.actions.push(action);
      else batches.push({ release: action.release, actions: [action] });
    }
    for (const batch of batches) {
      const uuids = batch.actions.map((a) => a.device);
      try {
        await o.backend.pinDevices(uuids, batch.release);
        o.logger?.info({ devices: uuids, release: batch.release, actions: batch.actions.map((a) => a.kind) }, 'devices pinned');
      } catch (error) {
        // A malformed uuid or commit will never go out: retrying it would only repeat the warning forever.
        const hopeless = error instanceof BalenaError && error.code === 'BAD_INPUT';
        o.logger?.warn({ devices: uuids, release: batch.release, err: error }, hopeless ? 'pinning refused' : 'pinning failed; retrying at the next poll');
        if (!hopeless) retry.push(...batch.actions);
      }
    }
  };

  const step = async (entry: Entry, call: (now: number) => RolloutAction[]): Promise<RolloutProgress> => {
    const actions = call(o.now());
    o.onSnapshot?.(entry.rollout.snapshot());
    await carryOut(actions);
    return entry.rollout.progress();
  };

  /** Done: the fleet takes the release, then its devices follow the fleet (in this order, so none flips back). */
  const finalise = async (entry: Entry) => {
    const s = entry.rollout.snapshot();
    const assigned = s.devices.filter((d) => d.assignedAt !== null && !d.reverted).map((d) => d.id);
    try {
      await o.backend.pinFleet(s.plan.release);
      await o.backend.unpinDevices(assigned);
      entry.finalised = true;
      o.logger?.info({ rollout: s.id, release: s.plan.release, unpinned: assigned.length }, 'fleet pinned to the release');
    } catch (error) {
      o.logger?.warn({ rollout: s.id, err: error }, 'pinning the fleet failed; retrying at the next poll');
    }
  };

  const round = async () => {
    const entry = current;
    if (entry === undefined) return;
    const { rollout } = entry;
    const again = retry;
    retry = [];
    await carryOut(again);
    if (live()) {
      let devices: BalenaDeviceStatus[] | undefined;
      try {
        devices = await o.backend.deviceStatus();
      } catch (error) {
        o.logger?.warn({ rollout: rollout.id, err: error }, 'reading device status failed; the engine only ticks');
      }
      const s = rollout.snapshot();
      const watched = new Set(s.devices.filter((d) => d.status === 'in-flight' || d.status === 'healthy').map((d) => d.id));
      const actions: RolloutAction[] = [];
      for (const device of devices ?? []) {
        if (!watched.has(device.uuid)) continue;
        const verdict = verdictOf(device, s.plan.release);
        if (verdict !== null) actions.push(...rollout.report(device.uuid, verdict, o.now()));
      }
      actions.push(...rollout.tick(o.now()));
      o.onSnapshot?.(rollout.snapshot());
      await carryOut(actions);
    }
    if (rollout.progress().state === 'done' && !entry.finalised) await finalise(entry);
  };

  const fleet = async (): Promise<FleetDevice[]> =>
    (await o.backend.deviceStatus()).map((d) => ({ id: d.uuid, groups: d.groups, ...(d.running === null ? {} : { release: d.running }) }));

  const admit = async (rollout: Rollout): Promise<Entry> => {
    if (stopped) throw new BalenaError('CLOSED', 'the balena rollout driver is stopped');
    if (live()) throw new BalenaError('BAD_STATE', `rollout ${current?.rollout.id ?? ''} is still ${current?.rollout.progress().state ?? ''}: one rollout at a time`);
    const entry: Entry = { rollout, finalised: false };
    rollouts.set(rollout.id, entry);
    current = entry;
    return entry;
  };

  const serial = <T>(fn: () => Promise<T>): Promise<T> => {
    const result = polling.then(fn);
    polling = result.then(
      () => undefined,
      () => undefined,
    );
    return result;
  };

  return {
    start: (id, plan, devices) =>
      serial(async () => {
        if (live()) throw new BalenaError('BAD_STATE', `rollout ${current?.rollout.id ?? ''} is still running: one rollout at a time`);
        const target = await o.backend.fleetTarget();
        if (target.tracksLatest || target.release !== plan.previousRelease) {
          const now = target.tracksLatest ? 'tracks the latest release' : `is pinned to ${target.release ?? 'nothing'}`;
          throw new BalenaError('BAD_STATE', `the fleet ${now}; pin it to plan.previousRelease ${plan.previousRelease} before a rollout`);
        }
        const rollout = Rollout.start({ id, plan, devices: devices ?? (await fleet()), locked: never, now: o.now() });
        return step(await admit(rollout), (now) => rollout.tick(now));
      }),
    restore: (snapshot) =>
      serial(async () => {
        const rollout = Rollout.restore(snapshot, never);
        const entry = await admit(rollout);
        const s = rollout.snapshot();
        // A crash between the snapshot and the pins leaves pins unsent; pinning again is harmless.
        retry = s.devices
          .filter((d) => d.assignedAt !== null)
          .map((d): RolloutAction => (d.reverted ? { kind: 'revert', device: d.id, release: s.plan.previousRelease } : { kind: 'assign', device: d.id, release: s.plan.release }));
        return entry.rollout.progress();
      }),
    pause: (id) => serial(() => step(get(id), (now) => get(id).rollout.pause(now))),
    resume: (id) => serial(() => step(get(id), (now) => get(id).rollout.resume(now))),
    abort: (id, reason) => serial(() => step(get(id), (now) => get(id).rollout.abort(reason, now))),
    progress: (id) => get(id).rollout.progress(),
    poll: () => serial(round),
    begin() {
      if (stopped) throw new BalenaError('CLOSED', 'the balena rollout driver is stopped');
      let busy = false;
      cancelTimer ??= (o.schedule ?? intervalScheduler)(o.pollMs ?? 10_000, () => {
        if (busy || stopped) return;
        busy = true;
        serial(round)
          .catch((error: unknown) => o.logger?.warn({ err: error }, 'poll failed'))
          .finally(() => (busy = false));
      });
    },
    async stop() {
      stopped = true;
      cancelTimer?.();
      cancelTimer = undefined;
      await polling;
    },
  };
}
