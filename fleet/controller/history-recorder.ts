/**
 * The device watch's telemetry history (docs/fleet.md "Telemetry history"): each device's figures as last reported
 * (online from `online`; state, health, version, role, served requests, earnings, balance and memory from `state`
 * and `telemetry`) are merged in memory, and every `flushMs` the devices that reported since their last sample and
 * whose interval has passed get one sample each, all in one registry transaction. So a fleet of a thousand
 * devices publishing telemetry every 30 s costs one commit per flush, not one per message, and a device holds at
 * most one sample per `intervalMs` however often it reports.
 */
import type { JsonObject, JsonValue } from '../../node/fleetproto/index.ts';
import { FIGURE_CHECKS, FIGURE_NAMES, type DeviceHistory, type HistoryPolicy, type SampleFigures } from '../registry/index.ts';
import { intervalScheduler, type Scheduler } from '../repository/index.ts';
import { ControllerError } from './errors.ts';

export const DEFAULT_HISTORY_INTERVAL_MS = 60_000;
export const DEFAULT_HISTORY_RETENTION_MS = 7 * 24 * 3_600_000;
export const DEFAULT_HISTORY_FLUSH_MS = 5_000;
/** Samples per transaction: a bigger fleet's due devices spread over several flushes rather than one long stall. */
export const DEFAULT_HISTORY_BATCH = 1_000;

export interface HistorySettings {
  /** Least time between two samples of one device (default 60 s). */
  readonly intervalMs?: number;
  /** How long samples are kept (default 7 days). */
  readonly retentionMs?: number;
  /** How often the pending samples are written, in one transaction (default 5 s). */
  readonly flushMs?: number;
  /** Most samples one flush writes (default 1,000); the rest wait for the next flush. */
  readonly maxBatch?: number;
}

export interface HistoryRecorderOptions extends HistorySettings {
  readonly history: Pick<DeviceHistory, 'record'>;
  readonly now: () => number;
  readonly schedule?: Scheduler;
  readonly logger?: { warn(obj: object, msg?: string): void };
}

export interface HistoryCounts {
  /** Samples written since start. */
  readonly written: number;
  /** Devices with figures waiting for their next sample. */
  readonly pending: number;
  /** Flushes the registry refused (the samples stay pending). */
  readonly failed: number;
}

export interface HistoryRecorder {
  readonly policy: HistoryPolicy;
  /** Merges what a device reported into its figures; the next due flush samples them. */
  observe(deviceId: string, figures: Partial<SampleFigures>): void;
  /** Writes the samples that are due now (the timer calls this every `flushMs`). */
  flush(): void;
  start(): void;
  /** Stops the timer and writes what is due. */
  stop(): void;
  counts(): HistoryCounts;
}

const EMPTY: SampleFigures = Object.fromEntries(FIGURE_NAMES.map((name) => [name, null])) as unknown as SampleFigures;

/** Where each figure sits in a `state` or `telemetry` payload (device/fleet-link.ts writes them). */
function rawFigure(report: JsonObject, name: keyof SampleFigures): JsonValue | undefined {
  const earnings = report['earnings'];
  const inEarnings = typeof earnings === 'object' && earnings !== null && !Array.isArray(earnings) ? (earnings as JsonObject) : undefined;
  switch (name) {
    case 'servedRequests':
    case 'settled':
    case 'unsettled':
      return inEarnings?.[name];
    case 'online':
      return undefined; // only the `online` topic says so
    default:
      return report[name];
  }
}

/** The figures of a `state` or `telemetry` payload; a figure absent, or of a type or size it cannot take, is left out. */
export function reportFigures(report: JsonObject): Partial<SampleFigures> {
  const out: Partial<Record<keyof SampleFigures, unknown>> = {};
  for (const name of FIGURE_NAMES) {
    const value = rawFigure(report, name);
    if (value === null || (value !== undefined && FIGURE_CHECKS[name](value))) out[name] = value;
  }
  return out as Partial<SampleFigures>;
}

function positive(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new ControllerError('BAD_INPUT', `history.${name} must be a positive integer`);
  return value;
}

export function createHistoryRecorder(o: HistoryRecorderOptions): HistoryRecorder {
  const policy: HistoryPolicy = {
    intervalMs: positive('intervalMs', o.intervalMs ?? DEFAULT_HISTORY_INTERVAL_MS),
    retentionMs: positive('retentionMs', o.retentionMs ?? DEFAULT_HISTORY_RETENTION_MS),
  };
  const flushMs = positive('flushMs', o.flushMs ?? DEFAULT_HISTORY_FLUSH_MS);
  const maxBatch = positive('maxBatch', o.maxBatch ?? DEFAULT_HISTORY_BATCH);
  const figures = new Map<string, SampleFigures>();
  const pending = new Set<string>();
  // When each device was last sampled by this process; after a restart the registry's own check stands in.
  const sampledAt = new Map<string, number>();
  const counts = { written: 0, failed: 0 };
  let lastPrune = -Infinity;
  let cancel: (() => void) | undefined;

  const flush = () => {
    const now = o.now();
    const due: string[] = [];
    for (const id of pending) {
      if (due.length === maxBatch) break;
      if (!(now - (sampledAt.get(id) ?? -Infinity) < policy.intervalMs)) due.push(id);
    }
    // With nothing due, the retention is still applied once an interval, so a silent fleet's history ages out too.
    if (due.length === 0 && now - lastPrune < policy.intervalMs) return;
    try {
      const result = o.history.record(
        due.map((id) => [id, figures.get(id)!] as const),
        now,
        policy,
      );
      lastPrune = now;
      for (const id of result.written) {
        pending.delete(id);
        sampledAt.set(id, now);
      }
      // A device the registry does not know (revoked and removed, or never enrolled) is forgotten.
      for (const id of result.unknown) {
        pending.delete(id);
        figures.delete(id);
        sampledAt.delete(id);
      }
      counts.written += result.written.length;
    } catch (error) {
      counts.failed += 1;
      o.logger?.warn({ err: error, devices: due.length }, 'device samples not recorded');
    }
  };

  return {
    policy,
    observe(deviceId, reported) {
      figures.set(deviceId, { ...(figures.get(deviceId) ?? EMPTY), ...reported });
      pending.add(deviceId);
    },
    flush,
    start() {
      cancel ??= (o.schedule ?? intervalScheduler)(flushMs, flush);
    },
    stop() {
      cancel?.();
      cancel = undefined;
      flush();
    },
    counts: () => ({ ...counts, pending: pending.size }),
  };
}
