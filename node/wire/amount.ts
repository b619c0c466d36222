/**
 * Amounts (SPEC §3): always integers of micro-units in a bigint. 1 ABC = 1,000,000 a; 1 ABIT = 1,000,000 bt.
 * On the wire an amount is a plain unsigned integer of micro-units (s.u64()); the text forms below are for people
 * (CLI, dashboard, logs).
 *
 * ABC converts to ABIT one way, 1 ABC → 1000 ABIT (§7.3.1). There is deliberately no ABIT → ABC function: ABIT is
 * a non-transferable usage token, and a reverse conversion anywhere in the code would invite minting ABC from it.
 */
import { WireError } from './errors.ts';
import { UINT64_MAX } from './cbor-model.ts';

export type Unit = 'ABC' | 'ABIT';

export interface Amount {
  readonly unit: Unit;
  /** Micro-units: 1 ABC = 1,000,000n. */
  readonly micro: bigint;
}

export const MICRO_PER_UNIT = 1_000_000n;
export const ABIT_PER_ABC = 1000n;
/** Largest amount: what an unsigned 64-bit wire integer holds. */
export const MAX_MICRO = UINT64_MAX;

const DECIMALS = 6;
const MAX_INPUT_LENGTH = 64;

/** Accepted unit spellings: whole units take up to 6 decimals, micro-unit names only integers. */
const UNITS: Readonly<Record<string, { unit: Unit; micro: boolean }>> = {
  ABC: { unit: 'ABC', micro: false },
  ABIT: { unit: 'ABIT', micro: false },
  a: { unit: 'ABC', micro: true },
  bt: { unit: 'ABIT', micro: true },
};

const SHAPE = /^\s*([+-]?)(\d*)(?:\.(\d*))?\s*(\S*)\s*$/;

function bad(input: string, why: string): WireError {
  const shown = input.length > MAX_INPUT_LENGTH ? `${input.slice(0, MAX_INPUT_LENGTH)}…` : input;
  return new WireError('BAD_AMOUNT', `${JSON.stringify(shown)}: ${why}`);
}

/**
 * Parses "1.5 ABC", "250 ABIT", "0.000001 ABC", "1500000 a", "3 bt" (space optional, case-sensitive units).
 * Throws WireError BAD_AMOUNT for anything else, naming what is wrong.
 */
export function parseAmount(input: string): Amount {
  if (typeof input !== 'string') throw new WireError('BAD_AMOUNT', 'amount must be text');
  if (input.length > MAX_INPUT_LENGTH) throw bad(input, `longer than ${MAX_INPUT_LENGTH} characters`);
  const match = SHAPE.exec(input);
  if (match === null) throw bad(input, 'expected a number and a unit, e.g. "1.5 ABC"');
  const [, sign = '', whole = '', fraction, unitName = ''] = match;
  if (sign === '-') throw bad(input, 'amounts cannot be negative');
  if (sign === '+') throw bad(input, 'write the amount without a sign');
  if (whole === '') throw bad(input, fraction === undefined ? 'missing number' : 'missing digits before "."');
  if (fraction === '') throw bad(input, 'missing digits after "."');
  if (unitName === '') throw bad(input, 'missing unit (ABC, ABIT, a or bt)');
  const unit = Object.hasOwn(UNITS, unitName) ? UNITS[unitName] : undefined;
  if (unit === undefined) throw bad(input, `unknown unit ${JSON.stringify(unitName)} (ABC, ABIT, a or bt)`);
  let micro: bigint;
  if (unit.micro) {
    if (fraction !== undefined) throw bad(input, `micro-units (${unitName}) take no decimals`);
    micro = BigInt(whole);
  } else {
    const decimals = fraction ?? '';
    if (decimals.length > DECIMALS) throw bad(input, `more than ${DECIMALS} decimals`);
    micro = BigInt(whole) * MICRO_PER_UNIT + BigInt(decimals.padEnd(DECIMALS, '0'));
  }
  if (micro > MAX_MICRO) throw bad(input, 'too large');
  return { unit: unit.unit, micro };
}

/** "1.5 ABC": whole units, trailing zeros of the fraction trimmed. */
export function formatAmount(micro: bigint, unit: Unit): string {
  checkMicro(micro);
  if (unit !== 'ABC' && unit !== 'ABIT') throw new WireError('BAD_AMOUNT', `unknown unit ${JSON.stringify(unit)}`);
  const whole = micro / MICRO_PER_UNIT;
  const fraction = (micro % MICRO_PER_UNIT).toString().padStart(DECIMALS, '0').replace(/0+$/, '');
  return `${whole}${fraction ? `.${fraction}` : ''} ${unit}`;
}

/** ABC micro-units converted to ABIT micro-units at 1 ABC = 1000 ABIT. One way only (see the module comment). */
export function abcToAbit(microAbc: bigint): bigint {
  checkMicro(microAbc);
  const microAbit = microAbc * ABIT_PER_ABC;
  if (microAbit > MAX_MICRO) {
    throw new WireError('BAD_AMOUNT', `${microAbc} a converts to more ABIT than an amount holds`);
  }
  return microAbit;
}

function checkMicro(micro: bigint): void {
  if (typeof micro !== 'bigint') throw new WireError('BAD_AMOUNT', 'micro-units must be a bigint');
  if (micro < 0n) throw new WireError('BAD_AMOUNT', `amounts cannot be negative (${micro})`);
  if (micro > MAX_MICRO) throw new WireError('BAD_AMOUNT', `${micro} exceeds the largest amount ${MAX_MICRO}`);
}
