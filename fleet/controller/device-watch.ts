/**
 * Device reports (SPEC §9): the controller subscribes to every device's `state`, `online` and `events`, keeps the
 * registry's view of each device current (online, last seen, version, role, earnings, health) and hands every
 * update report — the `update` object of a state, or an `update` event — to `onUpdate`. With a `history` it also
 * reads `telemetry` and hands the figures of `state`, `telemetry` and `online` to it (history-recorder.ts), which
 * samples them into the registry in batches; telemetry never writes the devices table, so its rate costs no
 * commits. Payloads come from devices: anything malformed is logged with its code and counted, and the watch goes on.
 */
import type { MqttClient } from 'mqtt';
import { AmeError } from '../../node/crypto/index.ts';
import {
  decodeJsonObject,
  decodeOnline,
  parseDeviceTopic,
  parseUpdateReport,
  TOPIC_ROOT,
  type JsonObject,
  type JsonValue,
  type UpdateReport,
} from '../../node/fleetproto/index.ts';
import type { DeviceReport, SampleFigures } from '../registry/index.ts';
import { reportFigures } from './history-recorder.ts';

/** The part of the registry the watch writes. */
export interface DeviceReportSink {
  report(deviceId: string, report: DeviceReport, now: number): void;
}

export interface WatchLogger {
  debug(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface DeviceWatchOptions {
  readonly client: MqttClient;
  readonly devices: DeviceReportSink;
  readonly onUpdate: (deviceId: string, report: UpdateReport) => void;
  readonly now: () => number;
  readonly logger?: WatchLogger;
  /** Where reported figures go for the telemetry history (createHistoryRecorder). */
  readonly history?: { observe(deviceId: string, figures: Partial<SampleFigures>): void };
}

export interface WatchCounts {
  /** Messages handled on a device topic. */
  readonly received: number;
  /** Refused: a payload that does not decode, or a report the registry would not store. */
  readonly malformed: number;
  /** From a device id the registry does not know. */
  readonly unknown: number;
  readonly updates: number;
}

export interface DeviceWatch {
  start(): Promise<void>;
  stop(): Promise<void>;
  counts(): WatchCounts;
}

export const WATCH_FILTERS = ['state', 'online', 'events'].map((kind) => `${TOPIC_ROOT}/+/${kind}`);
/** Read as well when the watch keeps a history. */
export const TELEMETRY_FILTER = `${TOPIC_ROOT}/+/telemetry`;

const text = (v: JsonValue | undefined): string | null | undefined => (typeof v === 'string' ? v : v === null ? null : undefined);

/** The registry fields of a `state` report (device/fleet-link.ts writes it); fields of the wrong type are left out. */
export function stateFields(state: JsonObject): DeviceReport {
  const report: { -readonly [K in keyof DeviceReport]: DeviceReport[K] } = {};
  const version = text(state['version']);
  const role = text(state['role']);
  if (version !== undefined) report.version = version;
  if (role !== undefined) report.role = role;
  const earnings = state['earnings'];
  if (typeof earnings === 'object' && earnings !== null) report.earnings = earnings;
  const health: Record<string, JsonValue> = {};
  for (const key of ['state', 'healthy', 'reasons'] as const) if (state[key] !== undefined) health[key] = state[key];
  if (Object.keys(health).length > 0) report.health = health;
  return report;
}

export function createDeviceWatch(o: DeviceWatchOptions): DeviceWatch {
  const counts = { received: 0, malformed: 0, unknown: 0, updates: 0 };
  let started = false;
  const filters = o.history === undefined ? WATCH_FILTERS : [...WATCH_FILTERS, TELEMETRY_FILTER];

  const update = (deviceId: string, value: JsonValue | undefined) => {
    if (value === undefined) return;
    const report = parseUpdateReport(value);
    counts.updates += 1;
    o.onUpdate(deviceId, report);
  };

  const handle = (topic: string, payload: Buffer) => {
    let deviceId: string | undefined;
    try {
      const parsed = parseDeviceTopic(topic);
      deviceId = parsed.deviceId;
      counts.received += 1;
      const now = o.now();
      switch (parsed.kind) {
        case 'online': {
          const online = decodeOnline(payload);
          o.devices.report(deviceId, { online }, now);
          o.history?.observe(deviceId, { online });
          return;
        }
        case 'state': {
          const state = decodeJsonObject(payload);
          o.devices.report(deviceId, stateFields(state), now);
          o.history?.observe(deviceId, reportFigures(state));
          update(deviceId, state['update']);
          return;
        }
        case 'telemetry':
          o.history?.observe(deviceId, reportFigures(decodeJsonObject(payload)));
          return;
        case 'events': {
          const event = decodeJsonObject(payload);
          o.devices.report(deviceId, {}, now);
          if (event['type'] === 'update') update(deviceId, event['data']);
          return;
        }
        default:
          return;
      }
    } catch (error) {
      const code = error instanceof AmeError ? error.code : 'FAILED';
      if (code === 'NOT_FOUND') counts.unknown += 1;
      else counts.malformed += 1;
      o.logger?.warn({ device: deviceId, topic: topic.slice(0, 160), code, err: error instanceof AmeError ? undefined : error }, 'device report refused');
    }
  };

  return {
    async start() {
      if (started) return;
      started = true;
      o.client.on('message', handle);
      await o.client.subscribeAsync(filters, { qos: 1 });
    },
    async stop() {
      if (!started) return;
      started = false;
      o.client.off('message', handle);
      if (o.client.connected) await o.client.unsubscribeAsync(filters).catch(() => undefined);
    },
    counts: () => ({ ...counts }),
  };
}
