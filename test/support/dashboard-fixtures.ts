/**
 * TEST ONLY: an AgentStatus and dashboard sources in memory, for the dashboard's handler, metrics and server
 * tests (no agent, no HAL): what the handler reads is whatever the test sets.
 */
import { pino } from 'pino';
import {
  loadAssets,
  type AgentStatus,
  type DashboardRequest,
  type DashboardSources,
  type HistorySample,
  type LedgerRead,
  type RuntimeStatus,
} from '../../device/index.ts';

export const ADDRESS = 'AQ5Wn8iY1wSmXGJ2eE1PU4shpx1NZcDhEa';
export const PEER = '12D3KooWQbDtbMxGYUKpd2Lz4n9DRpnRxJoPTbCKSrXc3mHU1KwU';

const abc = (micro: bigint) => ({ unit: 'ABC' as const, micro });

export function runtimeStatus(overrides: Partial<RuntimeStatus> = {}): RuntimeStatus {
  return {
    role: 'temporary-worker',
    peerId: PEER,
    walletAddress: ADDRESS,
    registered: true,
    promoted: false,
    connectedPeers: 3,
    balance: abc(2_840_000n),
    earnings: { servedRequests: 12, receiptsHeld: 2, unsettled: abc(150_000n), settled: abc(3_000_000n) },
    problems: [],
    ...overrides,
  };
}

export function agentStatus(overrides: Partial<AgentStatus> = {}): AgentStatus {
  return {
    state: { name: 'serving' },
    peerId: PEER,
    payout: { address: ADDRESS, source: 'wallet' },
    wallet: {
      address: ADDRESS,
      scheme: 'ecdsa',
      publicKey: new Uint8Array(33),
      publicKeyHex: '00'.repeat(33),
      created: '2025-01-02T03:04:05.000Z',
      phraseShown: false,
      encrypted: false,
    },
    runtime: runtimeStatus(),
    config: { basis: 'layers', problems: [], restartPending: [] },
    uncleanStop: false,
    integrity: 'not run',
    resetting: false,
    healthy: true,
    ...overrides,
  };
}

export interface FakeSources extends DashboardSources {
  statusValue: AgentStatus;
  ledgerValue: LedgerRead;
  samples: HistorySample[];
  passwordValue: string | null;
  /** When set, status() throws it (a bug in a source: the handler must answer 500, not crash). */
  failure: Error | null;
}

export function fakeSources(): FakeSources {
  const sources: FakeSources = {
    statusValue: agentStatus(),
    ledgerValue: { reason: 'the node has not read the ledger yet' },
    samples: [],
    passwordValue: null,
    failure: null,
    status: async () => {
      if (sources.failure) throw sources.failure;
      return sources.statusValue;
    },
    ledger: async () => sources.ledgerValue,
    history: () => ({ samples: sources.samples, everyMs: 10_000, capacity: 100 }),
    password: () => sources.passwordValue,
    processFigures: () => ({ rssBytes: 50_000_000, uptimeSeconds: 12.5 }),
    assets: loadAssets(),
    logger: pino({ enabled: false }),
  };
  return sources;
}

export function request(url: string, overrides: Partial<DashboardRequest> = {}): DashboardRequest {
  return { method: 'GET', url, headers: { host: '192.168.1.20:8080' }, remoteAddress: '192.168.1.7', ...overrides };
}

export function basic(password: string, user = 'owner'): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
