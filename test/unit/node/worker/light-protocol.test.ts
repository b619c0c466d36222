/**
 * The light-client wire format (node/worker/light-protocol.ts) and the check of state replies
 * (node/worker/ledger-proof.ts): valid bodies round-trip; arbitrary and mutated bytes give only typed errors
 * (BAD_REQUEST for requests, BAD_REPLY for replies); and a mutated state reply is either refused (BAD_REPLY,
 * BAD_PROOF) or proves exactly what the state holds — never another record.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accountPath, channelId, channelPath, headerHash, META_PATHS, nodePath } from '../../../../node/ledger/index.ts';
import { HEADERS_METHOD, STATE_METHOD } from '../../../../node/manager/index.ts';
import { recordOf, verifyStateReply } from '../../../../node/worker/ledger-proof.ts';
import { LedgerViewError } from '../../../../node/worker/ledger-view-errors.ts';
import {
  decodeHeadersReply,
  decodeHeadersRequest,
  decodeStateReply,
  decodeStateRequest,
  encodeHeadersReply,
  encodeHeadersRequest,
  encodeStateReply,
  encodeStateRequest,
  MAX_HEADERS,
  MAX_STATE_PATHS,
} from '../../../../node/worker/light-protocol.ts';
import { ABC, accountKey, INVESTORS, managerNode, RESERVE } from '../../../support/ledger-chain.ts';
import { LightRig, MANAGER_PEER } from '../../../support/light-rig.ts';
import { mutation } from '../../../support/mutation.ts';

/** The code of a LedgerViewError thrown by `fn`, or 'ok'; any other error fails the test. */
function outcome(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (error) {
    if (error instanceof LedgerViewError) return error.code;
    throw error;
  }
}

let rig: LightRig;
let headersReply: Uint8Array;
let stateReply: Uint8Array;
let paths: string[];
let truth: (Uint8Array | undefined)[];
let head: { height: bigint; stateRoot: Uint8Array; hash: Uint8Array };

beforeAll(async () => {
  rig = new LightRig();
  const c = rig.c;
  const client = accountKey(INVESTORS);
  const nonce = c.accountNonces.get(client.address) ?? 0n;
  rig.block([
    c.accountTx(accountKey(RESERVE), 'transfer', { to: accountKey(9).address, amount: 3n * ABC }),
    c.accountTx(client, 'channel-open', { currency: 'ABC', amount: 2n * ABC, payees: [managerNode(0).publicKey.bytes] }),
  ]);
  const { block } = rig.block([]);
  head = { height: 2n, stateRoot: block.header.stateRoot, hash: headerHash(block.header) };
  const ctx = { peer: 'x', deadline: Date.now() + 5_000, signal: new AbortController().signal };
  headersReply = await rig.net.handler(MANAGER_PEER, HEADERS_METHOD)!(encodeHeadersRequest({ from: 1n, limit: 2 }), ctx);
  paths = [
    accountPath(accountKey(9).address),
    channelPath(channelId(c.chainId, client.address, nonce)),
    nodePath(managerNode(0).publicKey.bytes),
    accountPath(accountKey(1234).address),
    META_PATHS.chain,
  ];
  stateReply = await rig.net.handler(MANAGER_PEER, STATE_METHOD)!(encodeStateRequest({ paths, height: 2n }), ctx);
  truth = paths.map((p) => {
    const record = decodeStateReply(stateReply).records.find((r) => r.path === p)!;
    return record.value;
  });
});
afterAll(() => rig.close());

const anyPath = fc.string({ minLength: 1, maxLength: 40 });

describe('requests', () => {
  it('round-trip every request within the limits, and the encoders refuse the rest as BAD_REQUEST', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 1n, max: (1n << 64n) - 1n }), fc.integer({ min: 1, max: MAX_HEADERS }), (from, limit) => {
        expect(decodeHeadersRequest(encodeHeadersRequest({ from, limit }))).toEqual({ from, limit });
      }),
    );
    fc.assert(
      fc.property(fc.uniqueArray(anyPath, { minLength: 1, maxLength: MAX_STATE_PATHS }), fc.option(fc.bigInt({ min: 0n, max: 1n << 40n }), { nil: undefined }), (ps, height) => {
        const req = height === undefined ? { paths: ps } : { paths: ps, height };
        expect(decodeStateRequest(encodeStateRequest(req))).toEqual(req);
      }),
    );
    expect(outcome(() => encodeHeadersRequest({ from: 0n, limit: 1 }))).toBe('BAD_REQUEST');
    expect(outcome(() => encodeHeadersRequest({ from: 1n, limit: MAX_HEADERS + 1 }))).toBe('BAD_REQUEST');
    expect(outcome(() => encodeHeadersRequest({ from: 1n, limit: 1.5 }))).toBe('BAD_REQUEST');
    expect(outcome(() => encodeStateRequest({ paths: ['a', 'a'] }))).toBe('BAD_REQUEST');
    expect(outcome(() => encodeStateRequest({ paths: [] }))).toBe('BAD_REQUEST');
    expect(outcome(() => encodeStateRequest({ paths: ['a'], height: -1n }))).toBe('BAD_REQUEST');
  });

  it('decode arbitrary and mutated bytes to a request or BAD_REQUEST', () => {
    const valid = [encodeHeadersRequest({ from: 5n, limit: 9 }), encodeStateRequest({ paths: ['account/abc', 'meta/chain'], height: 7n })];
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 200 }), ...valid.map((v) => mutation(v)));
    fc.assert(
      fc.property(bytes, (b) => {
        expect(['ok', 'BAD_REQUEST']).toContain(outcome(() => decodeHeadersRequest(b)));
        expect(['ok', 'BAD_REQUEST']).toContain(outcome(() => decodeStateRequest(b)));
      }),
      { numRuns: 2_000 },
    );
  });
});

