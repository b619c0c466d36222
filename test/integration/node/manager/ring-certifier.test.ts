/**
 * Issue 6: ring-map certificates signed by the Manager Ring instead of the ring-authority key. Six manager servers
 * on libp2p (127.0.0.1, ephemeral ports; test/support/manager-unity.ts); the ring authority service runs on
 * manager 0's host and certifies through `server(0).ringCertify()`, which gathers the members' shares on
 * `manager/ring-sign`. Its map updates and views verify against the manager set (Certifiers {managers}) and not
 * against another set; responders refuse a second document for a signed epoch (also after a restart), stale,
 * mis-tagged and mis-addressed documents, and garbage; with one of six managers stopped the quorum (5) still
 * signs, with two the collector fails with QUORUM_TIMEOUT.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bytesEqual, Ed25519KeyPair, peerIdOf, sha256, utf8 } from '../../../../node/crypto/index.ts';
import { getHead, ManagerError, RING_SIGN_METHOD, requestRingShare, type RingSignRequest } from '../../../../node/manager/index.ts';
import { NetError, systemClock, type PeerRef } from '../../../../node/net/index.ts';
import {
  decodeMapUpdate,
  encodeRingMap,
  genesisMap,
  managerQuorum,
  managersVerifier,
  MAP_CERTIFICATE_TAG,
  RingError,
  type ManagersCertificate,
  type MapUpdate,
  type RingMap,
} from '../../../../node/ring/index.ts';
import { RingAuthority } from '../../../../node/ring/service/authority-service.ts';
import { bodies, decodeBody, encodeBody, METHOD } from '../../../../node/ring/service/protocol.ts';
import { decodeSignedView, verifyView, type SignedView } from '../../../../node/ring/service/view.ts';
import { encodeCbor } from '../../../../node/wire/index.ts';
import { TestUnity } from '../../../support/manager-unity.ts';
import { codeOf } from '../../../support/error-code.ts';

const fakeServer = (i: number): PeerRef => ({ id: peerIdOf(Ed25519KeyPair.fromSeed(sha256(utf8(`ring server ${i}`))).publicKey.bytes), addrs: [] });
/** Six keys that are not the managers'. */
const otherSet = Array.from({ length: 6 }, (_, i) => Uint8Array.from(Ed25519KeyPair.fromSeed(sha256(utf8(`other manager ${i}`))).publicKey.bytes));

let unity: TestUnity;
let authority: RingAuthority;
let set: readonly Uint8Array[];

beforeAll(async () => {
  unity = await TestUnity.start();
  set = unity.server(0).ledger.finalView().managers().keys;
  // Two Unities of six: the client host is a server of Unity 0 (it fetches its views over the network).
  const servers = [unity.client.peer, ...Array.from({ length: 11 }, (_, i) => fakeServer(i))];
  authority = new RingAuthority({
    rpc: unity.host(0).rpc,
    clock: systemClock,
    certify: unity.server(0).ringCertify({ timeoutMs: 2_000 }),
    genesis: genesisMap({ unities: 2, servers, serversPerUnity: 6, epoch: 1n }),
    timeoutMs: 300,
  });
  await authority.start();
}, 60_000);

afterAll(async () => {
  await authority?.stop();
  await unity?.stop();
});

const verifier = (managers: readonly Uint8Array[], current?: bigint) => managersVerifier({ managers: () => managers, currentEpoch: () => current });

const ringCode = (fn: () => unknown): string | undefined => codeOf(fn, RingError);

/** The typed error (code/reason) a call rejects with; undefined when it resolves. */
async function refusal(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (error) {
    if (error instanceof ManagerError) return error.reason === undefined ? error.code : `${error.code}/${error.reason}`;
    if (error instanceof NetError) return `${error.remote ? 'remote ' : ''}${error.code}`;
    throw error;
  }
}

/** Manager `from` asks manager `to` directly for its share. */
const ask = (from: number, to: number, request: Partial<RingSignRequest> & { bytes: Uint8Array; epoch: bigint }) =>
  requestRingShare(unity.host(from).rpc, unity.host(to).peer, set[to]!, { tag: MAP_CERTIFICATE_TAG, managers: set, ...request }, 5_000);

