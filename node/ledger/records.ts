/**
 * The state records (docs/ledger.md "State layout"): deterministic CBOR maps tagged with `t`, so a full scan of
 * the store can tell them apart (the invariant check and the period close walk every account). Decoding a
 * stored record that does not fit is STATE: the store is damaged or belongs to something else.
 */
import { decodeCbor, encodeCbor, s, type CborValue, type Infer } from '../wire/index.ts';
import { LedgerError } from './errors.ts';
import { paramsSchema, type LedgerParams } from './params.ts';

const amount = s.u64();
const key32 = s.bytes({ len: 32 });

const trancheSchema = s.struct({ total: amount, released: amount, start: s.u64() });
export type Tranche = Infer<typeof trancheSchema>;

/** The most uptime day buckets a node record holds (the largest `uptimeWindowDays`). */
export const MAX_UPTIME_DAYS = 365;

/**
 * What the managers' reports and the settled receipts say about a node (SPEC §6 items 5–6; reputation.ts reads
 * it). Counters are cumulative since registration; uptime is kept per day of block time (day = ⌊time / dayMs⌋),
 * only the days of the window, oldest first, so the 7-day figure is exact rather than a decaying estimate.
 */
const reputationSchema = s.struct({
  /** Block time of the registration: the age term. */
  since: s.u64(),
  auditsPassed: s.u64(),
  auditsFailed: s.u64(),
  /** Requests served, as the managers' reports count them. */
  served: s.u64(),
  /** Σ and count of the latest score per channel (the score itself is on the channel record). */
  scoreSum: s.u64(),
  scoreCount: s.u64(),
  uptime: s.array(s.struct({ day: s.u64(), seen: s.u64(), expected: s.u64() }), { max: MAX_UPTIME_DAYS }),
  /** A failed audit proven as cheating, or a removal for cheating: reputation 0.01 and no promotion, for ever. */
  bad: s.bool(),
});
export type Reputation = Infer<typeof reputationSchema>;
export type UptimeDay = Reputation['uptime'][number];

/** The channel's latest score of one payee: the receipt nonce it came with, and the score (absent: none yet). */
const channelScoreSchema = s.struct({ nonce: s.u64(), score: s.optional(s.uint({ max: 100 })) });
export type ChannelScore = Infer<typeof channelScoreSchema>;

export const ROLES = ['manager', 'worker', 'temporary'] as const;
export type Role = (typeof ROLES)[number];
export const NODE_STATUSES = ['active', 'exiting', 'exited', 'removed'] as const;
export type NodeStatus = (typeof NODE_STATUSES)[number];
export type Currency = 'ABC' | 'ABIT';

const schemas = {
  account: s.struct({
    t: s.literal('account'),
    address: s.text({ min: 1, max: 128 }),
    abc: amount,
    abit: amount,
    nonce: s.u64(),
    options: s.array(trancheSchema, { max: 1 << 16 }),
    receivedAbit: amount,
    periodIncome: amount,
    bad: s.bool(),
  }),
  node: s.struct({
    t: s.literal('node'),
    key: key32,
    role: s.text({ max: 16 }),
    status: s.text({ max: 16 }),
    account: s.text({ min: 1, max: 128 }),
    deposit: amount,
    nonce: s.u64(),
    unity: s.text({ max: 80 }),
    workload: s.u64(),
    releaseAt: s.u64(),
    hardware: s.text({ max: 256 }),
    rep: reputationSchema,
  }),
  channel: s.struct({
    t: s.literal('channel'),
    id: key32,
    client: s.text({ min: 1, max: 128 }),
    currency: s.text({ max: 8 }),
    escrow: amount,
    payees: s.array(key32, { min: 1, max: 64 }),
    paid: s.array(amount, { min: 1, max: 64 }),
    /** Per payee, the latest client score (SPEC §6 item 5: "the latest per channel counts"). */
    scores: s.array(channelScoreSchema, { min: 1, max: 64 }),
    status: s.text({ max: 16 }),
    closeAt: s.u64(),
  }),
  chain: s.struct({
    t: s.literal('chain'),
    chainId: key32,
    height: s.u64(),
    /** prevHash of the last applied block (a state cannot hold its own block's hash: the header holds its root). */
    parentHash: key32,
    lastTime: s.u64(),
    period: s.u64(),
    periodStart: s.u64(),
    govNonce: s.u64(),
    /** The verifiers' share of the last block, paid by the next block to the members of its certificate. */
    verifierBudget: amount,
  }),
  pools: s.struct({ t: s.literal('pools'), fund: amount, rewardPool: amount, workerFeePool: amount }),
  totals: s.struct({
    t: s.literal('totals'),
    genesisSupply: amount,
    abcBurned: amount,
    abitMinted: amount,
    abitBurned: amount,
  }),
  params: s.struct({ t: s.literal('params'), params: paramsSchema }),
  governance: s.struct({
    t: s.literal('governance'),
    keys: s.array(s.struct({ scheme: s.text({ max: 16 }), key: s.bytes({ min: 1, max: 1024 }) }), { min: 1, max: 64 }),
    threshold: s.uint({ max: 64 }),
    ringAuthority: key32,
  }),
  managers: s.struct({ t: s.literal('managers'), keys: s.array(key32, { max: 1024 }) }),
  /**
   * Written by the first reconfigure of block `height`: the set in force before it. The next block checks its
   * parentCertificate (the certificate of block `height`) against these keys; `recovery` says a governance-signed
   * reconfigure took effect in that block, so its certificate may be a recovery certificate.
   */
  'previous-managers': s.struct({
    t: s.literal('previous-managers'),
    height: s.u64(),
    keys: s.array(key32, { max: 1024 }),
    recovery: s.bool(),
  }),
  ring: s.struct({ t: s.literal('ring'), epoch: s.u64(), root: key32 }),
} as const;

