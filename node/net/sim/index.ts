/** The deterministic simulator's network: virtual time, seeded randomness and an in-process Rpc/Datagrams. */
export { SimClock, type RunOptions } from './clock.ts';
export type { DeadPeerMode, SimStats, TraceEvent, TraceKind } from './context.ts';
export { SimError, type SimErrorCode } from './errors.ts';
export { fixedLatency, logNormalLatency, uniformLatency, type LatencyDistribution } from './latency.ts';
export { SimNetwork, SimPeer, type SimNetworkOptions } from './network.ts';
export { seededRandom, type SeededRandom } from './random.ts';
