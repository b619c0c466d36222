/**
 * The supply invariants of SPEC §7, checked over the whole state (every test calls this after every block):
 *
 *   Σ ABC  = accounts (balance + unreleased options) + node deposits + ABC channel escrows + fund + reward pool
 *            + worker fee pool = genesis supply − ABC burned by conversion
 *   Σ ABIT = accounts (balance + received counter) + ABIT channel escrows = ABIT minted − ABIT burned
 *   and no amount anywhere is negative.
 */
import { LedgerError } from './errors.ts';
import { StateView, type StoreLine } from './state.ts';

export interface SupplyReport {
  readonly abc: bigint;
  readonly abit: bigint;
  readonly expectedAbc: bigint;
  readonly expectedAbit: bigint;
  readonly accounts: number;
}

function nonNegative(value: bigint, where: string): bigint {
  if (value < 0n) throw new LedgerError('INVARIANT', `${where} is negative (${value})`);
  return value;
}

export function supplyReport(source: StoreLine | StateView): SupplyReport {
  const state = source instanceof StateView ? source : StateView.over(source);
  let abc = 0n;
  let abit = 0n;
  let accounts = 0;
  for (const record of state.records()) {
    switch (record.t) {
      case 'account': {
        accounts++;
        abc += nonNegative(record.abc, `${record.address}.abc`);
        for (const t of record.options) abc += nonNegative(t.total - t.released, `${record.address}.options`);
        abit += nonNegative(record.abit, `${record.address}.abit`) + nonNegative(record.receivedAbit, `${record.address}.receivedAbit`);
        nonNegative(record.periodIncome, `${record.address}.periodIncome`);
        break;
      }
      case 'node':
        abc += nonNegative(record.deposit, 'node deposit');
        break;
      case 'channel':
        if (record.currency === 'ABC') abc += nonNegative(record.escrow, 'channel escrow');
        else abit += nonNegative(record.escrow, 'channel escrow');
        break;
      case 'pools':
        abc += nonNegative(record.fund, 'fund') + nonNegative(record.rewardPool, 'reward pool');
        abc += nonNegative(record.workerFeePool, 'worker fee pool');
        break;
      default:
        break;
    }
  }
  const totals = state.totals();
  return {
    abc,
    abit,
    expectedAbc: totals.genesisSupply - totals.abcBurned,
    expectedAbit: totals.abitMinted - totals.abitBurned,
    accounts,
  };
}

/** Throws INVARIANT unless both supply equations hold and nothing is negative. */
export function checkInvariants(source: StoreLine | StateView): SupplyReport {
  const report = supplyReport(source);
  if (report.abc !== report.expectedAbc) {
    throw new LedgerError('INVARIANT', `Σ ABC is ${report.abc} a, expected ${report.expectedAbc} a`);
  }
  if (report.abit !== report.expectedAbit) {
    throw new LedgerError('INVARIANT', `Σ ABIT is ${report.abit} bt, expected ${report.expectedAbit} bt`);
  }
  return report;
}
