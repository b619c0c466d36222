import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NetError } from '../../../../../node/net/errors.ts';
import {
  DEFAULT_RLDP_LIMITS,
  FloodMeter,
  fitsBudget,
  frameCount,
  resolveLimits,
} from '../../../../../node/net/rldp/limits.ts';

describe('RLDP limits', () => {
  it('has the defaults of the issue', () => {
    expect(resolveLimits()).toEqual(DEFAULT_RLDP_LIMITS);
    expect(DEFAULT_RLDP_LIMITS).toMatchObject({
      frameLimit: 4 * 2 ** 20,
      maxMessageBytes: 64 * 2 ** 20,
      maxInboundInFlight: 256,
      maxBufferedBytes: 32 * 2 ** 20,
      defaultTimeoutMs: 10_000,
    });
  });

  it.each([
    { frameLimit: 100 },
    { maxMessageBytes: 0 },
    { maxMessageBytes: 2 ** 32 },
    { maxInboundInFlight: 1.5 },
    { maxPendingRequests: 10, maxOutboundInFlight: 11 },
    { defaultTimeoutMs: 10, maxDeadlineMs: 5 },
  ])('refuses %o', (overrides) => {
    expect(() => resolveLimits(overrides)).toThrow(NetError);
  });

  it('counts frames: the fewest frames of at most frameLimit bytes, and one for an empty message', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1e9 }), fc.integer({ min: 1, max: 1e7 }), (size, limit) => {
        const n = frameCount(size, limit);
        expect(n).toBeGreaterThanOrEqual(1);
        expect(n * limit).toBeGreaterThanOrEqual(size);
        if (n > 1) expect((n - 1) * limit).toBeLessThan(size);
      }),
    );
    expect(frameCount(10 * 2 ** 20, 4 * 2 ** 20)).toBe(3);
  });

  it('admits within the budget, and anything when nothing is held', () => {
    expect(fitsBudget(0, 100, 10)).toBe(true);
    expect(fitsBudget(5, 5, 10)).toBe(true);
    expect(fitsBudget(5, 6, 10)).toBe(false);
  });

  it('strikes out a peer only past the limit within one window', () => {
    const meter = new FloodMeter(3, 1000);
    expect([meter.strike(0), meter.strike(1), meter.strike(2)]).toEqual([false, false, false]);
    expect(meter.strike(999)).toBe(true);
    expect(meter.strike(1000)).toBe(false);
  });
});
