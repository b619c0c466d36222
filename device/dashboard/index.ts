/**
 * The device dashboard (SPEC.md §9, docs/device.md "Dashboard"): a JSON API, one web page and Prometheus
 * metrics over HTTP, plus the history sampler behind the page's charts. The agent builds it from what it
 * already has (its status, the node runtime, the config) and starts and stops it with itself.
 */
import type { Logger } from 'pino';
import type { Clock } from '../../hal/index.ts';
import type { AgentStatus } from '../agent-status.ts';
import type { NodeRuntime } from '../runtime.ts';
import { readLedger } from './handler.ts';
import { createHistorySampler, type HistorySample } from './history.ts';
import type { ProcessFigures } from './metrics.ts';
import { createDashboardServer } from './server.ts';

export { basicPassword, checkAccess, isLocalAddress, type AccessDecision } from './access.ts';
export {
  createDashboardHandler,
  errorResponse,
  HTTP_ERROR_CODES,
  isLocalHostHeader,
  MAX_TARGET_LENGTH,
  readLedger,
  type Asset,
  type DashboardRequest,
  type DashboardResponse,
  type DashboardSources,
  type HttpErrorCode,
  type LedgerRead,
} from './handler.ts';
export { createHistorySampler, type HistorySample, type HistorySampler, type HistorySamplerOptions } from './history.ts';
export {
  decimal,
  ledgerFigures,
  vestingFigures,
  type Criterion,
  type CriterionName,
  type LedgerFigures,
  type NextRelease,
  type Penalty,
  type PenaltyKind,
  type PromotionFigures,
  type ReputationFigures,
  type TrancheFigures,
  type VestingFigures,
} from './ledger-figures.ts';
export { METRICS_CONTENT_TYPE, renderMetrics, type ProcessFigures } from './metrics.ts';
export { createDashboardServer, loadAssets, type DashboardServer, type DashboardServerOptions } from './server.ts';
export type { AmountJson, HistoryJson, HistoryPointJson, LedgerJson, NextReleaseJson, StatusJson, TrancheJson } from './views.ts';

export interface DashboardOptions {
  /** Interface to listen on (default: all; the access rules decide who is answered). Tests pass 127.0.0.1. */
  readonly host?: string;
  /** Between history samples, on the agent's clock (default 10 s). */
  readonly sampleEveryMs?: number;
  /** Samples kept (default 8,640: a day at 10 s). */
  readonly historySize?: number;
  /** Default: this process's RSS and uptime. */
  readonly processFigures?: () => ProcessFigures;
}

export interface Dashboard {
  /** Starts the sampler and listens; a port that cannot be bound rejects (DASHBOARD_FAILED) with the sampler running. */
  start(): Promise<void>;
  stop(): Promise<void>;
  address(): { readonly host: string; readonly port: number } | null;
  history(): readonly HistorySample[];
}

export interface DashboardDeps {
  readonly options: DashboardOptions;
  /** dashboard.port when the agent started (a restart key). */
  readonly port: number;
  /** dashboard.password now (a live key). */
  readonly password: () => string | null;
  readonly status: () => Promise<AgentStatus>;
  readonly runtime: () => NodeRuntime | null;
  readonly clock: Clock;
  readonly wallNow: () => number;
  readonly logger: Logger;
}

const defaultProcessFigures = (): ProcessFigures => ({ rssBytes: process.memoryUsage.rss(), uptimeSeconds: process.uptime() });

export function createDashboard(deps: DashboardDeps): Dashboard {
  const everyMs = deps.options.sampleEveryMs ?? 10_000;
  const capacity = deps.options.historySize ?? 8_640;
  const logger = deps.logger.child({ mod: 'dashboard' });
  const sampler = createHistorySampler({
    clock: deps.clock,
    wallNow: deps.wallNow,
    everyMs,
    capacity,
    logger,
    read: async () => {
      const r = (await deps.status()).runtime;
      return r === null ? null : { served: r.earnings.servedRequests, settled: r.earnings.settled.micro, balance: r.balance?.micro ?? null };
    },
  });
  const server = createDashboardServer({
    port: deps.port,
    ...(deps.options.host === undefined ? {} : { host: deps.options.host }),
    logger,
    sources: {
      status: deps.status,
      ledger: () => readLedger(deps.runtime()),
      history: () => ({ samples: sampler.samples(), everyMs, capacity }),
      password: deps.password,
      processFigures: deps.options.processFigures ?? defaultProcessFigures,
      logger,
    },
  });
  return {
    async start() {
      sampler.start();
      await server.start();
    },
    async stop() {
      await server.stop();
      await sampler.stop();
    },
    address: () => server.address(),
    history: () => sampler.samples(),
  };
}
