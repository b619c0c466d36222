/**
 * Issue 8's Done-when: the dashboard, opened in headless Chromium (Debian's chromium driven by playwright-core),
 * shows state, wallet address, balance and vesting, promotion progress and charts; the test takes a screenshot
 * and checks the numbers on the page against the JSON API and the ledger.
 *
 * The agent runs on the sim HAL with the in-memory runtime, whose ledger snapshot is read from a REAL ledger
 * (TestChain: real transactions and blocks, invariants checked after each): the device's own node key and wallet
 * register a temporary worker, a client's receipts pay it, managers report audits, heartbeats and served
 * requests, and a period close freezes 20 % of its income as an option tranche that vests day by day.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  authorizeSession,
  Ed25519KeyPair,
  encodeSessionAuthorization,
  readKeystoreFile,
  sha256,
  unlockKeystore,
  utf8,
} from '../../../node/crypto/index.ts';
import {
  accountAt,
  channelId,
  encodeReceipt,
  nodeReputation,
  promotionShortfall,
  signReceipt,
  spendable,
  uptimeIn,
  type TxBody,
} from '../../../node/ledger/index.ts';
import { formatAmount } from '../../../node/wire/index.ts';
import { decimal, type HistoryJson, type LedgerJson, type StatusJson } from '../../../device/index.ts';
import { InMemoryRuntimes } from '../../support/device-runtime.ts';
import { createDeviceRig, makeDeviceDirs, type DeviceRig } from '../../support/device-rig.ts';
import { ABC, accountKey, INVESTORS, TestChain } from '../../support/ledger-chain.ts';

const CHROMIUM = '/usr/bin/chromium';
const SAMPLE_MS = 5_000;

let browser: Browser | undefined;
const cleanup: (() => Promise<void> | void)[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`headless Chromium is missing at ${CHROMIUM}: install Debian's package (apt-get install chromium; .ci/run installs it)`);
  }
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});
afterAll(async () => {
  await browser?.close();
});
afterEach(async () => {
  for (const fn of cleanup.splice(0).reverse()) await fn();
});

type Entry = TxBody<'node-report'>['nodes'][number];
const abc = (micro: bigint) => ({ unit: 'ABC' as const, micro });

/** Lets promise chains move on until `cond` holds (no wall-clock sleeps; fails after many turns). */
async function until(cond: () => Promise<boolean> | boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000; i++) {
    if (await cond()) return;
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`never happened: ${what}`);
}

async function startRig(env: Record<string, string> = {}): Promise<{ rig: DeviceRig; runtimes: InMemoryRuntimes; base: string }> {
  const dirs = makeDeviceDirs();
  cleanup.push(() => dirs.remove());
  const runtimes = new InMemoryRuntimes();
  const rig = createDeviceRig(dirs, {
    runtimes,
    env: { AME_DASHBOARD_PORT: '0', ...env },
    dashboard: { host: '127.0.0.1', sampleEveryMs: SAMPLE_MS, historySize: 50, processFigures: () => ({ rssBytes: 1, uptimeSeconds: 1 }) },
  });
  cleanup.push(() => rig.stop());
  const serving = rig.agent.whenState('serving');
  await rig.agent.start();
  await serving;
  const address = rig.agent.dashboardAddress();
  expect(address).not.toBeNull();
  return { rig, runtimes, base: `http://127.0.0.1:${address!.port}` };
}

