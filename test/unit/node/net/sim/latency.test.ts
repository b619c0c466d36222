import { describe, expect, it } from 'vitest';
import {
  fixedLatency,
  logNormalLatency,
  seededRandom,
  SimError,
  uniformLatency,
} from '../../../../../node/net/sim/index.ts';
import { codeOf } from '../../../../support/error-code.ts';

describe('latency distributions', () => {
  const r = seededRandom('latency');
  const sample = (f: (x: typeof r) => number, n = 20_000) =>
    Array.from({ length: n }, () => f(r)).sort((a, b) => a - b);

  it('draws fixed, uniform and log-normal delays with the configured shape', () => {
    expect(fixedLatency(7)(r)).toBe(7);
    const uniform = sample(uniformLatency(10, 30));
    expect(uniform[0]!).toBeGreaterThanOrEqual(10);
    expect(uniform.at(-1)!).toBeLessThan(30);
    expect(Math.abs(uniform[10_000]! - 20)).toBeLessThan(0.5);
    const logNormal = sample(logNormalLatency(40, 0.5));
    expect(Math.abs(logNormal[10_000]! - 40)).toBeLessThan(1.5);
    // 95th percentile of exp(0.5·Z) is exp(0.5·1.645) ≈ 2.28 × the median.
    expect(logNormal[19_000]! / 40).toBeGreaterThan(2.1);
    expect(logNormal[19_000]! / 40).toBeLessThan(2.5);
    expect(logNormal[0]!).toBeGreaterThan(0);
  });

  it('refuses negative or inverted parameters', () => {
    expect(codeOf(() => fixedLatency(-1), SimError)).toBe('BAD_ARGUMENT');
    expect(codeOf(() => uniformLatency(5, 1), SimError)).toBe('BAD_ARGUMENT');
    expect(codeOf(() => logNormalLatency(10, Number.NaN), SimError)).toBe('BAD_ARGUMENT');
  });
});
