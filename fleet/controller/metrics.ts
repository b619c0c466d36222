/**
 * The controller's figures in Prometheus' text exposition format (version 0.0.4), served at `GET /metrics` to a
 * scraper holding an API token: devices by connection state and by version running, releases, rollouts by status,
 * and what the device watch handled. Read from the registry at each scrape, so a restarted controller reports the
 * same gauges; the watch's counters start again at zero, as Prometheus expects of a restarted target.
 */
import type { DeviceSummary } from '../registry/index.ts';
import type { WatchCounts } from './device-watch.ts';

export interface MetricsSource {
  devices(): DeviceSummary;
  releases(): number;
  rollouts(): readonly { readonly status: string }[];
  watch(): WatchCounts;
}

/** A label value as the format wants it: backslash, double quote and newline escaped. */
export function labelValue(text: string): string {
  return text.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

interface Metric {
  readonly name: string;
  readonly help: string;
  readonly type: 'gauge' | 'counter';
  readonly samples: readonly { readonly labels?: Readonly<Record<string, string>>; readonly value: number }[];
}

function render(metric: Metric): string {
  const lines = [`# HELP ${metric.name} ${metric.help}`, `# TYPE ${metric.name} ${metric.type}`];
  for (const { labels, value } of metric.samples) {
    const text = labels === undefined ? '' : `{${Object.entries(labels).map(([k, v]) => `${k}="${labelValue(v)}"`).join(',')}}`;
    lines.push(`${metric.name}${text} ${value}`);
  }
  return lines.join('\n');
}

export function metricsText(source: MetricsSource): string {
  const devices = source.devices();
  const watch = source.watch();
  const byStatus = new Map<string, number>();
  for (const r of source.rollouts()) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
  const metrics: Metric[] = [
    {
      name: 'ame_fleet_devices',
      help: 'Devices in the registry by state: online and offline (enrolled), revoked.',
      type: 'gauge',
      samples: (['online', 'offline', 'revoked'] as const).map((state) => ({ labels: { state }, value: devices[state] })),
    },
    {
      name: 'ame_fleet_devices_by_version',
      help: 'Enrolled devices by the release they report running ("none": not reported yet).',
      type: 'gauge',
      samples: devices.versions.map((v) => ({ labels: { version: v.version ?? 'none' }, value: v.devices })),
    },
    { name: 'ame_fleet_releases', help: 'Releases published in the image repository.', type: 'gauge', samples: [{ value: source.releases() }] },
    {
      name: 'ame_fleet_rollouts',
      help: 'Rollouts by status.',
      type: 'gauge',
      samples: [...byStatus.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([status, value]) => ({ labels: { status }, value })),
    },
    {
      name: 'ame_fleet_device_messages_total',
      help: 'Messages on device topics the controller handled, by outcome: received (all), malformed, unknown device, update reports.',
      type: 'counter',
      samples: [
        { labels: { outcome: 'received' }, value: watch.received },
        { labels: { outcome: 'malformed' }, value: watch.malformed },
        { labels: { outcome: 'unknown' }, value: watch.unknown },
        { labels: { outcome: 'update' }, value: watch.updates },
      ],
    },
  ];
  return `${metrics.map(render).join('\n')}\n`;
}