function signerIndices(certificate: ManagersCertificate): number[] {
  return certificate.entries.map((e) => set.findIndex((k) => bytesEqual(k, e.member)));
}

async function mapOverNetwork(): Promise<MapUpdate> {
  const reply = await unity.client.rpc.request(unity.host(0).peer, METHOD.mapGet, encodeBody(bodies.empty, {}));
  return decodeMapUpdate(decodeBody(bodies.mapReply, reply, METHOD.mapGet).update);
}

/** The same epoch's map with other contents (the rival an equivocating authority would ask to sign). */
const rivalOf = (map: RingMap): Uint8Array => encodeRingMap({ ...map, params: { ...map.params, heartbeatMs: map.params.heartbeatMs + 1 } });

describe('ring-map certificates by the Manager Ring over libp2p', () => {
  it('the authority service certifies map updates and views with a quorum of the manager set', async () => {
    expect(managerQuorum(set.length)).toBe(5);
    const update = await mapOverNetwork();
    const certificate = update.certificate as ManagersCertificate;
    expect(certificate.kind).toBe('managers');
    const signers = signerIndices(certificate);
    expect(signers.length).toBeGreaterThanOrEqual(5);
    expect(signers).toEqual([...new Set(signers)].sort((a, b) => a - b)); // distinct, in set order
    expect(signers).toContain(0);
    expect(verifier(set).verify(update).epoch).toBe(1n);
    // Another manager set, or a node that trusts the ring-authority key, refuses it.
    expect(ringCode(() => verifier(otherSet).verify(update))).toBe('WRONG_KEY');
    expect(ringCode(() => managersVerifier({ managers: () => [...set.slice(0, 3), ...otherSet.slice(3)], currentEpoch: () => undefined }).verify(update))).toBe('WRONG_KEY');
    expect(ringCode(() => verifier(set, 1n).verify(update))).toBe('STALE_EPOCH');

    // A server of Unity 0 pulls its views over the network: certified by the managers.
    const reply = await unity.client.rpc.request(unity.host(0).peer, METHOD.viewGet, encodeBody(bodies.empty, {}));
    const views: SignedView[] = decodeBody(bodies.views, reply, METHOD.viewGet).views.map(decodeSignedView);
    expect(views).toHaveLength(1);
    const view = verifyView(views[0]!, { managers: () => set });
    expect(view.epoch).toBe(1n);
    expect(view.unity.id).toBe(authority.map().unities[0]!.id);
    expect(ringCode(() => verifyView(views[0]!, { managers: () => otherSet }))).toBe('WRONG_KEY');
    expect(ringCode(() => verifyView(views[0]!, { authority: Ed25519KeyPair.fromSeed(new Uint8Array(32)).publicKey }))).toBe('UNSUPPORTED');
    // Unity 1's view, of the same epoch, is another document: signed as well.
    const [other] = await authority.viewsFor(fakeServer(8).id);
    expect(verifyView(other!, { managers: () => set }).unity.id).toBe(authority.map().unities[1]!.id);
  });

  it('follows a new epoch; responders refuse a second document for a signed epoch, stale and mis-addressed ones', async () => {
    const first = authority.map();
    await authority.change([{ kind: 'join', server: fakeServer(20) }]);
    const update = await authority.mapUpdate();
    const map = verifier(set, first.epoch).verify(update);
    expect(map.epoch).toBe(2n);

    // Same document again: signed again (a retry). Another one of epoch 2: refused, by a responder and a collector.
    const share = await ask(3, 2, { bytes: update.map, epoch: 2n });
    expect(bytesEqual(share.member, set[2]!)).toBe(true);
    expect(await refusal(ask(3, 2, { bytes: rivalOf(map), epoch: 2n }))).toBe('SIGN_REFUSED/CONFLICT');
    expect(await refusal(unity.server(1).ringCertify()({ tag: MAP_CERTIFICATE_TAG, bytes: rivalOf(map), epoch: 2n }))).toBe('SIGN_REFUSED/CONFLICT');
    // An epoch below the one signed, another manager set, a tag that is not the ring's, bytes of another epoch.
    expect(await refusal(ask(3, 2, { bytes: encodeRingMap(first), epoch: 1n }))).toBe('SIGN_REFUSED/STALE_EPOCH');
    expect(await refusal(ask(3, 2, { bytes: update.map, epoch: 2n, managers: otherSet }))).toBe('SIGN_REFUSED/WRONG_SET');
    expect(await refusal(ask(3, 2, { bytes: update.map, epoch: 2n, tag: 'AME-MSG-v1' }))).toBe('SIGN_REFUSED/BAD_TAG');
    expect(await refusal(ask(3, 2, { bytes: update.map, epoch: 3n }))).toBe('SIGN_REFUSED/BAD_DOCUMENT');
    // Only members may ask.
    const fromClient = requestRingShare(unity.client.rpc, unity.host(2).peer, set[2]!, { tag: MAP_CERTIFICATE_TAG, bytes: update.map, epoch: 2n, managers: set }, 5_000);
    expect(await refusal(fromClient)).toBe('remote UNAUTHORIZED');

    // The record survives a restart: the restarted manager still refuses the rival.
    await unity.restart(2);
    expect(await refusal(ask(3, 2, { bytes: rivalOf(map), epoch: 2n }))).toBe('SIGN_REFUSED/CONFLICT');
    expect(bytesEqual((await ask(3, 2, { bytes: update.map, epoch: 2n })).sig, share.sig)).toBe(true);
  });

  it('garbage on manager/ring-sign is a typed error and the server keeps serving', async () => {
    const target = unity.host(2).peer;
    const bodiesToSend = [
      new Uint8Array([0xff, 0x00, 0x13]),
      new Uint8Array(0),
      encodeCbor({ tag: MAP_CERTIFICATE_TAG, bytes: new Uint8Array(0), epoch: 1n, managers: [] }),
      encodeCbor({ tag: 7, bytes: new Uint8Array(4), epoch: -1, managers: [new Uint8Array(3)] }),
      encodeCbor([1, 2, 3]),
    ];
    for (const body of bodiesToSend) {
      expect(await refusal(unity.host(3).rpc.request(target, RING_SIGN_METHOD, body, { timeoutMs: 5_000 }))).toBe('remote BAD_REQUEST');
    }
    // Well-formed CBOR whose document is junk: refused as a reply, typed.
    expect(await refusal(ask(3, 2, { bytes: new Uint8Array([1, 2, 3]), epoch: 5n }))).toBe('SIGN_REFUSED/BAD_DOCUMENT');
    const update = await authority.mapUpdate();
    await ask(3, 2, { bytes: update.map, epoch: update.certificate.epoch });
    expect((await getHead(unity.client.rpc, target)).height).toBe(unity.server(2).head().height);
  });

  it('certifies with one of six managers stopped; with two stopped the collector times out (QUORUM_TIMEOUT)', async () => {
    await unity.stopMember(5);
    const epoch = authority.map().epoch;
    await authority.change([{ kind: 'join', server: fakeServer(21) }]);
    const update = await authority.mapUpdate();
    expect(verifier(set, epoch).verify(update).epoch).toBe(epoch + 1n);
    expect(signerIndices(update.certificate as ManagersCertificate)).toEqual([0, 1, 2, 3, 4]);

    await unity.stopMember(4);
    await authority.change([{ kind: 'join', server: fakeServer(22) }]);
    const t0 = Date.now();
    const error = await authority.mapUpdate().then(
      () => undefined,
      (e: unknown) => e,
    );
    const waited = Date.now() - t0;
    expect(error).toBeInstanceOf(ManagerError);
    expect((error as ManagerError).code).toBe('QUORUM_TIMEOUT');
    expect((error as ManagerError).message).toMatch(/^4 of 6 managers signed/);
    expect(waited).toBeGreaterThanOrEqual(1_900);
    expect(waited).toBeLessThan(6_000);
    // The survivors keep serving.
    for (const k of [0, 1, 2, 3]) expect((await getHead(unity.client.rpc, unity.host(k).peer)).height).toBe(unity.server(k).head().height);
  });
});