async function getJson<T>(base: string, path: string): Promise<T> {
  const response = await fetch(base + path);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

/**
 * The device's node registered on a real ledger with its own keys; a client's channel pays it 3 ABC with a score
 * of 90; managers report 19 passed and 1 failed audits, 12 served requests and heartbeats; the period closes at
 * 60 s (20 % of 3 ABC frozen as a tranche of 30 one-second days), 0.5 ABC more is settled at 61 s, and the head is
 * at 65.5 s: five parts released, one of them moved by that settlement.
 */
async function buildChain(runtimes: InMemoryRuntimes, walletFile: string) {
  const chain = new TestChain();
  cleanup.push(() => chain.close());
  const ctx = runtimes.current().context;
  const nodeKey = ctx.identity.key;
  const node = nodeKey.publicKey.bytes;
  const payout = (await unlockKeystore(readKeystoreFile(walletFile))).account;
  expect(payout.address).toBe(ctx.payout.address);
  const entry = (x: Partial<Omit<Entry, 'node'>>): Entry => ({
    node,
    auditsPassed: 0n,
    auditsFailed: 0n,
    cheated: false,
    heartbeatsSeen: 0n,
    heartbeatsExpected: 0n,
    served: 0n,
    ...x,
  });
  const ok = (r: ReturnType<TestChain['block']>) => expect(r.result.outcomes.map((o) => o.code ?? 'ok')).toEqual(r.result.outcomes.map(() => 'ok'));

  ok(chain.block([chain.accountTx(payout, 'register', { node, role: 'temporary', hardware: 'ame device' }, 0n, nodeKey), chain.managerTx(0, 'attach', { node, unity: 'u0' })], { time: 1_000n }));
  const client = accountKey(INVESTORS);
  const openNonce = chain.accountNonces.get(client.address) ?? 0n;
  ok(chain.block([chain.accountTx(client, 'channel-open', { currency: 'ABC', amount: 10n * ABC, payees: [node] })], { time: 2_000n }));
  const session = Ed25519KeyPair.fromSeed(sha256(utf8('dashboard test session')));
  const authorization = encodeSessionAuthorization(authorizeSession(client, session.publicKey, 1e12));
  const channel = channelId(chain.chainId, client.address, openNonce);
  const settle = (amount: bigint, nonce: bigint) =>
    chain.accountTx(payout, 'channel-settle', { receipt: encodeReceipt(signReceipt(session, { channel, payee: node, amount, nonce, score: 90 })), authorization });
  ok(chain.block([settle(3n * ABC, 1n)], { time: 3_000n }));
  ok(chain.block([chain.managerTx(0, 'node-report', { nodes: [entry({ auditsPassed: 19n, auditsFailed: 1n, served: 12n, heartbeatsSeen: 10n, heartbeatsExpected: 10n })] })], { time: 4_000n }));
  ok(chain.block([chain.managerTx(3, 'period-close', { period: 1n, workload: [{ node, units: 10n }] })], { time: 60_000n }));
  // In the new period the receipt grows to 3.5 ABC: 0.5 ABC income (a tenth of it held for the next close), and the
  // settlement moves the one part released by then; the four released after it stay for the next transaction.
  ok(chain.block([settle(3_500_000n, 2n)], { time: 61_000n }));
  ok(chain.block([chain.managerTx(1, 'node-report', { nodes: [entry({ heartbeatsSeen: 97n, heartbeatsExpected: 100n })] })], { time: 65_500n }));

  const view = chain.ledger.view();
  const params = view.params();
  const { height, lastTime: time } = view.chain();
  const record = view.node(node)!;
  const account = view.account(payout.address);
  expect(account.options).toHaveLength(1);
  expect(account.options[0]!.released).toBe(20_000n);
  expect(account.periodIncome).toBe(500_000n);
  return { chain, view, params, height, time, node: record, account, nodeKey: node, address: payout.address };
}

async function text(page: Page, selector: string): Promise<string> {
  return ((await page.locator(selector).first().textContent()) ?? '').trim();
}
const field = (page: Page, name: string) => text(page, `[data-field="${name}"]`);

describe('device dashboard in headless Chromium', () => {
  it('shows state, wallet, balance, vesting, promotion progress and charts with the API’s and the ledger’s numbers', async () => {
    const { rig, runtimes, base } = await startRig();
    const l = await buildChain(runtimes, rig.dirs.layout.walletFile);
    const atHead = accountAt(l.view, l.params, l.address, l.time);
    const runtime = runtimes.current();
    runtimes.ledgerSnapshot = { height: l.height, time: l.time, node: l.node, account: l.account, params: l.params };

    // The chart's history: four samples on the agent's clock while the node serves and gets paid.
    const served = [3, 7, 9, Number(l.node.rep.served)];
    const settled = [0n, 1n * ABC, 3n * ABC, 3_500_000n];
    for (const [i, n] of served.entries()) {
      runtime.set({
        balance: abc(spendable(l.params, atHead)),
        earnings: { servedRequests: n, receiptsHeld: 1, unsettled: abc(250_000n), settled: abc(settled[i]!) },
      });
      rig.clock.advance(SAMPLE_MS);
      await until(async () => (await getJson<HistoryJson>(base, '/api/history')).samples.length === i + 1, `sample ${i + 1}`);
    }

    const page = await browser!.newPage({ viewport: { width: 1280, height: 1800 } });
    cleanup.push(() => page.close());
    const visit = await page.goto(`${base}/`);
    expect(visit?.status()).toBe(200);
    await page.waitForSelector('body[data-rendered]');
    const shot = join(rig.dirs.root, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    const png = readFileSync(shot);
    expect(png.length).toBeGreaterThan(10_000);
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));

    const status = await getJson<StatusJson>(base, '/api/status');
    const ledger = await getJson<LedgerJson & { available: true }>(base, '/api/ledger');
    const history = await getJson<HistoryJson>(base, '/api/history');
    expect(ledger.available).toBe(true);

    // State, wallet, balance: page = API = the ledger's account.
    expect(await field(page, 'state')).toBe('serving');
    expect(status.state).toBe('serving');
    expect(await field(page, 'payoutAddress')).toBe(status.payout!.address);
    expect(status.payout!.address).toBe(l.account.address);
    expect(await field(page, 'walletAddress')).toBe(status.wallet!.address);
    expect(status.wallet!.address).toBe(l.address);
    expect(await field(page, 'peerId')).toBe(status.peerId);
    expect(await field(page, 'balance')).toBe(status.balance!.text);
    expect(status.balance!.micro).toBe(spendable(l.params, atHead).toString());
    expect(await field(page, 'servedRequests')).toBe(String(status.earnings!.servedRequests));
    expect(await field(page, 'settled')).toBe(status.earnings!.settled.text);
    expect(await field(page, 'height')).toBe(ledger.height);
    expect(ledger.height).toBe(l.height.toString());

    // Vesting: page = API = what the ledger's own accountAt says at the head's block time and at the next release.
    const v = ledger.vesting!;
    const tranche = l.account.options[0]!;
    const movedAtHead = atHead.options[0]!.released;
    expect(tranche.total).toBe(600_000n); // 20 % of the 3 ABC the receipts paid
    expect(movedAtHead).toBe(5n * 20_000n);
    const expectAmount = async (name: string, json: { micro: string; text: string }, micro: bigint) => {
      expect(await field(page, name), name).toBe(json.text);
      expect(json.micro, name).toBe(micro.toString());
      expect(json.text).toBe(formatAmount(micro, 'ABC'));
    };
    await expectAmount('vestingSpendable', v.spendable, spendable(l.params, atHead));
    await expectAmount('vestingBalance', v.balance, atHead.abc);
    await expectAmount('vestingReleased', v.released, movedAtHead);
    await expectAmount('vestingUnreleased', v.unreleased, tranche.total - movedAtHead);
    await expectAmount('vestingPeriodIncome', v.periodIncome, l.account.periodIncome);
    await expectAmount('vestingFrozenAtClose', v.frozenAtClose, 100_000n);
    expect(spendable(l.params, atHead)).toBe(atHead.abc - 100_000n);
    const nextAt = BigInt(v.next!.at);
    expect(nextAt).toBe(66_000n);
    expect(await field(page, 'nextReleaseAt')).toBe(v.next!.at);
    await expectAmount('nextReleaseAmount', v.next!.amount, accountAt(l.view, l.params, l.address, nextAt).abc - atHead.abc);
    const rows = page.locator('[data-row="tranche"]');
    expect(await rows.count()).toBe(l.account.options.length);
    expect(await rows.first().locator('td').allTextContents()).toEqual([
      v.tranches[0]!.start,
      v.tranches[0]!.total.text,
      v.tranches[0]!.released.text,
      v.tranches[0]!.unreleased.text,
      `${v.tranches[0]!.daysReleased} / ${v.tranches[0]!.days}`,
      v.tranches[0]!.dailyPart.text,
    ]);
    expect(v.tranches[0]!.start).toBe(tranche.start.toString());

    // Promotion: every criterion's value and threshold on the page = API = the ledger's record and parameters.
    const p = ledger.promotion!;
    const rep = l.node.rep;
    const { seen, expected } = uptimeIn(rep, l.params, l.time);
    const want: Record<string, [string, string, boolean]> = {
      served: [rep.served.toString(), l.params.promotionMinServed.toString(), true],
      audits: [(rep.auditsPassed + rep.auditsFailed).toString(), l.params.promotionMinAudits.toString(), true],
      auditPassRate: [decimal((rep.auditsPassed * 10_000n) / (rep.auditsPassed + rep.auditsFailed), 100n), decimal(l.params.promotionAuditPassBps, 100n), false],
      clientScore: [decimal((rep.scoreSum * 100n) / rep.scoreCount, 100n), decimal(l.params.promotionMinScore * 100n, 100n), true],
      uptimeWindow: [decimal(((l.time - rep.since) * 100n) / l.params.dayMs, 100n), decimal(l.params.uptimeWindowDays * 100n, 100n), true],
      uptime: [decimal((seen * 10_000n) / expected, 100n), decimal(l.params.promotionUptimeBps, 100n), true],
      noBadRecord: ['none', 'none', true],
      deposit: [formatAmount(spendable(l.params, atHead) + tranche.total - movedAtHead, 'ABC'), formatAmount(l.params.depositWorker, 'ABC'), false],
    };
    expect(Object.fromEntries(p.criteria.map((c) => [c.name, [c.value, c.threshold, c.met]]))).toEqual(want);
    expect(rep.served).toBe(12n);
    expect([seen, expected]).toEqual([97n, 100n]); // the day-4 report fell out of the 7-day window
    for (const c of p.criteria) {
      const row = page.locator(`[data-criterion="${c.name}"]`);
      const unit = c.unit ? ` ${c.unit}` : '';
      expect(await text(page, `[data-criterion="${c.name}"] [data-part="value"]`), c.name).toBe(`${c.value}${unit}`);
      expect(await row.locator('[data-part="threshold"]').textContent(), c.name).toBe(`${c.threshold}${unit}`);
      expect(await row.locator('[data-part="met"]').textContent(), c.name).toBe(c.met ? 'met' : 'not met');
    }
    expect(await field(page, 'eligible')).toBe('not eligible yet');
    // What the page names as missing is what the ledger's promote refuses with.
    const shortfall = promotionShortfall(rep, l.params, l.time)!;
    expect(p.shortfall).toEqual(shortfall);
    expect(await field(page, 'shortfall')).toBe(shortfall.message);
    const promote = l.chain.block([l.chain.managerTx(0, 'promote', { node: l.nodeKey })], { time: l.time + 1n });
    expect(promote.result.outcomes[0]).toMatchObject({ ok: false, code: 'NOT_ELIGIBLE', field: shortfall.field });

    // Reputation and penalties.
    const reputation = nodeReputation(l.node, l.account.bad, l.params, l.time);
    expect(await field(page, 'reputation')).toBe(ledger.reputation!.text);
    expect(ledger.reputation!.millionths).toBe(reputation.toString());
    expect(await field(page, 'uptimeCounts')).toBe(`${seen} / ${expected}`);
    expect(await page.locator('[data-penalty]').evaluateAll((els) => els.map((e) => e.getAttribute('data-penalty')))).toEqual(['failed-audits']);
    expect(ledger.penalties.map((x) => x.kind)).toEqual(['failed-audits']);
    expect(await text(page, '[data-penalty="failed-audits"]')).toBe(ledger.penalties[0]!.reason);

    // Charts: one point per sample of the API's history, which is what the agent sampled.
    expect(history.samples.map((s) => s.served)).toEqual(served);
    expect(history.samples.map((s) => s.settled.micro)).toEqual(settled.map(String));
    for (const chart of ['served', 'settled']) {
      expect(await page.locator(`[data-chart="${chart}"] circle`).count(), chart).toBe(history.samples.length);
      expect(await page.locator(`[data-chart="${chart}"]`).getAttribute('data-points')).toBe(String(history.samples.length));
      expect(await page.locator(`[data-chart="${chart}"] polyline`).getAttribute('points')).toMatch(/^(\d+(\.\d)?,\d+(\.\d)? ){3}\d+(\.\d)?,\d+(\.\d)?$/);
    }
    expect(await field(page, 'servedLatest')).toBe(String(history.samples.at(-1)!.served));
    expect(await field(page, 'settledLatest')).toBe(history.samples.at(-1)!.settled.text);

    // Prometheus metrics: the same numbers.
    const metrics = await (await fetch(`${base}/metrics`)).text();
    const metric = (name: string) => new RegExp(`^${name} (\\S+)$`, 'm').exec(metrics)?.[1];
    expect(metric('ame_device_ledger_height')).toBe(l.height.toString());
    expect(metric('ame_device_requests_served_total')).toBe(String(served.at(-1)));
    expect(metric('ame_device_balance_micro_abc')).toBe(spendable(l.params, atHead).toString());
    expect(metric('ame_device_uptime_seen')).toBe(seen.toString());
    expect(metric('ame_device_uptime_expected')).toBe(expected.toString());
    expect(metric('ame_device_receipts_held')).toBe('1');
    expect(metric('ame_device_unsettled_micro_abc')).toBe('250000');
    expect(metrics).toContain('ame_device_state{state="serving"} 1');

    // Stopped with the agent: no listener, no sampler timer left on the clock.
    await rig.stop();
    expect(rig.agent.dashboardAddress()).toBeNull();
    expect(rig.clock.pending()).toBe(0);
    await expect(fetch(`${base}/api/status`)).rejects.toThrow();
  });

  it('with dashboard.password: 401 without it, and the page in the browser with it', async () => {
    const password = 'open sesame 42';
    const { base } = await startRig({ AME_DASHBOARD_PASSWORD: password });
    // Chromium gives up on a challenge it has no credentials for (ERR_INVALID_AUTH_CREDENTIALS), so ask plainly.
    for (const path of ['/', '/api/status', '/metrics']) {
      const refused = await fetch(base + path);
      expect(refused.status, path).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Basic realm="ame device", charset="UTF-8"');
      expect(await refused.json()).toMatchObject({ error: { code: 'UNAUTHORIZED' } });
    }
    const wrong = await fetch(`${base}/api/status`, { headers: { authorization: `Basic ${Buffer.from('owner:not it at all').toString('base64')}` } });
    expect(wrong.status).toBe(401);

    const owner = await browser!.newContext({ httpCredentials: { username: 'owner', password } });
    cleanup.push(() => owner.close());
    const page = await owner.newPage();
    expect((await page.goto(`${base}/`))?.status()).toBe(200);
    await page.waitForSelector('body[data-rendered]');
    expect(await field(page, 'state')).toBe('serving');
    // No ledger read yet: the page says so rather than showing zeros.
    expect(await field(page, 'ledgerNote')).toBe('ledger: the node has not read the ledger yet');
    expect(await field(page, 'vestingSpendable')).toBe('–');
  });
});
