/** One line of hop-simulator figures, as the integration and long tests print them and docs/ring.md quotes them. */
import type { HopsReport } from '../../node/ring/sim/hops.ts';

export function describeReport(report: HopsReport, ms: number): string {
  const { n, g, pairs, maxHops, meanHops, histogram, routingEntriesPerUnity: entries, twoSqrtN } = report;
  return (
    `N=${n} g=${g}: ${pairs.toLocaleString('en-US')} ${report.allPairs ? 'ordered pairs (all)' : 'sampled pairs'}, ` +
    `max ${maxHops} hops, mean ${meanHops.toFixed(4)}, histogram [${histogram.join(', ')}], ` +
    `routing entries per Unity min/mean/max ${entries.min}/${entries.mean}/${entries.max} ` +
    `(2√N = ${twoSqrtN.toFixed(2)}), ${Math.round(ms)} ms`
  );
}