describe('replies', () => {
  it('round-trip', () => {
    const headers = decodeHeadersReply(headersReply);
    expect(headers.headers.map((h) => h.header.height)).toEqual([1n, 2n]);
    expect(encodeHeadersReply(headers)).toEqual(headersReply);
    expect(encodeStateReply(decodeStateReply(stateReply))).toEqual(stateReply);
  });

  it('decode arbitrary and mutated bytes to a reply or BAD_REPLY', () => {
    const bytes = fc.oneof(fc.uint8Array({ maxLength: 300 }), mutation(headersReply), mutation(stateReply));
    fc.assert(
      fc.property(bytes, (b) => {
        expect(['ok', 'BAD_REPLY']).toContain(outcome(() => decodeHeadersReply(b)));
        expect(['ok', 'BAD_REPLY']).toContain(outcome(() => decodeStateReply(b)));
      }),
      { numRuns: 2_000 },
    );
  });

  it('a state reply proves what the state holds', () => {
    const values = verifyStateReply(decodeStateReply(stateReply), head, paths);
    expect(recordOf({ kind: 'account', address: accountKey(9).address }, values[0])?.abc).toBe(3n * ABC);
    const channel = recordOf({ kind: 'channel', id: channelId(rig.c.chainId, accountKey(INVESTORS).address, 0n) }, values[1]);
    expect(channel).toMatchObject({ escrow: 2n * ABC, status: 'open', paid: [0n], client: accountKey(INVESTORS).address });
    expect(recordOf({ kind: 'node', key: managerNode(0).publicKey.bytes }, values[2])?.role).toBe('manager');
    expect(values[3]).toBeUndefined();
    // A record of another kind at the path asked is BAD_RECORD (the chain record read as a channel).
    expect(outcome(() => recordOf({ kind: 'channel', id: new Uint8Array(32) }, values[4]))).toBe('BAD_RECORD');
  });

  it('a mutated state reply is refused, or proves exactly the same records', () => {
    fc.assert(
      fc.property(mutation(stateReply, { keepWhole: false }), (b) => {
        let reply;
        try {
          reply = decodeStateReply(b);
        } catch (error) {
          expect((error as LedgerViewError).code).toBe('BAD_REPLY');
          return;
        }
        let values;
        try {
          values = verifyStateReply(reply, head, paths);
        } catch (error) {
          expect(error).toBeInstanceOf(LedgerViewError);
          expect(['BAD_REPLY', 'BAD_PROOF']).toContain((error as LedgerViewError).code);
          return;
        }
        expect(values).toEqual(truth);
      }),
      { numRuns: 3_000 },
    );
  });

  it('refuses a reply for another height or block, other paths, a swapped value or a proof of another root', () => {
    const reply = decodeStateReply(stateReply);
    const code = (r: typeof reply, h = head) => outcome(() => verifyStateReply(r, h, paths));
    expect(code({ ...reply, height: 1n })).toBe('BAD_REPLY');
    expect(code({ ...reply, hash: new Uint8Array(32) })).toBe('BAD_PROOF');
    expect(code({ ...reply, records: reply.records.slice(1) })).toBe('BAD_REPLY');
    expect(code({ ...reply, records: [...reply.records].reverse() })).toBe('BAD_REPLY');
    const swapped = reply.records.map((r, i) => (i === 0 ? { ...r, value: reply.records[2]!.value! } : r));
    expect(code({ ...reply, records: swapped })).toBe('BAD_PROOF');
    const withheld = reply.records.map((r, i) => (i === 0 ? { path: r.path, proof: r.proof } : r));
    expect(code({ ...reply, records: withheld })).toBe('BAD_PROOF');
    const invented = reply.records.map((r, i) => (i === 3 ? { ...r, value: reply.records[0]!.value! } : r));
    expect(code({ ...reply, records: invented })).toBe('BAD_PROOF');
    // The whole genuine reply checked against the root of block 1: every proof is of another root.
    const first = decodeHeadersReply(headersReply).headers[0]!.header;
    expect(code(reply, { height: 2n, stateRoot: first.stateRoot, hash: head.hash })).toBe('BAD_PROOF');
  });
});
