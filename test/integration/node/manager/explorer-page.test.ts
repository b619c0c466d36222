/**
 * Issue 9's network page: the explorer's GET / opened in headless Chromium (Debian's chromium driven by
 * playwright-core) over a real ledger's explorer (the unit fixture: TestChain, chain store, explorerSource) whose
 * node records the test sets, with a ring-map provider of 3 Unities of 6 servers. The page must draw one group per
 * Unity with one dot per server and per temporary worker, list the head block, count requests served, and — after
 * the test promotes a temporary worker and splits a Unity — show both as events; strings from the network
 * (`<script>`, `<img onerror>`) must stay text. A screenshot goes to the test's temp folder.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Ed25519KeyPair, peerIdOf, toHex } from '../../../../node/crypto/index.ts';
import type { NodeRecord } from '../../../../node/ledger/index.ts';
import { DEFAULT_RING_PARAMS, type RingMap, type Unity, validateMap } from '../../../../node/ring/index.ts';
import { type ExplorerFixture, startExplorer } from '../../../unit/node/manager/explorer/fixture.ts';
import { accountKey, INVESTORS } from '../../../support/ledger-chain.ts';

const CHROMIUM = '/usr/bin/chromium';
const EVIL_UNITY = '<script>window.__pwned = 1</script>';
const EVIL_SERVER = '<img src=x onerror="window.__pwned = 2">';

const key = (i: number) => Ed25519KeyPair.fromSeed(new Uint8Array(32).fill(i + 1));
const start = (i: number) => Uint8Array.from({ length: 32 }, (_, k) => (k === 0 ? i * 60 : 0));
const server = (i: number) => ({ id: peerIdOf(key(i)), addrs: [`/ip4/127.0.0.1/tcp/${5000 + i}`] });
const TEMP = key(50); // a temporary worker of u-1: node record and map entry (one dot, not two)
const MAP_ONLY = key(51); // a temporary worker the map names on u-0, without a node record
const BUSY = key(52); // a worker whose record names a hostile Unity id

function unity(i: number, servers: Unity['servers'], workers: string[] = []): Unity {
  return { id: `u-${i}`, start: start(i), servers, guests: [], workers };
}

/** 3 Unities of 6 servers (g = 2: Groups 0, 0, 1); one server id is hostile markup. */
function threeUnities(): RingMap {
  const servers = (u: number) => [0, 1, 2, 3, 4, 5].map((s) => server(u * 6 + s));
  const last = servers(2);
  last[5] = { id: EVIL_SERVER, addrs: [] };
  return validateMap({
    epoch: 1n,
    params: DEFAULT_RING_PARAMS,
    unities: [unity(0, servers(0), [peerIdOf(MAP_ONLY)]), unity(1, servers(1), [peerIdOf(TEMP)]), unity(2, last)],
  });
}

/** The promotion and the split: TEMP is a server of u-1 now, and u-2 split into u-2 and u-3 (3 + 3 servers). */
function fourUnities(before: RingMap): RingMap {
  const [u0, u1, u2] = before.unities as [Unity, Unity, Unity];
  return validateMap({
    epoch: 2n,
    params: before.params,
    unities: [u0, { ...u1, servers: [...u1.servers, { id: peerIdOf(TEMP), addrs: [] }], workers: [] }, { ...u2, servers: u2.servers.slice(0, 3) }, unity(3, u2.servers.slice(3))],
  });
}

function nodeRecord(pair: Ed25519KeyPair, role: NodeRecord['role'], unityId: string, served: bigint): NodeRecord {
  return {
    key: pair.publicKey.bytes,
    role,
    status: 'active',
    account: accountKey(INVESTORS).address,
    deposit: 0n,
    nonce: 0n,
    unity: unityId,
    workload: 0n,
    releaseAt: 0n,
    hardware: 'pi5',
    rep: { since: 0n, auditsPassed: 0n, auditsFailed: 0n, served, scoreSum: 0n, scoreCount: 0n, uptime: [], bad: false },
  };
}

let browser: Browser | undefined;
let fx: ExplorerFixture;
let nodes: NodeRecord[] = [];
const dir = mkdtempSync(join(tmpdir(), 'ame-explorer-page-'));

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`headless Chromium is missing at ${CHROMIUM}: install Debian's package (apt-get install chromium; .ci/run installs it)`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
  fx = await startExplorer({ wrap: (honest) => Object.assign(Object.create(honest) as typeof honest, { nodes: () => nodes }) });
  fx.mine([fx.chain.accountTx(accountKey(INVESTORS), 'transfer', { to: accountKey(801).address, amount: 1n })]);
  fx.mine([]);
  fx.mine([fx.chain.accountTx(accountKey(INVESTORS), 'transfer', { to: accountKey(802).address, amount: 2n })]);
});
afterAll(async () => {
  await browser?.close();
  await fx?.close();
  if (process.env['AME_KEEP_SCREENSHOTS'] === undefined) rmSync(dir, { recursive: true, force: true });
  else console.log(`screenshots in ${dir}`);
});

const count = (page: Page, selector: string) => page.locator(selector).count();
const text = (page: Page, selector: string) => page.locator(selector).innerText();
/**
 * Browser-side conditions as functions (a string would be eval'd in the page, which its CSP forbids); the project
 * compiles without the DOM library, hence the small typed view of the document.
 */
