/** Real libp2p hosts on loopback for the net integration tests; every host started here is stopped by stopAll(). */
import { expect } from 'vitest';
import { Ed25519KeyPair } from '../../../../node/crypto/node-key.ts';
import { createHost, NetError, type Host, type HostOptions } from '../../../../node/net/index.ts';

export function nodeKey(n: number): Ed25519KeyPair {
  return Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(n));
}

export class Hosts {
  readonly #started: Host[] = [];

  async start(n: number, options: Omit<HostOptions, 'nodeKey'> = {}): Promise<Host> {
    const host = createHost({ nodeKey: nodeKey(n), listen: ['/ip4/127.0.0.1/tcp/0'], ...options });
    this.#started.push(host);
    await host.start();
    return host;
  }

  async stopAll(): Promise<void> {
    const hosts = this.#started.splice(0);
    await Promise.all(hosts.map((h) => h.stop()));
  }
}

/** RLDP streams between `a` and `b`, counted on a's side of every connection between them. */
export function rldpStreams(a: Host, b: Host): number {
  let n = 0;
  for (const connection of a.libp2p.getConnections()) {
    if (connection.remotePeer.toString() !== b.id) continue;
    n += connection.streams.filter((s) => s.protocol === '/ame/rldp/1').length;
  }
  return n;
}

export async function until(check: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** The NetError a request rejects with; fails the test if it succeeds or rejects with anything else. */
export async function failure(p: Promise<unknown>): Promise<NetError> {
  try {
    await p;
  } catch (error) {
    expect(error).toBeInstanceOf(NetError);
    return error as NetError;
  }
  throw new Error('expected the request to fail');
}

export const bytes = (n: number, fill = 7): Uint8Array => new Uint8Array(n).fill(fill);
export const text = (s: string): Uint8Array => new TextEncoder().encode(s);
export const str = (b: Uint8Array): string => new TextDecoder().decode(b);
