/**
 * Reputation (SPEC §6 item 5) and the promotion rules (item 6) as pure functions: exact values in millionths,
 * the rounding (once, of the exact sum), the floor and the bad record, the uptime window, each promotion
 * criterion at its boundary; fast-check: always in [0.01, 1], monotonic in every input, within one millionth of
 * the real-valued formula.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addUptime,
  defaultParams,
  demoParams,
  MAX_UPTIME_DAYS,
  newReputation,
  promotionShortfall,
  reputation,
  REPUTATION_FLOOR,
  REPUTATION_SCALE,
  type Reputation,
  type ReputationInputs,
  uptimeIn,
} from '../../../../node/ledger/index.ts';

const DAY = 1_000n; // demoParams.dayMs
const none: ReputationInputs = {
  auditsPassed: 0n,
  auditsFailed: 0n,
  uptimeSeen: 0n,
  uptimeExpected: 0n,
  scoreSum: 0n,
  scoreCount: 0n,
  ageMs: 0n,
  dayMs: DAY,
  bad: false,
};
const rep = (x: Partial<ReputationInputs>): bigint => reputation({ ...none, ...x });

describe('reputation', () => {
  it('is 0.4 audits + 0.3 uptime + 0.2 score/100 + 0.1 min(1, age/30 days), in millionths', () => {
    // 0.4 · 19/20 + 0.3 · 95/100 + 0.2 · 85/100 + 0.1 · 15/30 = 0.38 + 0.285 + 0.17 + 0.05
    const x = { auditsPassed: 19n, auditsFailed: 1n, uptimeSeen: 95n, uptimeExpected: 100n, scoreSum: 170n, scoreCount: 2n };
    expect(rep({ ...x, ageMs: 15n * DAY })).toBe(885_000n);
    expect(rep({ auditsPassed: 1n })).toBe(400_000n);
    expect(rep({ uptimeSeen: 7n, uptimeExpected: 7n })).toBe(300_000n);
    expect(rep({ scoreSum: 300n, scoreCount: 3n })).toBe(200_000n);
    expect(rep({ ageMs: 30n * DAY })).toBe(100_000n);
    const perfect = { auditsPassed: 20n, uptimeSeen: 5n, uptimeExpected: 5n, scoreSum: 100n, scoreCount: 1n };
    expect(rep({ ...perfect, ageMs: 30n * DAY })).toBe(REPUTATION_SCALE);
    expect(rep({ ...perfect, ageMs: 3_000n * DAY })).toBe(REPUTATION_SCALE);
  });

  it('rounds the exact sum down once, not each term', () => {
    // 0.4 · 2/3 + 0.3 · 2/9 = 0.2666… + 0.0666… = 0.3333…; per-term floors would give 266,666 + 66,666 = 333,332.
    expect(rep({ auditsPassed: 2n, auditsFailed: 1n, uptimeSeen: 2n, uptimeExpected: 9n })).toBe(333_333n);
    expect(rep({ auditsPassed: 1n, auditsFailed: 2n })).toBe(133_333n);
    // 0.1 · 7.5 days / 30 days = 0.025
    expect(rep({ ageMs: 7n * DAY + DAY / 2n })).toBe(25_000n);
  });

  it('counts no evidence as 0 and floors at 0.01; a bad record is 0.01 whatever the counters', () => {
    expect(rep({})).toBe(REPUTATION_FLOOR);
    expect(REPUTATION_FLOOR).toBe(10_000n);
    expect(rep({ ageMs: 1n * DAY })).toBe(10_000n); // 0.0033… → floor
    expect(rep({ ageMs: 6n * DAY })).toBe(20_000n);
    expect(rep({ auditsFailed: 9n, scoreSum: 0n, scoreCount: 4n, uptimeExpected: 10n })).toBe(10_000n);
    const perfect = { auditsPassed: 20n, uptimeSeen: 5n, uptimeExpected: 5n, scoreSum: 100n, scoreCount: 1n, ageMs: 90n * DAY };
    expect(rep({ ...perfect, bad: true })).toBe(10_000n);
  });

  const inputs = fc
    .record({
      auditsPassed: fc.bigInt(0n, 1_000_000n),
      auditsFailed: fc.bigInt(0n, 1_000_000n),
      uptimeExpected: fc.bigInt(0n, 1_000_000n),
      seenPart: fc.bigInt(0n, 1_000_000n),
      scoreCount: fc.bigInt(0n, 1_000n),
      scorePart: fc.bigInt(0n, 100_000n),
      ageMs: fc.bigInt(0n, 1n << 40n),
      dayMs: fc.bigInt(1n, 10n * 86_400_000n),
      bad: fc.boolean(),
    })
    .map(
      ({ seenPart, scorePart, ...x }): ReputationInputs => ({
        ...x,
        uptimeSeen: x.uptimeExpected === 0n ? 0n : seenPart % (x.uptimeExpected + 1n),
        scoreSum: scorePart % (100n * x.scoreCount + 1n),
      }),
    );

  it('is always in [0.01, 1], and within one millionth below the real-valued formula', () => {
    fc.assert(
      fc.property(inputs, (x) => {
        const r = reputation(x);
        expect(r).toBeGreaterThanOrEqual(REPUTATION_FLOOR);
        expect(r).toBeLessThanOrEqual(REPUTATION_SCALE);
        if (x.bad) {
          expect(r).toBe(REPUTATION_FLOOR);
          return;
        }
        const ratio = (n: bigint, d: bigint): number => (d === 0n ? 0 : Number(n) / Number(d));
        const real =
          0.4 * ratio(x.auditsPassed, x.auditsPassed + x.auditsFailed) +
          0.3 * ratio(x.uptimeSeen, x.uptimeExpected) +
          0.2 * ratio(x.scoreSum, 100n * x.scoreCount) +
          0.1 * Math.min(1, Number(x.ageMs) / Number(30n * x.dayMs));
        const expected = Math.max(Math.floor(real * 1e6), 10_000);
        expect(Math.abs(Number(r) - expected)).toBeLessThanOrEqual(1);
      }),
      { numRuns: 2_000 },
    );
  });

  it('is monotonic in every input', () => {
    const more = fc.bigInt(1n, 1_000_000n);
    fc.assert(
      fc.property(inputs, more, (x, d) => {
        const r = reputation(x);
        expect(reputation({ ...x, auditsPassed: x.auditsPassed + d })).toBeGreaterThanOrEqual(r);
        expect(reputation({ ...x, auditsFailed: x.auditsFailed + d })).toBeLessThanOrEqual(r);
        // More intervals seen (never above expected), more expected with the same seen.
        const seen = x.uptimeSeen + d > x.uptimeExpected ? x.uptimeExpected : x.uptimeSeen + d;
        expect(reputation({ ...x, uptimeSeen: seen })).toBeGreaterThanOrEqual(r);
        expect(reputation({ ...x, uptimeExpected: x.uptimeExpected + d })).toBeLessThanOrEqual(r);
        const scores = x.scoreSum + d > 100n * x.scoreCount ? 100n * x.scoreCount : x.scoreSum + d;
        expect(reputation({ ...x, scoreSum: scores })).toBeGreaterThanOrEqual(r);
        // One more channel scored 0 lowers the mean; one scored 100 raises it.
        expect(reputation({ ...x, scoreCount: x.scoreCount + 1n })).toBeLessThanOrEqual(r);
        expect(reputation({ ...x, scoreCount: x.scoreCount + 1n, scoreSum: x.scoreSum + 100n })).toBeGreaterThanOrEqual(r);
        expect(reputation({ ...x, ageMs: x.ageMs + d })).toBeGreaterThanOrEqual(r);
        expect(reputation({ ...x, bad: true })).toBeLessThanOrEqual(r);
      }),
      { numRuns: 1_000 },
    );
  });
});

describe('uptime window', () => {
  const p = demoParams; // 7 days of 1 s
  it('keeps per-day buckets of the last uptimeWindowDays days, adding within a day', () => {
    let b = addUptime([], p, 2_500n, 9n, 10n);
    expect(b).toEqual([{ day: 2n, seen: 9n, expected: 10n }]);
    b = addUptime(b, p, 2_999n, 1n, 1n);
    expect(b).toEqual([{ day: 2n, seen: 10n, expected: 11n }]);
    b = addUptime(b, p, 8_000n, 3n, 4n);
    expect(b).toEqual([
      { day: 2n, seen: 10n, expected: 11n },
      { day: 8n, seen: 3n, expected: 4n },
    ]);
    // Day 9: the window is days 3…9, day 2 goes.
    b = addUptime(b, p, 9_000n, 0n, 0n);
    expect(b).toEqual([{ day: 8n, seen: 3n, expected: 4n }]);
    expect(addUptime([], p, 5_000n, 0n, 0n)).toEqual([]);
  });

  it('reads only the days inside the window at the given time, without a write', () => {
    const r: Reputation = {
      ...newReputation(0n),
      uptime: [
        { day: 2n, seen: 10n, expected: 11n },
        { day: 8n, seen: 3n, expected: 4n },
      ],
    };
    expect(uptimeIn(r, p, 8_500n)).toEqual({ seen: 13n, expected: 15n });
    expect(uptimeIn(r, p, 9_000n)).toEqual({ seen: 3n, expected: 4n });
    expect(uptimeIn(r, p, 14_999n)).toEqual({ seen: 3n, expected: 4n });
    expect(uptimeIn(r, p, 15_000n)).toEqual({ seen: 0n, expected: 0n });
    expect(uptimeIn(r, p, 1_000n)).toEqual({ seen: 0n, expected: 0n }); // buckets after `time` do not count
    expect(MAX_UPTIME_DAYS).toBe(365);
  });
});

describe('promotion rules', () => {
  const p = demoParams; // 10 served, 3 audits, 99 %, score 80, 95 % over 7 days of 1 s
  const week = 7n * DAY;
  // Registered at 0; at 7,500 (day 7) the window is days 1…7.
  const good: Reputation = {
    ...newReputation(0n),
    served: 10n,
    auditsPassed: 3n,
    scoreSum: 160n,
    scoreCount: 2n,
    uptime: [{ day: 7n, seen: 19n, expected: 20n }],
  };
  const at = week + 500n;
  const field = (r: Reputation, time = at, params = p): string | undefined => promotionShortfall(r, params, time)?.field;

  it('has the SPEC defaults, small ones in the demo', () => {
    expect(defaultParams.promotionMinServed).toBe(10_000n);
    expect(defaultParams.promotionMinAudits).toBe(20n);
    expect(defaultParams.promotionAuditPassBps).toBe(9_900n);
    expect(defaultParams.promotionMinScore).toBe(80n);
    expect(defaultParams.promotionUptimeBps).toBe(9_500n);
    expect(defaultParams.uptimeWindowDays).toBe(7n);
    expect([p.promotionMinServed, p.promotionMinAudits]).toEqual([10n, 3n]);
  });

  it('accepts a record that meets every rule, at each boundary', () => {
    expect(promotionShortfall(good, p, at)).toBeUndefined();
    expect(field({ ...good, auditsPassed: 99n, auditsFailed: 1n })).toBeUndefined(); // exactly 99 %
    expect(field({ ...good, scoreSum: 80n, scoreCount: 1n })).toBeUndefined(); // exactly 80
    expect(field(good, week)).toBeUndefined(); // registered exactly one window ago
  });

  it('names the first unmet rule by its parameter', () => {
    expect(field({ ...good, served: 9n })).toBe('params.promotionMinServed');
    expect(field({ ...good, auditsPassed: 2n })).toBe('params.promotionMinAudits');
    expect(field({ ...good, auditsPassed: 98n, auditsFailed: 1n })).toBe('params.promotionAuditPassBps');
    expect(field({ ...good, auditsPassed: 19n, auditsFailed: 1n }, at, defaultParams)).toBe('params.promotionMinServed');
    expect(field({ ...good, served: 10_000n, auditsPassed: 19n }, at, defaultParams)).toBe('params.promotionMinAudits');
    expect(field({ ...good, scoreSum: 159n })).toBe('params.promotionMinScore'); // mean 79.5
    expect(field({ ...good, scoreSum: 0n, scoreCount: 0n })).toBe('params.promotionMinScore'); // no score at all
    expect(field(good, week - 1n)).toBe('params.uptimeWindowDays');
    expect(field({ ...good, uptime: [{ day: 7n, seen: 189n, expected: 200n }] })).toBe('params.promotionUptimeBps'); // 94.5 %
    expect(field({ ...good, uptime: [] })).toBe('params.promotionUptimeBps');
    expect(field(good, at + week)).toBe('params.promotionUptimeBps'); // the evidence left the window
    // A rule set to 0 is off.
    expect(field({ ...good, scoreCount: 0n, scoreSum: 0n, uptime: [] }, 0n, { ...p, promotionMinScore: 0n, promotionUptimeBps: 0n })).toBeUndefined();
  });

  it('is refused by a record short of any one rule (fast-check: weakening a good record)', () => {
    const weaken = fc.constantFrom('served', 'audits', 'rate', 'score', 'uptime', 'young');
    fc.assert(
      fc.property(weaken, fc.bigInt(1n, 1_000n), (what, d) => {
        const r: Reputation =
          what === 'served'
            ? { ...good, served: good.served - 1n - (d % good.served) }
            : what === 'audits'
              ? { ...good, auditsPassed: 2n }
              : what === 'rate'
                ? { ...good, auditsPassed: 99n * d - 1n, auditsFailed: d }
                : what === 'score'
                  ? { ...good, scoreSum: 80n * 2n * d - 1n, scoreCount: 2n * d }
                  : what === 'uptime'
                    ? { ...good, uptime: [{ day: 7n, seen: 95n * d - 1n, expected: 100n * d }] }
                    : good;
        const time = what === 'young' ? week - d : at;
        expect(promotionShortfall(r, p, time)).toBeDefined();
      }),
      { numRuns: 300 },
    );
  });
});
