/**
 * The index server of a Unity on real libp2p over loopback: a temporary worker beats with its listen addresses,
 * the index server records it under the PeerId the transport authenticated (not one named in the body), a client
 * with a manager's introduction is offered it first (share 1) and reaches it on the offered addresses; refusals
 * arrive typed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ed25519KeyPair, sha256, utf8 } from '../../../../node/crypto/index.ts';
import { systemClock } from '../../../../node/net/index.ts';
import { genesisMap } from '../../../../node/ring/genesis.ts';
import { viewOf } from '../../../../node/ring/service/view.ts';
import { WorkerError } from '../../../../node/worker/errors.ts';
import { encodeIntroduction, signIntroduction } from '../../../../node/worker/introduction.ts';
import { requestWorkers, sendWorkerBeat } from '../../../../node/worker/introduction-protocol.ts';
import { UnityIndex } from '../../../../node/worker/unity-index.ts';
import { Hosts } from '../net/fixtures.ts';

const CHAIN = sha256(utf8('unity-index integration chain'));
const MANAGER = Ed25519KeyPair.fromSeed(sha256(utf8('unity-index manager')));
const PING = 'test/ping';

describe('index server over libp2p', () => {
  const hosts = new Hosts();
  let index: UnityIndex;
  let server: Awaited<ReturnType<Hosts['start']>>;
  let temp: Awaited<ReturnType<Hosts['start']>>;
  let client: Awaited<ReturnType<Hosts['start']>>;
  let view: ReturnType<typeof viewOf>;

  beforeAll(async () => {
    [server, temp, client] = await Promise.all([hosts.start(71), hosts.start(72), hosts.start(73)]);
    const others = Array.from({ length: 11 }, (_, i) => ({ id: `other-${i}`, addrs: [] }));
    const map = genesisMap({ unities: 2, servers: [server.peer, ...others], serversPerUnity: 6, epoch: 1n });
    view = viewOf(map, 0);
    index = new UnityIndex({
      rpc: server.rpc,
      chain: CHAIN,
      managers: () => [MANAGER.publicKey.bytes],
      view: () => view,
      clock: systemClock,
      random: Math.random,
      share: 1,
    });
    index.attach();
    temp.rpc.handle(PING, async () => utf8(temp.id));
  });
  afterAll(async () => {
    index.detach();
    await hosts.stopAll();
  });

  const intro = (unity = view.unity.id) =>
    encodeIntroduction(signIntroduction({ chain: CHAIN, client: 'Aclient', key: sha256(utf8('blob')), unity, expires: Date.now() + 60_000 }, MANAGER));

  it('offers the beating temporary worker under its authenticated PeerId, reachable on its addresses', async () => {
    expect(await sendWorkerBeat(temp.rpc, server.peer, { unity: view.unity.id, addrs: temp.peer.addrs })).toBe(60_000);
    expect(index.live().map((p) => p.id)).toEqual([temp.id]);
    const offer = await requestWorkers(client.rpc, server.peer, intro(), 'blob');
    expect(offer[0]).toEqual({ id: temp.id, addrs: [...temp.peer.addrs] });
    expect(offer.map((p) => p.id)).toContain(server.id);
    expect(new TextDecoder().decode(await client.rpc.request(offer[0]!, PING, new Uint8Array(0)))).toBe(temp.id);
  });

  it('sends its refusals typed', async () => {
    const refusal = await requestWorkers(client.rpc, server.peer, intro('another-unity'), 'blob').catch((e: unknown) => e);
    expect(refusal).toBeInstanceOf(WorkerError);
    expect((refusal as WorkerError).remote).toBe('WorkerError:WRONG_UNITY');
    const beat = await sendWorkerBeat(client.rpc, server.peer, { unity: 'another-unity', addrs: [] }).catch((e: unknown) => e);
    expect((beat as WorkerError).remote).toBe('WorkerError:WRONG_UNITY');
  });
});
