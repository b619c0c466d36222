/**
 * GET /api/ring/map (the ring authority's full map, when the explorer has a provider) and GET / (the network
 * page): JSON shape with bigints as strings and node keys joined from PeerIds, 404 NOT_AVAILABLE without a
 * provider, and a page that is one self-contained document whose script and style the CSP allows by hash.
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ed25519KeyPair, peerIdOf, toHex } from '../../../../../node/crypto/index.ts';
import { PAGE_HTML } from '../../../../../node/manager/explorer/index.ts';
import { DEFAULT_RING_PARAMS, type RingMap, validateMap } from '../../../../../node/ring/index.ts';
import { type ExplorerFixture, startExplorer } from './fixture.ts';

let fx: ExplorerFixture;
beforeAll(async () => {
  fx = await startExplorer();
});
afterAll(() => fx.close());

const key = (i: number) => Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(i + 1));
const start = (i: number) => Uint8Array.from({ length: 32 }, (_, k) => (k === 0 ? i * 40 : 0));

/** 5 Unities of 6 servers (g = 3: Groups 0, 0, 0, 1, 1); one temporary worker on Unity 1, a guest on Unity 4. */
function fiveUnities(): RingMap {
  const unities = [0, 1, 2, 3, 4].map((u) => ({
    id: `u-${u}`,
    start: start(u),
    servers: [0, 1, 2, 3, 4, 5].map((s) => ({ id: peerIdOf(key(u * 6 + s)), addrs: [`/ip4/127.0.0.1/tcp/${4000 + u * 6 + s}`] })),
    guests: [] as { id: string; addrs: string[] }[],
    workers: u === 1 ? [peerIdOf(key(99)), 'not-a-peer-id'] : [],
  }));
  unities[4]!.guests.push({ ...unities[0]!.servers[0]! });
  return validateMap({ epoch: 7n, params: DEFAULT_RING_PARAMS, unities });
}

async function get(path: string): Promise<{ status: number; type: string | null; body: Record<string, unknown>; text: string }> {
  const res = await fetch(fx.url + path);
  const text = await res.text();
  const type = res.headers.get('content-type');
  return { status: res.status, type, text, body: type?.startsWith('application/json') ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

describe('GET /api/ring/map', () => {
  it('is 404 NOT_AVAILABLE without a provider, and while the provider knows no map', async () => {
    fx.server.setRingMap(undefined);
    const none = await get('/api/ring/map');
    expect(none.status).toBe(404);
    expect(none.body).toMatchObject({ code: 'NOT_AVAILABLE', reason: '' });
    fx.server.setRingMap(() => undefined);
    expect((await get('/api/ring/map')).body['code']).toBe('NOT_AVAILABLE');
    // The ledger's record stays where it was; other names under /api/ring are no endpoint.
    const ring = await get('/api/ring');
    expect(ring.status).toBe(200);
    expect(Object.keys(ring.body).sort()).toEqual(['epoch', 'managers', 'ringAuthority', 'root']);
    expect((await get('/api/ring/other')).body['code']).toBe('NOT_FOUND');
    expect((await get('/api/ring/map/x')).body['code']).toBe('NOT_FOUND');
  });

  it('serves the map in ring order with Groups, node keys, guests and workers', async () => {
    const map = fiveUnities();
    fx.server.setRingMap(() => map);
    const { status, body, type } = await get('/api/ring/map');
    expect(status).toBe(200);
    expect(type).toBe('application/json; charset=utf-8');
    expect(body).toMatchObject({ epoch: '7', unityCount: 5, groupSize: 3, params: { serverLimit: 32, minServers: 6, replicas: 5 } });
    const unities = body['unities'] as Record<string, unknown>[];
    expect(unities.map((u) => [u['index'], u['id'], u['group']])).toEqual([
      [0, 'u-0', 0],
      [1, 'u-1', 0],
      [2, 'u-2', 0],
      [3, 'u-3', 1],
      [4, 'u-4', 1],
    ]);
    expect(unities[1]!['start']).toBe(toHex(start(1)));
    const servers = unities[2]!['servers'] as Record<string, unknown>[];
    expect(servers).toHaveLength(6);
    expect(servers[0]).toEqual({ id: peerIdOf(key(12)), key: toHex(key(12).publicKey.bytes), addrs: ['/ip4/127.0.0.1/tcp/4012'] });
    expect(unities[1]!['workers']).toEqual([
      { id: peerIdOf(key(99)), key: toHex(key(99).publicKey.bytes) },
      { id: 'not-a-peer-id', key: null },
    ]);
    expect((unities[4]!['guests'] as Record<string, unknown>[]).map((g) => g['id'])).toEqual([peerIdOf(key(0))]);
    // The map changes under the provider: the next answer has it.
    fx.server.setRingMap(() => ({ ...map, epoch: 8n, unities: map.unities.slice(0, 4) }));
    expect((await get('/api/ring/map')).body).toMatchObject({ epoch: '8', unityCount: 4, groupSize: 2 });
  });
});

describe('GET / (the network page)', () => {
  it('is one self-contained HTML document whose inline script and style the CSP allows by hash', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.type).toBe('text/html; charset=utf-8');
    expect(page.text).toBe(PAGE_HTML);
    const res = await fetch(`${fx.url}/?every=500`);
    const csp = res.headers.get('content-security-policy') ?? '';
    await res.body?.cancel();
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("connect-src 'self'");
    const script = /<script>([\s\S]*?)<\/script>/.exec(page.text)![1]!;
    const style = /<style>([\s\S]*?)<\/style>/.exec(page.text)![1]!;
    const b64 = (text: string) => createHash('sha256').update(text, 'utf8').digest('base64');
    expect(csp).toContain(`script-src 'sha256-${b64(script)}'`);
    expect(csp).toContain(`style-src 'sha256-${b64(style)}'`);
    // One script, no external resource, and API strings never go through innerHTML.
    expect(page.text.match(/<script/g)).toHaveLength(1);
    expect(page.text).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//);
    expect(page.text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);
    // Only GET and HEAD of / are the page; the rest of the server still answers JSON.
    const head = await fetch(fx.url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    const post = await fetch(fx.url, { method: 'POST', body: 'x' });
    expect(post.status).toBe(404);
    expect(post.headers.get('content-type')).toBe('application/json; charset=utf-8');
    await post.body?.cancel();
  });
});
