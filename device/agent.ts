/**
 * The device agent's composition root (SPEC.md §9): config layers, the HAL's LED, button, console and watchdog,
 * provisioning, the boot sequence through the states, the supervisor loop and factory reset, around a node
 * runtime it is given. `ame device` builds the config store and the HAL (halOptionsOf) and passes them in; the
 * agent owns the HAL's lifecycle from then on: start() starts it, stop() stops it.
 */
import { existsSync, rmSync } from 'node:fs';
import { pino, type Logger } from 'pino';
import { systemClock, type AgentStateName, type Clock, type GestureThresholds, type Hal, type LedPattern } from '../hal/index.ts';
import type { Scheme } from '../node/crypto/index.ts';
import { earningsLines, problemLines, statusLines, walletLines, type AgentStatus } from './agent-status.ts';
import { runBoot } from './boot.ts';
import { createButtonHandler } from './button-handler.ts';
import { dataWritableCheck, freeSpaceCheck, temperatureCheck } from './checks/standard.ts';
import type { HealthCheck } from './checks/types.ts';
import { KEYS_BY_PATH, type DeviceConfig } from './config/schema.ts';
import { createDashboard, type Dashboard, type DashboardOptions } from './dashboard/index.ts';
import { openDeviceConfig, type ConfigResult, type ConfigSources, type DeviceConfigStore } from './config/store.ts';
import { createConsoleSession } from './console-commands.ts';
import { DeviceError, describeError } from './errors.ts';
import { createEventLog, formatEntry, type EventLogEntry } from './event-log.ts';
import { deviceLayout } from './layout.ts';
import { createLedDriver } from './led-driver.ts';
import { readWalletPublic } from './provisioning/identity.ts';
import type { Provisioned } from './provisioning/provision.ts';
import { factoryReset, type ResetOutcome } from './provisioning/reset.ts';
import type { NodeRuntime, NodeRuntimeFactory, RuntimeStatus } from './runtime.ts';
import { createStateDriver, type StateListener } from './state-driver.ts';
import { isServing, type AgentState } from './state-machine.ts';
import { createSupervisor, type RoundReport } from './supervisor.ts';

/** The parts of the HAL the agent uses. */
export type AgentHal = Pick<Hal, 'led' | 'button' | 'console' | 'watchdog' | 'sysinfo' | 'start' | 'stop'>;

export interface DeviceAgentOptions {
  /** The config store, or the sources to open one from. */
  readonly config: DeviceConfigStore | ConfigSources;
  readonly hal: AgentHal;
  readonly runtime: NodeRuntimeFactory;
  /** Default: the system's monotonic clock. Pass the HAL's clock. */
  readonly clock?: Clock;
  /** Default: a disabled logger (library code never prints). */
  readonly logger?: Logger;
  /** Wall-clock ms for file dates and log lines. Default Date.now. */
  readonly wallNow?: () => number;
  /** The console's `reboot` (e.g. `systemctl reboot`); without it the command says it is unavailable. */
  readonly reboot?: () => Promise<void>;
  readonly patterns?: Partial<Record<AgentStateName, LedPattern>>;
  readonly gestures?: GestureThresholds;
  /** More supervisor checks (fatal ones gate the watchdog). */
  readonly healthChecks?: readonly HealthCheck[];
  readonly walletScheme?: Scheme;
  /** Serve the dashboard (JSON API, page, /metrics) on `dashboard.port`, started and stopped with the agent. */
  readonly dashboard?: DashboardOptions;
}

