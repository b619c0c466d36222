/**
 * RLDP throughput against a new libp2p stream per request, two hosts in one process on loopback, the same run:
 * 256-byte requests echoed back, `inFlight` outstanding at any time, each side measured for `durationMs` after a
 * warm-up. The baseline is what RLDP replaces: dialProtocol to a trivial echo handler, one length-prefixed message
 * each way, stream closed — with stream limits raised so that it is not throttled by libp2p's defaults.
 */
import { lpStream } from '@libp2p/utils';
import { peerIdFromString } from '@libp2p/peer-id';
import { Ed25519KeyPair } from '../../node/crypto/node-key.ts';
import { createHost, type Host } from '../../node/net/index.ts';

export interface RldpBenchOptions {
  readonly durationMs?: number;
  readonly warmupMs?: number;
  readonly inFlight?: number;
  readonly size?: number;
}

export interface RldpBenchResult {
  rldp_per_s: number;
  stream_per_request_per_s: number;
  ratio: number;
}

const ECHO_PROTOCOL = '/ame/bench/echo/1';

/** Runs `inFlight` loops of `op` until `ms` have passed; returns completed operations per second. */
async function rate(ms: number, inFlight: number, op: () => Promise<unknown>): Promise<number> {
  let done = 0;
  const start = performance.now();
  const end = start + ms;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (performance.now() < end) {
        await op();
        done += 1;
      }
    }),
  );
  return (done * 1000) / (performance.now() - start);
}

export async function measureRldp(options: RldpBenchOptions = {}): Promise<RldpBenchResult> {
  const { durationMs = 5000, warmupMs = 1000, inFlight = 32, size = 256 } = options;
  const key = (n: number) => Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(n));
  const hosts: Host[] = [createHost({ nodeKey: key(101) }), createHost({ nodeKey: key(102) })];
  try {
    const [client, server] = hosts as [Host, Host];
    await Promise.all(hosts.map((h) => h.start()));
    server.rpc.handle('echo', async (body) => body);
    await server.libp2p.handle(
      ECHO_PROTOCOL,
      async (stream) => {
        const lp = lpStream(stream);
        await lp.write(await lp.read());
        await stream.close();
      },
      { maxInboundStreams: 4 * inFlight, maxOutboundStreams: 4 * inFlight },
    );
    const body = new Uint8Array(size).fill(0x5a);
    const serverId = peerIdFromString(server.id);
    const viaRldp = () => client.rpc.request(server.peer, 'echo', body);
    const viaNewStream = async () => {
      const stream = await client.libp2p.dialProtocol(serverId, ECHO_PROTOCOL, { maxOutboundStreams: 4 * inFlight });
      const lp = lpStream(stream);
      await lp.write(body);
      const reply = await lp.read();
      await stream.close();
      if (reply.byteLength !== size) throw new Error('baseline echo returned the wrong size');
    };
    const reply = await viaRldp();
    if (reply.length !== size) throw new Error('RLDP echo returned the wrong size');
    await rate(warmupMs, inFlight, viaRldp);
    const rldp = await rate(durationMs, inFlight, viaRldp);
    await rate(warmupMs, inFlight, viaNewStream);
    const baseline = await rate(durationMs, inFlight, viaNewStream);
    return { rldp_per_s: rldp, stream_per_request_per_s: baseline, ratio: rldp / baseline };
  } finally {
    await Promise.all(hosts.map((h) => h.stop()));
  }
}
