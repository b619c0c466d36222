/**
 * Drives fleet/rollout's engine against the real fleet (SPEC §10): every engine call is followed by a snapshot in
 * the registry, its `assign` actions become director documents naming the new release (published in the device's
 * desired state) and its `revert` actions director documents naming the previous one — a fleet revert is newer
 * director metadata naming the older target. Device update reports feed `report`; a timer feeds `tick`; the
 * registry's update locks are the engine's lock check.
 *
 * Restart safety: the snapshot is saved before the actions run, and restoring compares every assigned device's
 * director record with what the snapshot says it should run, re-sending whatever a crash left unsent. A director
 * document that fails to go out (broker down) is retried at the next tick.
 */
import { fromHex } from '../../node/crypto/index.ts';
import type { UpdateReport } from '../../node/fleetproto/index.ts';
import type { DirectorTarget } from '../../node/update/index.ts';
import type { Registry } from '../registry/index.ts';
import { intervalScheduler, type Scheduler } from '../repository/index.ts';
import {
  REPORT_STATUSES,
  Rollout,
  type FleetDevice,
  type ReportStatus,
  type RolloutAction,
  type RolloutPlan,
  type RolloutProgress,
  type RolloutSnapshot,
} from '../rollout/index.ts';
import type { DirectorService } from './director-service.ts';
import { ControllerError } from './errors.ts';

export interface DriverLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface RolloutDriverOptions {
  readonly registry: Pick<Registry, 'rollouts' | 'releases' | 'locks' | 'devices'>;
  readonly director: Pick<DirectorService, 'assign' | 'current'>;
  readonly now: () => number;
  /** How often rollouts tick (default 1 s): timeouts, rate windows, released locks. */
  readonly tickMs?: number;
  readonly schedule?: Scheduler;
  readonly logger?: DriverLogger;
}

export interface RolloutDriver {
  /** Starts a rollout of `plan` over `devices` (default: every enrolled device with its groups). */
  start(id: string, plan: RolloutPlan, devices?: readonly FleetDevice[]): RolloutProgress;
  pause(id: string): RolloutProgress;
  resume(id: string): RolloutProgress;
  abort(id: string, reason: string): RolloutProgress;
  progress(id: string): RolloutProgress;
  /** A device's update report (from the device watch). Reports about other targets are ignored. */
  report(deviceId: string, report: UpdateReport): void;
  /** Runs every active rollout's tick now (the timer calls it too). */
  tick(): void;
  /** Restores the running and paused rollouts from the registry and starts the timer. */
  begin(): void;
  /** Resolves once every action issued so far has been carried out (or failed and queued for retry). */
  settled(): Promise<void>;
  stop(): Promise<void>;
}

interface Active {
  readonly rollout: Rollout;
  /** Target name of plan.release: device reports name targets, the engine names releases. */
  readonly target: string;
}

const REPORTABLE: ReadonlySet<string> = new Set(REPORT_STATUSES);

