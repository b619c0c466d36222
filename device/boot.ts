/**
 * The boot sequence, from booting to serving (SPEC.md §9):
 *
 *   1. finish a factory reset a power cut interrupted; note an unclean stop (agent/running left behind);
 *   2. provisioning on the first boot (identity, wallet or the owner's address), the same idempotent steps later;
 *   3. checks before serving: the data dir takes writes and has room; after an unclean stop also SQLite's quick
 *      check of every database under the data dir (the node's, telemetry's) — any failure is the error state:
 *      the node does not serve on that data;
 *   4. the runtime is built; after an unclean stop its own checks run (service-log tail, state root);
 *   5. connect and register, each retried with back-off (no network at boot is normal), then serve;
 *   6. after an unclean stop, the full integrity check runs in the background; problems degrade the agent.
 *
 * Cancellable at every step (a factory reset or stop() aborts it): after an abort it dispatches nothing.
 */
import { existsSync } from 'node:fs';
import type { Logger } from 'pino';
import type { Clock } from '../hal/index.ts';
import type { Scheme } from '../node/crypto/index.ts';
import { writeFileAtomic } from '../node/client/json-file.ts';
import { dataWritableCheck, freeSpaceCheck, sqliteQuickCheck } from './checks/standard.ts';
import { checkSqliteFiles, describeSqliteFailures, findSqliteFiles } from './checks/sqlite.ts';
import { runCheck, type HealthCheck } from './checks/types.ts';
import type { DeviceConfigStore } from './config/store.ts';
import { DeviceError, describeError } from './errors.ts';
import type { DeviceLayout } from './layout.ts';
import { finishPendingReset } from './provisioning/reset.ts';
import { provision, type Provisioned } from './provisioning/provision.ts';
import type { NodeRuntime, NodeRuntimeFactory } from './runtime.ts';
import type { StateDriver } from './state-driver.ts';

export interface BootContext {
  readonly layout: DeviceLayout;
  readonly config: DeviceConfigStore;
  readonly states: StateDriver;
  readonly clock: Clock;
  readonly logger: Logger;
  /** Logs and records an event for the console's `logs`. */
  readonly note: (level: 'info' | 'warn' | 'error', message: string, fields?: object) => void;
  readonly createRuntime: NodeRuntimeFactory;
  readonly wallNow: () => number;
  readonly walletScheme?: Scheme;
  readonly signal: AbortSignal;
  readonly onProvisioned: (p: Provisioned) => void;
  readonly onRuntime: (runtime: NodeRuntime) => void;
  readonly onUncleanStop: () => void;
  /** The background full integrity check's result: the failed files, one line each (empty: all good). */
  readonly onIntegrity: (failures: readonly string[]) => void;
}

/** Thrown inside the sequence once it is aborted; never escapes runBoot. */
const ABORTED = Symbol('aborted');

/** Back-off for connect/register: 1 s, 2 s, 4 s … capped at retryMaxMs. */
export function retryDelayMs(attempt: number, maxMs: number): number {
  return Math.min(maxMs, 1_000 * 2 ** Math.min(attempt, 30));
}