export interface DeviceAgent {
  start(): Promise<void>;
  /** A clean stop: the node stops, the watchdog is disarmed, the unclean-stop marker is removed, the HAL stops. */
  stop(): Promise<void>;
  state(): AgentState;
  whenState(name: AgentState['name']): Promise<AgentState>;
  onState(listener: StateListener): () => void;
  status(): Promise<AgentStatus>;
  config(): DeviceConfig;
  /** The fleet's desired state (telemetry feeds it); refused whole, naming the field, when a value is bad. */
  applyDesired(desired: unknown): ConfigResult;
  /** Re-reads the config files (the dashboard calls it after editing config.json). */
  reloadConfig(): ConfigResult;
  /** Blinks the identify pattern (the button's short press; the dashboard may offer it too). */
  identify(): Promise<void>;
  /** Graceful exit if registered, wipe, then boot again; the wallet goes only with wipeWallet. */
  factoryReset(options: { wipeWallet: boolean }): Promise<ResetOutcome>;
  /** Runs a supervisor round now (rounds also run every thresholds.healthIntervalMs). */
  checkHealth(): Promise<RoundReport>;
  events(count: number): readonly EventLogEntry[];
  /** Where the dashboard listens (null without one, or when its port could not be bound). */
  dashboardAddress(): { readonly host: string; readonly port: number } | null;
}