export function createRolloutDriver(o: RolloutDriverOptions): RolloutDriver {
  const { registry } = o;
  const active = new Map<string, Active>();
  const locked = registry.locks.isLocked;
  const retry: RolloutAction[] = [];
  let work: Promise<void> = Promise.resolve();
  let cancelTimer: (() => void) | undefined;
  let stopped = false;

  const targetOf = (releaseId: string): DirectorTarget => {
    const release = registry.releases.get(releaseId);
    if (release === undefined) throw new ControllerError('NOT_FOUND', `no release ${releaseId}`);
    return { name: release.target, length: release.length, sha256: fromHex(release.id, 'release id', 32) };
  };

  const carryOut = async (action: RolloutAction) => {
    try {
      await o.director.assign(action.device, targetOf(action.release));
      o.logger?.info({ device: action.device, action: action.kind, release: action.release }, 'director assignment sent');
    } catch (error) {
      o.logger?.warn({ device: action.device, action: action.kind, err: error }, 'director assignment failed; retrying at the next tick');
      retry.push(action);
    }
  };

  const enqueue = (actions: readonly RolloutAction[]) => {
    if (actions.length === 0) return;
    work = work.then(async () => {
      for (const action of actions) await carryOut(action);
    });
  };

  /** Saves the snapshot, then carries out the actions: a crash in between is healed by `reconcile`. */
  const step = (id: string, rollout: Rollout, call: (now: number) => RolloutAction[]): RolloutProgress => {
    const actions = call(o.now());
    registry.rollouts.save(id, { status: rollout.progress().state, state: rollout.snapshot() }, o.now());
    enqueue(actions);
    return rollout.progress();
  };

  const get = (id: string): Active => {
    const found = active.get(id);
    if (found !== undefined) return found;
    const record = registry.rollouts.get(id);
    if (record === undefined) throw new ControllerError('NOT_FOUND', `no rollout ${id}`);
    return load(id, record.state);
  };

  const load = (id: string, state: unknown): Active => {
    const rollout = Rollout.restore(state, locked);
    const plan = (state as RolloutSnapshot).plan;
    const entry = { rollout, target: targetOf(plan.release).name };
    active.set(id, entry);
    return entry;
  };

  /** Re-sends what the snapshot says a device should have been sent, where the director record disagrees. */
  const reconcile = (state: RolloutSnapshot) => {
    const actions: RolloutAction[] = [];
    for (const device of state.devices) {
      if (device.assignedAt === null) continue;
      const release = device.reverted ? state.plan.previousRelease : state.plan.release;
      if (o.director.current(device.id)?.target.name !== targetOf(release).name) {
        actions.push({ kind: device.reverted ? 'revert' : 'assign', device: device.id, release });
      }
    }
    enqueue(actions);
  };

  const fleet = (): FleetDevice[] => {
    const devices: FleetDevice[] = [];
    let after: string | undefined;
    for (;;) {
      const page = registry.devices.query(after === undefined ? { limit: 500 } : { after, limit: 500 });
      for (const d of page.devices) devices.push({ id: d.id, groups: d.groups });
      if (page.next === null) return devices;
      after = page.next;
    }
  };

  const tick = () => {
    if (stopped) return;
    enqueue(retry.splice(0));
    for (const [id, { rollout }] of active) {
      const state = rollout.progress().state;
      if (state === 'running' || state === 'paused') step(id, rollout, (now) => rollout.tick(now));
    }
  };

  return {
    start(id, plan, devices) {
      if (stopped) throw new ControllerError('CLOSED', 'the rollout driver is stopped');
      targetOf(plan.release);
      targetOf(plan.previousRelease);
      const rollout = Rollout.start({ id, plan, devices: devices ?? fleet(), locked, now: o.now() });
      registry.rollouts.create({ id, release: plan.release, previousRelease: plan.previousRelease, status: 'running', state: rollout.snapshot() }, o.now());
      active.set(id, { rollout, target: targetOf(plan.release).name });
      return step(id, rollout, (now) => rollout.tick(now));
    },
    pause: (id) => step(id, get(id).rollout, (now) => get(id).rollout.pause(now)),
    resume: (id) => step(id, get(id).rollout, (now) => get(id).rollout.resume(now)),
    abort: (id, reason) => step(id, get(id).rollout, (now) => get(id).rollout.abort(reason, now)),
    progress: (id) => get(id).rollout.progress(),
    report(deviceId, report) {
      if (stopped || !REPORTABLE.has(report.status)) return;
      for (const [id, { rollout, target }] of active) {
        // Only a report about this rollout's target judges it: the old release's "healthy" after a revert, or a
        // retained report from before the rollout, says nothing about the new release.
        if (report.target !== target) continue;
        const state = rollout.progress().state;
        if (state !== 'running' && state !== 'paused') continue;
        try {
          step(id, rollout, (now) => rollout.report(deviceId, report.status as ReportStatus, now));
        } catch (error) {
          // UNKNOWN_DEVICE: a device outside this rollout reporting the same target (updated by hand, say).
          o.logger?.warn({ rollout: id, device: deviceId, err: error }, 'update report not taken');
        }
      }
    },
    tick,
    begin() {
      for (const status of ['running', 'paused']) {
        for (const record of registry.rollouts.list(status)) {
          const { rollout } = load(record.id, record.state);
          reconcile(rollout.snapshot());
        }
      }
      cancelTimer ??= (o.schedule ?? intervalScheduler)(o.tickMs ?? 1_000, tick);
    },
    settled: async () => {
      let seen: Promise<void>;
      do {
        seen = work;
        await seen;
      } while (seen !== work);
    },
    async stop() {
      stopped = true;
      cancelTimer?.();
      cancelTimer = undefined;
      await work;
    },
  };
}