interface PageDom {
  readonly document: { querySelector(s: string): { textContent: string | null } | null; querySelectorAll(s: string): { length: number } };
}
const waitText = (page: Page, selector: string, expected: string) =>
  page.waitForFunction(
    ([s, e]) => ((globalThis as unknown as PageDom).document.querySelector(s!)?.textContent ?? '').includes(e!),
    [selector, expected],
    { timeout: 15_000 },
  );
const waitCount = (page: Page, selector: string, n: number) =>
  page.waitForFunction(([s, k]) => (globalThis as unknown as PageDom).document.querySelectorAll(s as string).length === k, [selector, n] as const, {
    timeout: 15_000,
  });

describe('the network page in headless Chromium', () => {
  it('draws the ring, blocks, counters and flows, and shows a promotion and a split as they happen', async () => {
    let map = threeUnities();
    fx.server.setRingMap(() => map);
    nodes = [nodeRecord(TEMP, 'temporary', 'u-1', 0n), nodeRecord(BUSY, 'worker', EVIL_UNITY, 10n)];
    const page = await browser!.newPage({ viewport: { width: 1400, height: 950 } });
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    page.on('console', (message) => {
      // The 404 of /api/ring/map without a provider is Chromium's own log line, not the page's error.
      if (message.type() === 'error' && !message.text().includes('status of 404')) errors.push(message.text());
    });
    const res = await page.goto(`${fx.url}/?every=250`);
    expect(res?.status()).toBe(200);
    await waitCount(page, '#ring g.unity', 3);

    // The ring: one group per Unity (Groups of g = 2), one dot per server, one per temporary worker.
    expect(await count(page, '#ring circle.server')).toBe(18);
    for (const i of [0, 1, 2]) expect(await count(page, `#ring g.unity[data-index="${i}"] circle.server`)).toBe(6);
    expect(await page.locator('#ring g.unity').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-group')))).toEqual(['0', '0', '1']);
    expect(await count(page, '#ring circle.worker')).toBe(2);
    expect(await count(page, '#ring g.unity[data-index="0"] circle.worker')).toBe(1);
    expect(await count(page, '#ring g.unity[data-index="1"] circle.worker')).toBe(1);
    // Blocks, counters and requests served.
    expect(await text(page, '#blocks li:first-child')).toMatch(/^#3 · .* · 1 tx/);
    expect(await count(page, '#blocks li')).toBe(3);
    expect(await text(page, '#count-temporary')).toBe('1');
    expect(await text(page, '#unity-count')).toBe('3');
    expect(await text(page, '#ring-epoch')).toBe('1');
    expect(await text(page, '#served-total')).toBe('10');
    // Accounts: the richest first, amounts exact; no devices here (no fleet provider).
    const top = ((await (await fetch(`${fx.url}/api/accounts?limit=1`)).json()) as { accounts: { abc: string }[] }).accounts[0]!;
    const abc = BigInt(top.abc);
    await waitText(page, '#accounts tbody tr:first-child', `${abc / 1_000_000n}.${(abc % 1_000_000n).toString().padStart(6, '0')}`);
    expect(await text(page, '#fleet-note')).toBe('this explorer runs no devices');

    // Hostile strings are text, nowhere markup.
    expect(await page.locator('#served tbody td', { hasText: EVIL_UNITY }).count()).toBe(1);
    const titles = await page.locator('#ring circle.server title').allTextContents();
    expect(titles).toContain(`server ${EVIL_SERVER}`);
    expect(await count(page, 'main script, main img')).toBe(0);
    await page.screenshot({ path: join(dir, 'explorer-before.png') });

    // Requests flow, TEMP is promoted and u-2 splits: all within a few polls.
    nodes = [nodeRecord(TEMP, 'worker', 'u-1', 5n), nodeRecord(BUSY, 'worker', EVIL_UNITY, 40n)];
    map = fourUnities(map);
    // The promoted server (now in the map) served requests since the previous poll: drawn busy for one poll.
    await waitCount(page, '#ring circle.server.busy', 1);
    await waitText(page, '#events', `promoted ${toHex(TEMP.publicKey.bytes).slice(0, 12)}… in u-1`);
    await waitText(page, '#events', 'split: 3 → 4 Unities');
    await waitText(page, '#events', 'ring epoch 1 → 2');
    await waitCount(page, '#ring g.unity', 4);
    expect(await count(page, '#ring circle.server')).toBe(19);
    expect(await count(page, '#ring circle.worker')).toBe(1);
    expect(await text(page, '#count-promoted')).toBe('1');
    expect(await text(page, '#count-temporary')).toBe('0');
    expect(await text(page, '#served-total')).toBe('45');
    expect(await page.locator('#ring g.unity').evaluateAll((gs) => gs.map((g) => g.getAttribute('data-group')))).toEqual(['0', '0', '1', '1']);
    await page.screenshot({ path: join(dir, 'explorer-page.png'), fullPage: true });
    expect(statSync(join(dir, 'explorer-page.png')).size).toBeGreaterThan(10_000);

    // Without a map the page draws the Unities the node records name.
    fx.server.setRingMap(undefined);
    await waitText(page, '#ring-note', 'no ring map served here');
    expect(await count(page, '#ring g.unity')).toBe(2);
    expect(await count(page, '#ring circle.server')).toBe(2);

    expect(await page.evaluate(() => typeof (globalThis as { __pwned?: unknown }).__pwned)).toBe('undefined');
    expect(errors).toEqual([]);
    await page.close();
  });
});
