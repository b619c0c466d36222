/**
 * The dashboard's ledger figures against the ledger's own rules: the worked example's tranche (SPEC §7) day by
 * day, and a fast-check property that the per-criterion verdicts agree with promotionShortfall — every counter
 * rule met exactly when the ledger finds no shortfall, and the rule it names shown as unmet.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { demoParams, newReputation, promotionShortfall, type AccountRecord, type LedgerParams, type NodeRecord, type Reputation } from '../../../node/ledger/index.ts';
import { ledgerFigures, vestingFigures } from '../../../device/index.ts';

const ADDRESS = 'AQ5Wn8iY1wSmXGJ2eE1PU4shpx1NZcDhEa';

function account(overrides: Partial<AccountRecord> = {}): AccountRecord {
  return { address: ADDRESS, abc: 2_840_000n, abit: 0n, nonce: 0n, options: [], receivedAbit: 0n, periodIncome: 0n, bad: false, ...overrides };
}

function node(rep: Reputation, overrides: Partial<NodeRecord> = {}): NodeRecord {
  return {
    key: new Uint8Array(32).fill(7),
    role: 'temporary',
    status: 'active',
    account: ADDRESS,
    deposit: 0n,
    nonce: 0n,
    unity: 'u0',
    workload: 0n,
    releaseAt: 0n,
    hardware: 'pi5',
    rep,
    ...overrides,
  };
}

describe('vesting figures', () => {
  // SPEC §7 worked example: 710,000 a frozen at 60,000, released 23,666 a a day for 29 days, 23,686 a on day 30.
  const tranche = { total: 710_000n, released: 0n, start: 60_000n };
  const day = demoParams.dayMs;

  it('releases one part a day, the remainder with the last, and names the next release', () => {
    const before = vestingFigures(account({ options: [tranche] }), demoParams, 60_000n + day - 1n);
    expect(before).toMatchObject({ released: 0n, unreleased: 710_000n, next: { at: 61_000n, amount: 23_666n }, balance: 2_840_000n });
    const day5 = vestingFigures(account({ options: [tranche] }), demoParams, 60_000n + 5n * day + 500n);
    expect(day5.tranches[0]).toEqual({
      start: 60_000n,
      total: 710_000n,
      released: 5n * 23_666n,
      unreleased: 710_000n - 5n * 23_666n,
      daysReleased: 5n,
      days: 30n,
      dailyPart: 23_666n,
      next: { at: 66_000n, amount: 23_666n },
    });
    // Released parts count in the balance before any transaction moves them (the ledger's accountAt).
    expect(day5.balance).toBe(2_840_000n + 5n * 23_666n);
    expect(day5.spendable).toBe(day5.balance);
    const day29 = vestingFigures(account({ options: [tranche] }), demoParams, 60_000n + 29n * day);
    expect(day29.next).toEqual({ at: 90_000n, amount: 23_686n });
    const done = vestingFigures(account({ options: [tranche] }), demoParams, 60_000n + 30n * day);
    expect(done).toMatchObject({ released: 710_000n, unreleased: 0n, next: null, balance: 3_550_000n });
  });

  it('counts only parts not yet moved, sums tranches due together, and holds this period’s frozen income', () => {
    const moved = { ...tranche, released: 2n * 23_666n };
    const other = { total: 300n, released: 0n, start: 60_000n };
    const f = vestingFigures(account({ abc: 2_840_000n + 2n * 23_666n, options: [moved, other], periodIncome: 1_000_000n }), demoParams, 63_500n);
    expect(f.balance).toBe(2_840_000n + 3n * 23_666n + 30n);
    expect(f.released).toBe(3n * 23_666n + 30n);
    expect(f.next).toEqual({ at: 64_000n, amount: 23_666n + 10n });
    expect(f.frozenAtClose).toBe(200_000n);
    expect(f.spendable).toBe(f.balance - 200_000n);
  });
});

const COUNTER_CRITERIA = ['served', 'audits', 'auditPassRate', 'clientScore', 'uptimeWindow', 'uptime'] as const;
const FIELD_OF: Record<(typeof COUNTER_CRITERIA)[number], string> = {
  served: 'params.promotionMinServed',
  audits: 'params.promotionMinAudits',
  auditPassRate: 'params.promotionAuditPassBps',
  clientScore: 'params.promotionMinScore',
  uptimeWindow: 'params.uptimeWindowDays',
  uptime: 'params.promotionUptimeBps',
};

const small = (max: number) => fc.integer({ min: 0, max }).map(BigInt);

const arbitraryCase = fc
  .record({
    params: fc.record({
      promotionMinServed: small(30),
      promotionMinAudits: small(10),
      promotionAuditPassBps: fc.constantFrom(0n, 5_000n, 9_900n, 10_000n),
      promotionMinScore: fc.constantFrom(0n, 50n, 80n, 100n),
      promotionUptimeBps: fc.constantFrom(0n, 9_500n, 10_000n),
      uptimeWindowDays: fc.integer({ min: 1, max: 5 }).map(BigInt),
    }),
    since: small(5_000),
    age: small(10_000),
    passed: small(15),
    failed: small(3),
    served: small(40),
    scoreCount: small(4),
    scores: fc.array(fc.integer({ min: 0, max: 100 }), { minLength: 4, maxLength: 4 }),
    buckets: fc.array(fc.record({ back: small(6), seen: small(10), extra: small(2) }), { maxLength: 4 }),
    bad: fc.boolean(),
    rich: fc.boolean(),
  })
  .map((x) => {
    const params: LedgerParams = { ...demoParams, ...x.params };
    const time = x.since + x.age;
    const today = time / params.dayMs;
    const days = [...new Map(x.buckets.filter((b) => b.back <= today).map((b) => [today - b.back, b])).entries()].sort((a, b) => (a[0] < b[0] ? -1 : 1));
    const scoreSum = x.scores.slice(0, Number(x.scoreCount)).reduce((s, v) => s + BigInt(v), 0n);
    const rep: Reputation = {
      ...newReputation(x.since),
      auditsPassed: x.passed,
      auditsFailed: x.failed,
      served: x.served,
      scoreSum,
      scoreCount: x.scoreCount,
      uptime: days.map(([day, b]) => ({ day, seen: b.seen, expected: b.seen + b.extra })),
      bad: x.bad,
    };
    // The demo worker deposit is 100 ABC: a rich payout account covers it, the other does not.
    return { params, time, rep, abc: x.rich ? 200_000_000n : 2_840_000n };
  });

describe('promotion figures', () => {
  it('agree with promotionShortfall on any record: all counter rules met ⇔ no shortfall, the named rule unmet', () => {
    fc.assert(
      fc.property(arbitraryCase, ({ params, time, rep, abc }) => {
        const f = ledgerFigures({ height: 1n, time, node: node(rep), account: account({ abc }), params });
        const shortfall = promotionShortfall(rep, params, time);
        const criteria = new Map(f.promotion!.criteria.map((c) => [c.name, c]));
        const counters = COUNTER_CRITERIA.map((name) => criteria.get(name)!);
        expect(counters.every((c) => c.met)).toBe(shortfall === undefined);
        expect(f.promotion!.shortfall ?? undefined).toEqual(shortfall);
        if (shortfall !== undefined) {
          const named = counters.find((c) => FIELD_OF[c.name as (typeof COUNTER_CRITERIA)[number]] === shortfall.field);
          expect(named?.met, shortfall.field).toBe(false);
        }
        for (const c of f.promotion!.criteria) {
          expect(c.progress).toBeGreaterThanOrEqual(0);
          expect(c.progress).toBeLessThanOrEqual(1);
        }
        expect(criteria.get('noBadRecord')!.met).toBe(!rep.bad);
        expect(criteria.get('deposit')!.met).toBe(abc >= params.depositWorker);
        expect(f.promotion!.eligible).toBe(shortfall === undefined && !rep.bad && abc >= params.depositWorker);
      }),
      { numRuns: 500 },
    );
  });

  it('shows values and thresholds in the criterion’s unit, and the deposit from balance and options', () => {
    const rep: Reputation = {
      ...newReputation(1_000n),
      auditsPassed: 19n,
      auditsFailed: 1n,
      served: 12n,
      scoreSum: 170n,
      scoreCount: 2n,
      uptime: [{ day: 9n, seen: 97n, expected: 100n }],
    };
    const options = [{ total: 100_000_000n, released: 0n, start: 9_000n }];
    const f = ledgerFigures({ height: 5n, time: 9_500n, node: node(rep), account: account({ options }), params: { ...demoParams, depositWorker: 50_000_000n } });
    const byName = Object.fromEntries(f.promotion!.criteria.map((c) => [c.name, [c.value, c.threshold, c.unit, c.met]]));
    expect(byName).toEqual({
      served: ['12', '10', 'requests', true],
      audits: ['20', '3', 'audits', true],
      auditPassRate: ['95.00', '99.00', '%', false],
      clientScore: ['85.00', '80.00', '/ 100', true],
      uptimeWindow: ['8.50', '7.00', 'days', true],
      uptime: ['97.00', '95.00', '%', true],
      noBadRecord: ['none', 'none', '', true],
      deposit: ['102.84 ABC', '50 ABC', '', true],
    });
    expect(f.promotion).toMatchObject({ eligible: false, shortfall: { field: 'params.promotionAuditPassBps' } });
    expect(f.penalties).toEqual([{ kind: 'failed-audits', reason: '1 of 20 audits failed: lowers reputation and the audit pass rate' }]);
  });

  it('lists a removal for cheating, the bad records, and failed audits as penalties', () => {
    const rep: Reputation = { ...newReputation(0n), auditsPassed: 3n, auditsFailed: 2n, bad: true };
    const f = ledgerFigures({ height: 9n, time: 5_000n, node: node(rep, { status: 'removed' }), account: account({ bad: true }), params: demoParams });
    expect(f.penalties.map((p) => p.kind)).toEqual(['removed', 'bad-record', 'account-bad-record', 'failed-audits']);
    expect(f.penalties[0]!.reason).toContain('for cheating');
    expect(f.reputation!.millionths).toBe(10_000n);
    expect(f.promotion!.eligible).toBe(false);
    const quiet = ledgerFigures({ height: 9n, time: 5_000n, node: node(newReputation(0n), { status: 'removed' }), account: account(), params: demoParams });
    expect(quiet.penalties).toEqual([{ kind: 'removed', reason: 'removed by the managers (failing or gone without exit): deposit forfeited, earnings kept' }]);
    const none = ledgerFigures({ height: 1n, time: 1n, node: undefined, account: undefined, params: demoParams });
    expect(none).toMatchObject({ vesting: null, promotion: null, reputation: null, penalties: [] });
  });
});