export function createDeviceAgent(options: DeviceAgentOptions): DeviceAgent {
  const clock = options.clock ?? systemClock;
  const logger = (options.logger ?? pino({ enabled: false })).child({ mod: 'device' });
  const wallNow = options.wallNow ?? Date.now;
  const { hal } = options;
  const store = 'current' in options.config ? options.config : openDeviceConfig({ ...options.config, logger });
  const layout = deviceLayout(store.current().dataDir);
  const eventLog = createEventLog({ now: wallNow });
  const note = (level: 'info' | 'warn' | 'error', message: string, fields: object = {}) => {
    eventLog.add(level, message);
    logger[level](fields, message);
  };
  for (const line of problemLines(store.problems())) eventLog.add('error', `config refused: ${line}`);

  const led = createLedDriver({ led: hal.led, ...(options.patterns ? { patterns: options.patterns } : {}) });
  const states = createStateDriver({ led, logger });
  states.onChange((state, previous) => {
    if (state.name !== previous.name || state.name === 'degraded') eventLog.add(state.name === 'error' ? 'error' : 'info', `state: ${state.name}${reasonOf(state)}`);
  });

  let started = false;
  let provisioned: Provisioned | null = null;
  let runtime: NodeRuntime | null = null;
  let lastStatus: RuntimeStatus | null = null;
  let unclean = false;
  let integrity: AgentStatus['integrity'] = 'not run';
  let integrityProblems: readonly string[] = [];
  let restartPending: string[] = [];
  let bootAbort = new AbortController();
  let bootTask: Promise<void> = Promise.resolve();
  let resetting: Promise<ResetOutcome> | null = null;

  // The store logs changes itself; the event list gets them for the console's `logs`.
  store.onChange((_config, changed) => eventLog.add('info', `config changed: ${changed.join(', ')}`));

  const thresholds = () => store.current().thresholds;
  const runtimeCheck: HealthCheck = {
    name: 'runtime',
    severity: 'fatal',
    run: async () => {
      if (runtime === null) return { ok: true };
      lastStatus = await runtime.status();
      return { ok: true };
    },
  };
  const checks = (): HealthCheck[] => {
    const state = states.state();
    // Before provisioning and in the error state no checks run: a fatal one there would reboot the box in a loop
    // for a problem a reboot does not fix. The round itself finishing still proves the event loop is alive.
    if (provisioned === null || state.name === 'error' || state.name === 'booting') return [];
    return [
      runtimeCheck,
      dataWritableCheck(layout.dataDir),
      freeSpaceCheck(layout.dataDir, () => thresholds().minFreeBytes),
      temperatureCheck(hal.sysinfo, () => thresholds().maxTemperatureC),
      ...(options.healthChecks ?? []),
    ];
  };
  const supervisor = createSupervisor({ watchdog: hal.watchdog, clock, checks, intervalMs: () => thresholds().healthIntervalMs, logger });

  /** Moves between serving, promoted and degraded from the latest round, the node's own problems and integrity. */
  const applyHealth = (report: RoundReport | null) => {
    const state = states.state();
    if (lastStatus?.promoted && (state.name === 'serving' || (state.name === 'degraded' && state.resume === 'serving'))) {
      states.dispatch({ kind: 'promoted' });
    }
    const reasons = [
      ...(report?.failures ?? []).map((f) => `${f.name}: ${f.reason}`),
      ...(lastStatus?.problems ?? []),
      ...integrityProblems.map((p) => `integrity: ${p}`),
    ];
    const now = states.state();
    if (!isServing(now)) return;
    if (reasons.length > 0) {
      if (now.name !== 'degraded' || now.reasons.join('\n') !== reasons.join('\n')) states.dispatch({ kind: 'degraded', reasons });
    } else if (now.name === 'degraded') states.dispatch({ kind: 'recovered' });
  };
  supervisor.onRound(applyHealth);
  states.onChange((state, previous) => {
    // Serving starts: a round at once, so promotion or problems show without waiting an interval.
    if (state.name === 'serving' && previous.name === 'registering') void supervisor.runRound();
  });

  const launchBoot = () => {
    bootAbort = new AbortController();
    integrity = 'not run';
    bootTask = runBoot({
      layout,
      config: store,
      states,
      clock,
      logger,
      note,
      createRuntime: options.runtime,
      wallNow,
      ...(options.walletScheme ? { walletScheme: options.walletScheme } : {}),
      signal: bootAbort.signal,
      onProvisioned: (p) => (provisioned = p),
      onRuntime: (r) => (runtime = r),
      onUncleanStop: () => (unclean = true),
      onIntegrity: (failures) => {
        integrity = failures.length === 0 ? 'ok' : 'failed';
        integrityProblems = failures;
        applyHealth(supervisor.lastRound());
      },
    });
  };

  /** Stops the boot sequence and the node; safe when neither runs. */
  const haltNode = async () => {
    bootAbort.abort();
    const stopRuntime = () => runtime?.stop().catch((error: unknown) => note('warn', `the node did not stop cleanly: ${describeError(error)}`));
    // stop() makes a pending connect() or register() reject, so the aborted sequence can finish.
    await stopRuntime();
    await bootTask;
    await stopRuntime();
    runtime = null;
    lastStatus = null;
  };

  const status = async (): Promise<AgentStatus> => {
    if (runtime !== null) lastStatus = await runtime.status().catch(() => lastStatus);
    const wallet = (() => {
      try {
        return readWalletPublic(layout);
      } catch {
        return provisioned?.wallet ?? null;
      }
    })();
    return {
      state: states.state(),
      peerId: provisioned?.identity.peerId ?? null,
      payout: provisioned?.payout ?? null,
      wallet,
      runtime: lastStatus,
      config: { basis: store.basis(), problems: problemLines(store.problems()), restartPending },
      uncleanStop: unclean,
      integrity: unclean && integrity === 'not run' && isServing(states.state()) ? 'running' : integrity,
      resetting: resetting !== null,
      healthy: supervisor.healthy(),
    };
  };

  let dashboard: Dashboard | null = null;
  const startDashboard = async () => {
    if (options.dashboard === undefined) return;
    dashboard = createDashboard({
      options: options.dashboard,
      port: store.current().dashboard.port,
      password: () => store.current().dashboard.password,
      status,
      runtime: () => runtime,
      clock,
      wallNow,
      logger,
    });
    // The node earns without its dashboard: a port in use is reported, never a reason not to serve.
    await dashboard.start().catch((error: unknown) => note('error', `dashboard: ${describeError(error)}`));
  };

  const reset = (wipeWallet: boolean): Promise<ResetOutcome> => {
    if (!started) return Promise.reject(new DeviceError('NOT_STARTED', 'the agent is not running'));
    if (resetting) return resetting;
    led.resetAck();
    note('warn', `factory reset requested${wipeWallet ? ', wallet included' : ''}`);
    resetting = (async () => {
      try {
        const outcome = await factoryReset({
          layout,
          wipeWallet,
          logger,
          beforeReset: async () => {
            const current = runtime === null ? null : await runtime.status().catch(() => lastStatus);
            if (current?.registered) {
              note('info', 'filing the graceful exit before the reset');
              await runtime!.gracefulExit();
            }
            await haltNode();
            provisioned = null;
            unclean = false;
            integrityProblems = [];
            states.dispatch({ kind: 'restart', reason: 'factory reset' });
          },
        });
        restartPending = [];
        store.reset();
        note('warn', `factory reset done: wiped ${outcome.wiped.join(', ') || 'nothing'}${outcome.keptWallet ? '; the wallet was kept' : ''}`);
        return outcome;
      } catch (error) {
        note('error', `factory reset failed: ${describeError(error)}`);
        throw error;
      } finally {
        led.release();
        resetting = null;
        // The sequence was stopped once the graceful exit was filed: start again, from whatever the wipe left
        // (a wipe that failed half-way is finished by the boot, from the reset marker).
        if (started && bootAbort.signal.aborted) launchBoot();
      }
    })();
    return resetting;
  };

  const button = createButtonHandler({
    button: hal.button,
    clock,
    led,
    logger,
    ...(options.gestures ? { thresholds: options.gestures } : {}),
    onFactoryReset: () => void reset(false).catch(() => {}),
  });

  const consoleSession = createConsoleSession({
    console: hal.console,
    logger,
    backend: {
      status: async () => statusLines(await status()),
      wallet: async () => walletLines(await status()),
      earnings: async () => earningsLines(await status()),
      logs: (count) => eventLog.last(count).map(formatEntry),
      canReboot: () => options.reboot !== undefined,
      reboot: async () => {
        note('warn', 'reboot requested on the console');
        await options.reboot?.();
      },
      factoryReset: async (wipeWallet) => {
        try {
          const outcome = await reset(wipeWallet);
          return [`factory reset done: wiped ${outcome.wiped.join(', ') || 'nothing'}; ${outcome.keptWallet ? 'wallet kept' : 'wallet erased'}; starting again`];
        } catch (error) {
          return [`factory reset failed: ${describeError(error)}`];
        }
      },
      walletAddress: () => {
        try {
          return readWalletPublic(layout)?.address ?? null;
        } catch {
          return null;
        }
      },
    },
  });

  store.onChange((_config, changed) => {
    restartPending = [...new Set([...restartPending, ...changed.filter((path) => KEYS_BY_PATH.get(path)?.restart === true)])];
  });

  return {
    async start() {
      if (started) return;
      started = true;
      try {
        await hal.start();
        await consoleSession.start();
        button.start();
        await supervisor.start();
        await startDashboard();
      } catch (error) {
        started = false;
        await dashboard?.stop();
        dashboard = null;
        button.stop();
        consoleSession.stop();
        await hal.stop().catch(() => {});
        throw error;
      }
      launchBoot();
    },
    async stop() {
      if (!started) return;
      started = false;
      await dashboard?.stop();
      dashboard = null;
      button.stop();
      consoleSession.stop();
      await resetting?.catch(() => {});
      await haltNode();
      await supervisor.stop();
      // A clean stop: the next boot need not check the data.
      if (existsSync(layout.runningMarker)) rmSync(layout.runningMarker, { force: true });
      await hal.stop();
    },
    state: () => states.state(),
    whenState: (name) => states.when(name),
    onState: (listener) => states.onChange(listener),
    status,
    config: () => store.current(),
    applyDesired: (desired) => store.applyDesired(desired),
    reloadConfig: () => store.reload(),
    identify: () => led.identify(),
    factoryReset: (o) => reset(o.wipeWallet),
    checkHealth: () => supervisor.runRound(),
    events: (count) => eventLog.last(count),
    dashboardAddress: () => dashboard?.address() ?? null,
  };
}

/** Creates the agent and starts it. */
export async function startDeviceAgent(options: DeviceAgentOptions): Promise<DeviceAgent> {
  const agent = createDeviceAgent(options);
  await agent.start();
  return agent;
}

function reasonOf(state: AgentState): string {
  if (state.name === 'degraded') return ` (${state.reasons.join('; ')})`;
  if (state.name === 'error') return ` (${state.reason})`;
  return '';
}
