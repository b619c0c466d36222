/**
 * `npm run bench -- rldp`: RLDP requests per second (256 bytes, 32 in flight, one long-lived stream) against a new
 * libp2p stream per request, two hosts in one process. AME_BENCH_MS sets the time per figure (default 5,000 ms).
 */
import { type Bench } from './harness.ts';
import { measureRldp } from './rldp.ts';

const MS = Number(process.env['AME_BENCH_MS'] ?? 5000);

export const bench: Bench = {
  name: 'rldp',
  async run() {
    const r = await measureRldp({ durationMs: MS });
    return {
      figures: { rldp_per_s: r.rldp_per_s, stream_per_request_per_s: r.stream_per_request_per_s },
      ratios: { rldp_vs_stream_per_request: r.ratio },
      targets: { rldp_vs_stream_per_request: '≥ 5' },
    };
  },
};
