/**
 * Prometheus text exposition (format 0.0.4) of the agent and its node. Series whose value is unknown (no node
 * yet, no ledger read) are left out rather than reported as 0, so a graph shows a gap instead of a false drop.
 */
import { STATE_PATTERNS, type AgentStateName } from '../../hal/index.ts';
import type { AgentStatus } from '../agent-status.ts';
import type { LedgerFigures } from './ledger-figures.ts';

export const METRICS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export interface ProcessFigures {
  readonly rssBytes: number;
  readonly uptimeSeconds: number;
}

type MetricType = 'gauge' | 'counter';

interface Family {
  readonly name: string;
  readonly type: MetricType;
  readonly help: string;
  readonly samples: readonly { readonly labels?: Readonly<Record<string, string>>; readonly value: number | bigint }[];
}

const STATE_NAMES = Object.keys(STATE_PATTERNS) as AgentStateName[];

function escapeLabel(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function line(name: string, labels: Readonly<Record<string, string>> | undefined, value: number | bigint): string {
  const text = typeof value === 'bigint' ? value.toString() : Number.isFinite(value) ? String(value) : 'NaN';
  const pairs = labels === undefined ? [] : Object.entries(labels).map(([k, v]) => `${k}="${escapeLabel(v)}"`);
  return `${name}${pairs.length === 0 ? '' : `{${pairs.join(',')}}`} ${text}`;
}

export function renderFamilies(families: readonly Family[]): string {
  const out: string[] = [];
  for (const f of families) {
    if (f.samples.length === 0) continue;
    out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) out.push(line(f.name, s.labels, s.value));
  }
  return `${out.join('\n')}\n`;
}

const one = (value: number | bigint | null | undefined) => (value === null || value === undefined ? [] : [{ value }]);

export function renderMetrics(status: AgentStatus, ledger: LedgerFigures | null, proc: ProcessFigures): string {
  const r = status.runtime;
  const flag = (b: boolean) => (b ? 1 : 0);
  const families: Family[] = [
    {
      name: 'ame_device_state',
      type: 'gauge',
      help: 'The agent state: 1 for the current one, 0 for the others.',
      samples: STATE_NAMES.map((state) => ({ labels: { state }, value: flag(status.state.name === state) })),
    },
    { name: 'ame_device_healthy', type: 'gauge', help: 'Whether the last supervisor round passed (the watchdog is kicked).', samples: one(flag(status.healthy)) },
    { name: 'ame_device_registered', type: 'gauge', help: 'Whether the node is registered on the ledger.', samples: one(r && flag(r.registered)) },
    { name: 'ame_device_promoted', type: 'gauge', help: 'Whether the node was promoted to a server.', samples: one(r && flag(r.promoted)) },
    { name: 'ame_device_connected_peers', type: 'gauge', help: 'Peers the node is connected to.', samples: one(r?.connectedPeers) },
    { name: 'ame_device_requests_served_total', type: 'counter', help: 'Requests served since registration.', samples: one(r?.earnings.servedRequests) },
    { name: 'ame_device_receipts_held', type: 'gauge', help: 'Latest receipts held, not yet settled.', samples: one(r?.earnings.receiptsHeld) },
    { name: 'ame_device_unsettled_micro_abc', type: 'gauge', help: 'Owed by receipts held, not settled yet (micro-ABC).', samples: one(r?.earnings.unsettled.micro) },
    { name: 'ame_device_settled_micro_abc_total', type: 'counter', help: 'Paid by settlements on the ledger (micro-ABC).', samples: one(r?.earnings.settled.micro) },
    { name: 'ame_device_balance_micro_abc', type: 'gauge', help: "The payout account's spendable balance (micro-ABC).", samples: one(r?.balance?.micro) },
    { name: 'ame_device_ledger_height', type: 'gauge', help: 'Height of the verified ledger head.', samples: one(ledger?.height) },
    { name: 'ame_device_uptime_seen', type: 'gauge', help: 'Heartbeat intervals the managers saw over the uptime window.', samples: one(ledger?.reputation?.uptimeSeen) },
    { name: 'ame_device_uptime_expected', type: 'gauge', help: 'Heartbeat intervals expected over the uptime window.', samples: one(ledger?.reputation?.uptimeExpected) },
    {
      name: 'ame_device_reputation',
      type: 'gauge',
      help: "The node's reputation in (0, 1] as the ledger computes it.",
      samples: one(ledger?.reputation === null || ledger?.reputation === undefined ? null : Number(ledger.reputation.millionths) / 1e6),
    },
    { name: 'ame_device_options_unreleased_micro_abc', type: 'gauge', help: 'Unreleased option tranches (micro-ABC).', samples: one(ledger?.vesting?.unreleased) },
    { name: 'process_resident_memory_bytes', type: 'gauge', help: 'Resident memory of the agent process in bytes.', samples: one(proc.rssBytes) },
    { name: 'process_uptime_seconds', type: 'gauge', help: 'Seconds since the agent process started.', samples: one(proc.uptimeSeconds) },
  ];
  return renderFamilies(families);
}