export async function runBoot(ctx: BootContext): Promise<void> {
  const { states, signal } = ctx;
  const live = <T>(value: T): T => {
    if (signal.aborted) throw ABORTED;
    return value;
  };
  try {
    const reset = finishPendingReset(ctx.layout);
    if (reset) ctx.note('warn', `finished an interrupted factory reset (wiped ${reset.wiped.join(', ') || 'nothing'})`);
    const unclean = existsSync(ctx.layout.runningMarker);
    if (unclean) {
      ctx.onUncleanStop();
      ctx.note('warn', 'the last run did not stop cleanly: checking the data before serving');
    }
    const firstBoot = !existsSync(ctx.layout.nodeKeyFile);
    live(undefined);
    // A first boot shows provisioning while it creates the identity; a later boot reads it before it connects, so
    // from `connecting` on the identity is known.
    if (firstBoot) states.dispatch({ kind: 'booted', firstBoot });

    const provisioned = live(
      await provision({
        layout: ctx.layout,
        config: ctx.config.current(),
        nowMs: ctx.wallNow(),
        logger: ctx.logger,
        ...(ctx.walletScheme ? { walletScheme: ctx.walletScheme } : {}),
      }),
    );
    ctx.onProvisioned(provisioned);
    if (!firstBoot) states.dispatch({ kind: 'booted', firstBoot });
    if (provisioned.created.length > 0) ctx.note('info', `provisioned: created ${provisioned.created.join(', ')}`);
    ctx.config.persist();
    writeFileAtomic(ctx.layout.runningMarker, `${ctx.wallNow()}\n`, 0o600);
    if (firstBoot) states.dispatch({ kind: 'provisioned' });

    const thresholds = () => ctx.config.current().thresholds;
    const checks: HealthCheck[] = [dataWritableCheck(ctx.layout.dataDir), freeSpaceCheck(ctx.layout.dataDir, () => thresholds().minFreeBytes)];
    if (unclean) checks.push(sqliteQuickCheck(ctx.layout.dataDir));
    live(await mustPass(checks));

    const runtime = await ctx.createRuntime({
      identity: provisioned.identity,
      payout: provisioned.payout,
      dataDir: ctx.layout.nodeDir,
      config: ctx.config.current(),
      logger: ctx.logger.child({ mod: 'runtime' }),
    });
    // Handed over even when aborted meanwhile: whoever aborted stops it.
    ctx.onRuntime(runtime);
    live(undefined);
    if (unclean) live(await mustPass(runtime.preServingChecks?.() ?? []));

    await retrying(ctx, 'connect', () => runtime.connect(), live);
    states.dispatch({ kind: 'connected' });
    await retrying(ctx, 'register', () => runtime.register(), live);
    try {
      live(await runtime.serve());
    } catch (error) {
      if (error === ABORTED) throw error;
      throw new DeviceError('RUNTIME_FAILED', `the node did not start serving (${describeError(error)})`, { cause: error });
    }
    states.dispatch({ kind: 'registered' });
    if (unclean) void backgroundIntegrity(ctx);
  } catch (error) {
    if (error === ABORTED || signal.aborted) return;
    ctx.note('error', describeError(error), { code: (error as { code?: unknown }).code });
    if (states.state().name !== 'error') states.dispatch({ kind: 'failed', reason: describeError(error) });
  }
}

async function mustPass(checks: readonly HealthCheck[]): Promise<void> {
  const outcomes = await Promise.all(checks.map(runCheck));
  const failed = outcomes.flatMap((o, i) => (o.ok ? [] : [`${checks[i]!.name}: ${o.reason}`]));
  if (failed.length > 0) throw new DeviceError('CHECK_FAILED', `not serving on this data: ${failed.join('; ')}`);
}

async function retrying(ctx: BootContext, what: string, attempt: () => Promise<void>, live: <T>(v: T) => T): Promise<void> {
  for (let n = 0; ; n += 1) {
    try {
      live(await attempt());
      return;
    } catch (error) {
      if (error === ABORTED || ctx.signal.aborted) throw ABORTED;
      const delay = retryDelayMs(n, ctx.config.current().thresholds.retryMaxMs);
      ctx.note('warn', `${what} failed, retrying in ${Math.round(delay / 1000)} s: ${describeError(error)}`);
      await sleep(ctx.clock, delay, ctx.signal);
      live(undefined);
    }
  }
}

function sleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clock.clearTimeout(timer);
      resolve();
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

async function backgroundIntegrity(ctx: BootContext): Promise<void> {
  ctx.note('info', 'full integrity check of the databases started in the background');
  try {
    const results = await checkSqliteFiles(findSqliteFiles(ctx.layout.dataDir), 'full');
    if (ctx.signal.aborted) return;
    const failures = describeSqliteFailures(results, ctx.layout.dataDir);
    ctx.note(failures.length === 0 ? 'info' : 'error', failures.length === 0 ? `full integrity check: ${results.length} database(s) ok` : `full integrity check failed: ${failures.join(' | ')}`);
    ctx.onIntegrity(failures);
  } catch (error) {
    if (ctx.signal.aborted) return;
    ctx.note('error', `full integrity check could not run: ${describeError(error)}`);
    ctx.onIntegrity([`integrity check could not run: ${describeError(error)}`]);
  }
}