type Schemas = typeof schemas;
export type RecordKind = keyof Schemas;
type Untagged<K extends RecordKind> = Omit<Infer<Schemas[K]>, 't'>;
export type AccountRecord = Untagged<'account'> & { readonly options: readonly Tranche[] };
export type NodeRecord = Omit<Untagged<'node'>, 'role' | 'status'> & { readonly role: Role; readonly status: NodeStatus };
export type ChannelRecord = Omit<Untagged<'channel'>, 'currency' | 'status'> & {
  readonly currency: Currency;
  readonly status: 'open' | 'closing' | 'closed';
};
export type ChainRecord = Untagged<'chain'>;
export type PoolsRecord = Untagged<'pools'>;
export type TotalsRecord = Untagged<'totals'>;
export type GovernanceRecord = Untagged<'governance'>;
export type ManagersRecord = Untagged<'managers'>;
export type PreviousManagersRecord = Untagged<'previous-managers'>;
export type RingRecord = Untagged<'ring'>;

export type AnyRecord =
  | ({ t: 'account' } & AccountRecord)
  | ({ t: 'node' } & NodeRecord)
  | ({ t: 'channel' } & ChannelRecord)
  | ({ t: 'chain' } & ChainRecord)
  | ({ t: 'pools' } & PoolsRecord)
  | ({ t: 'totals' } & TotalsRecord)
  | ({ t: 'params'; params: LedgerParams })
  | ({ t: 'governance' } & GovernanceRecord)
  | ({ t: 'managers' } & ManagersRecord)
  | ({ t: 'previous-managers' } & PreviousManagersRecord)
  | ({ t: 'ring' } & RingRecord);

export function encodeRecord(record: AnyRecord): Uint8Array {
  return encodeCbor(record as unknown as CborValue);
}

const ENUMS: Partial<Record<RecordKind, Record<string, readonly string[]>>> = {
  node: { role: ROLES, status: NODE_STATUSES },
  channel: { currency: ['ABC', 'ABIT'], status: ['open', 'closing', 'closed'] },
};

/** Decodes a stored record; STATE if the bytes are not a record of ours. */
export function decodeRecord(bytes: Uint8Array): AnyRecord {
  try {
    const value = decodeCbor(bytes);
    const t = typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as { t?: unknown }).t : undefined;
    if (typeof t !== 'string' || !Object.hasOwn(schemas, t)) throw new LedgerError('STATE', 'not a ledger record');
    const kind = t as RecordKind;
    const parsed = schemas[kind].parse(value, kind) as Record<string, unknown>;
    for (const [field, allowed] of Object.entries(ENUMS[kind] ?? {})) {
      if (!allowed.includes(parsed[field] as string)) throw new LedgerError('STATE', `${kind}.${field}: bad value`);
    }
    return parsed as unknown as AnyRecord;
  } catch (error) {
    if (error instanceof LedgerError) throw error;
    throw new LedgerError('STATE', `stored record does not decode: ${(error as Error).message}`, { cause: error });
  }
}

export function newAccount(address: string): AccountRecord {
  return { address, abc: 0n, abit: 0n, nonce: 0n, options: [], receivedAbit: 0n, periodIncome: 0n, bad: false };
}

/** The reputation record of a node registered at block time `since`: no evidence yet, no bad record. */
export function newReputation(since: bigint): Reputation {
  return { since, auditsPassed: 0n, auditsFailed: 0n, served: 0n, scoreSum: 0n, scoreCount: 0n, uptime: [], bad: false };
}
