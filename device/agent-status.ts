/**
 * What the agent reports about itself — one AgentStatus for the console, the dashboard and telemetry, so they
 * all show the same numbers — and the console's text for it.
 */
import type { KeystorePublic } from '../node/crypto/index.ts';
import { formatAmount } from '../node/wire/index.ts';
import type { ConfigProblem } from './config/store.ts';
import type { PayoutAccount } from './provisioning/provision.ts';
import type { RuntimeStatus } from './runtime.ts';
import { describeState, type AgentState } from './state-machine.ts';

export interface AgentStatus {
  readonly state: AgentState;
  readonly peerId: string | null;
  readonly payout: PayoutAccount | null;
  /** The device's own wallet keystore (public part), when it has one. */
  readonly wallet: KeystorePublic | null;
  /** The node's view, from the latest supervisor round or a fresh call (null before the runtime exists). */
  readonly runtime: RuntimeStatus | null;
  readonly config: {
    readonly basis: 'layers' | 'last-good';
    readonly problems: readonly string[];
    /** Keys changed while running that take effect at the next start. */
    readonly restartPending: readonly string[];
  };
  readonly uncleanStop: boolean;
  readonly integrity: 'not run' | 'running' | 'ok' | 'failed';
  readonly resetting: boolean;
  readonly healthy: boolean;
}

export function problemLines(problems: readonly ConfigProblem[]): string[] {
  return problems.map((p) => `${p.layer}: ${p.error.message}`);
}

const yesNo = (b: boolean) => (b ? 'yes' : 'no');

function payoutLine(payout: PayoutAccount | null): string {
  if (payout === null) return 'payout: not provisioned yet';
  return `payout: ${payout.address} (${payout.source === 'wallet' ? 'device wallet' : "owner's address from the config"})`;
}

export function statusLines(s: AgentStatus): string[] {
  const lines = [`state: ${describeState(s.state)}`];
  if (s.resetting) lines.push('factory reset: in progress');
  lines.push(`peer: ${s.peerId ?? 'no identity yet'}`);
  lines.push(`role: ${s.runtime?.role ?? 'none'}`);
  lines.push(payoutLine(s.payout));
  if (s.runtime) {
    lines.push(`registered: ${yesNo(s.runtime.registered)}`, `promoted: ${yesNo(s.runtime.promoted)}`, `peers: ${s.runtime.connectedPeers}`);
  }
  lines.push(`health: ${s.healthy ? 'ok' : 'failing (the watchdog is no longer kicked)'}`);
  if (s.uncleanStop) lines.push(`unclean stop: yes (full integrity check: ${s.integrity})`);
  if (s.config.basis === 'last-good') lines.push('config: running on the last good config (a layer was refused)');
  for (const p of s.config.problems) lines.push(`config refused: ${p}`);
  if (s.config.restartPending.length > 0) lines.push(`config: ${s.config.restartPending.join(', ')} take effect at the next start`);
  return lines;
}

export function walletLines(s: AgentStatus): string[] {
  const lines = [payoutLine(s.payout)];
  const w = s.wallet;
  lines.push(
    w === null
      ? 'device wallet: none'
      : `device wallet: ${w.address} (${w.scheme}, ${w.encrypted ? 'encrypted' : 'plain'} keystore, created ${w.created})`,
  );
  const balance = s.runtime?.balance;
  lines.push(`balance: ${balance ? formatAmount(balance.micro, balance.unit) : 'unknown (the node is not connected)'}`);
  return lines;
}

export function earningsLines(s: AgentStatus): string[] {
  if (!s.runtime) return [`earnings: not available yet (state: ${s.state.name})`];
  const e = s.runtime.earnings;
  return [
    `requests served: ${e.servedRequests}`,
    `receipts held: ${e.receiptsHeld}`,
    `unsettled: ${formatAmount(e.unsettled.micro, e.unsettled.unit)}`,
    `settled: ${formatAmount(e.settled.micro, e.settled.unit)}`,
  ];
}
