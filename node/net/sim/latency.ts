/**
 * Latency models of the simulated network. A distribution draws one delay in ms from a random stream; the
 * network draws each directed link's base delay once (from a stream of its own, so it does not depend on which
 * link was used first) and adds per-message jitter from the network's stream.
 */
import type { Random } from '../types.ts';
import { SimError } from './errors.ts';

export type LatencyDistribution = (random: Random) => number;

function checkMs(value: number, what: string): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new SimError('BAD_ARGUMENT', `${what} must be ms ≥ 0, got ${value}`);
  }
}

export function fixedLatency(ms: number): LatencyDistribution {
  checkMs(ms, 'latency');
  return () => ms;
}

export function uniformLatency(minMs: number, maxMs: number): LatencyDistribution {
  checkMs(minMs, 'minimum latency');
  checkMs(maxMs - minMs, 'latency range');
  return (random) => minMs + random.next() * (maxMs - minMs);
}

/**
 * Log-normal around a median: most links near it, a long tail of slow ones, as measured on wide-area networks.
 * sigma 0.5 puts the 95th percentile at about 2.3 × the median.
 */
export function logNormalLatency(medianMs: number, sigma: number): LatencyDistribution {
  checkMs(medianMs, 'median latency');
  checkMs(sigma, 'sigma');
  return (random) => {
    // Box–Muller; 1 − u keeps the logarithm's argument in (0, 1].
    const u = 1 - random.next();
    const v = random.next();
    const normal = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    return medianMs * Math.exp(sigma * normal);
  };
}
