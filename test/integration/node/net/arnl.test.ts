/** ARNL on real hosts: signed identity records, abstract addresses, and datagrams of at most 1 KiB. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sha256 } from '../../../../node/crypto/hash.ts';
import { NetError, openIdentityRecord, type Host } from '../../../../node/net/index.ts';
import { Hosts, until } from './fixtures.ts';

const hosts = new Hosts();
let a: Host;
let b: Host;

beforeAll(async () => {
  a = await hosts.start(51);
  b = await hosts.start(52);
});
afterAll(() => hosts.stopAll());

function collect(host: Host, topic: string): { from: string; payload: Uint8Array }[] {
  const got: { from: string; payload: Uint8Array }[] = [];
  host.datagrams.onDatagram(topic, (from, payload) => got.push({ from, payload }));
  return got;
}

describe('ARNL identity', () => {
  it('signs the host\'s record at start; its abstract address is the SHA-256 of the record', () => {
    const record = b.identity;
    expect(record.peer).toBe(b.id);
    expect(record.addrs).toEqual(b.peer.addrs);
    expect(record.address).toEqual(sha256(record.bytes));
    expect(openIdentityRecord(record.bytes).address).toEqual(record.address);
    const tampered = record.bytes.slice();
    tampered[tampered.length - 10]! ^= 0x40;
    expect(() => a.addressBook.add(tampered)).toThrow(NetError);
  });
});

describe('ARNL datagrams', () => {
  it('delivers datagrams up to 1 KiB, also as the first thing sent to a peer', async () => {
    const got = collect(b, 'gossip');
    a.datagrams.send(b.peer, 'gossip', new Uint8Array([1, 2, 3]));
    a.datagrams.send(b.peer, 'gossip', new Uint8Array(1024).fill(9));
    await until(() => got.length === 2, 5000, 'two datagrams');
    expect(got[0]).toEqual({ from: a.id, payload: new Uint8Array([1, 2, 3]) });
    expect(got[1]!.payload.length).toBe(1024);
  });

  it('refuses a datagram over 1 KiB with TOO_LARGE at send', () => {
    let error: unknown;
    try {
      a.datagrams.send(b.peer, 'gossip', new Uint8Array(1025));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NetError);
    expect((error as NetError).code).toBe('TOO_LARGE');
  });

  it('reaches a node by its abstract address through the address book', async () => {
    const got = collect(b, 'by-address');
    a.addressBook.add(b.identity.bytes);
    expect(a.datagrams.sendToAddress(a.addressBook, b.identity.address, 'by-address', new Uint8Array([7]))).toBe(true);
    expect(a.datagrams.sendToAddress(a.addressBook, new Uint8Array(32), 'by-address', new Uint8Array([8]))).toBe(false);
    await until(() => got.length === 1, 5000, 'a datagram by address');
    expect(got[0]!.payload).toEqual(new Uint8Array([7]));
  });

  it('drops datagrams to an unreachable peer without a word, and delivers those to itself', async () => {
    const ghost = { id: (await hosts.start(53)).id, addrs: ['/ip4/127.0.0.1/tcp/1'] };
    expect(() => a.datagrams.send(ghost, 'gossip', new Uint8Array(1))).not.toThrow();
    const mine = collect(a, 'self');
    a.datagrams.send(a.peer, 'self', new Uint8Array([5]));
    await until(() => mine.length === 1, 1000, 'a datagram to self');
  });
});
