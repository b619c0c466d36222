/**
 * Whatever a client sends — any path, query, method, content type and body — the explorer answers with a 2xx,
 * 3xx or 4xx and a JSON body, never a 5xx, and keeps serving.
 */
import { Agent, request } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { toHex } from '../../../../../node/crypto/index.ts';
import { encodeTx, txHash } from '../../../../../node/ledger/index.ts';
import { ABC, accountKey, INVESTORS } from '../../../../support/ledger-chain.ts';
import { type ExplorerFixture, rejected, startExplorer } from './fixture.ts';

let fx: ExplorerFixture;
let known: string[];
const agent = new Agent({ keepAlive: true, maxSockets: 4 });

beforeAll(async () => {
  fx = await startExplorer();
  const tx = encodeTx(fx.chain.accountTx(accountKey(INVESTORS), 'transfer', { to: accountKey(810).address, amount: ABC }));
  const { block } = fx.mine([tx]);
  fx.mine([]);
  known = [toHex(txHash(tx)), toHex(block.header.prevHash), accountKey(810).address, accountKey(INVESTORS).address, '1', '2', '0'];
  // Submissions are refused as the mempool would refuse junk: REJECTED/MALFORMED is a 400.
  fx.refuse = rejected('MALFORMED');
});
afterAll(async () => {
  agent.destroy();
  await fx.close();
});

interface Answer {
  status: number;
  body: string;
  type: string | undefined;
}

function send(method: string, path: string, body: Buffer | undefined, type: string | undefined): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const url = new URL(fx.url);
    // An explicit length keeps the request valid HTTP for methods node does not chunk (DELETE, OPTIONS).
    const headers: Record<string, string> = {
      ...(type === undefined ? {} : { 'content-type': type }),
      ...(body === undefined ? {} : { 'content-length': String(body.length) }),
    };
    const req = request({ host: url.hostname, port: url.port, method, path, agent, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text, type: res.headers['content-type'] }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Characters a request target may carry unescaped, plus the ones that make parsing interesting.
const pathChar = fc.constantFrom(...'abcdefxyz0123456789ABCDEF/-_.~%?&=+:@!$,;*\'()[]'.split(''));
const edgeNumber = fc.constantFrom('0', '00', '-0', '1e3', '18446744073709551615', '18446744073709551616', '99999999999999999999', '9223372036854775808');
const segment = fc.oneof(
  edgeNumber,
  fc.constantFrom('api', 'head', 'genesis', 'blocks', 'headers', 'txs', 'accounts', 'nodes', 'ring', 'roles', '', '..', '%00', '%zz', '%2F'),
  fc.string({ unit: pathChar, maxLength: 24 }),
  fc.bigInt({ min: -5n, max: 1n << 70n }).map(String),
  fc.nat({ max: 6 }).map((i) => known[i]!),
);
const query = fc.array(
  fc.tuple(fc.constantFrom('from', 'to', 'limit', 'height', 'order', 'x'), fc.oneof(edgeNumber, fc.string({ unit: pathChar, maxLength: 12 }), fc.bigInt({ min: -3n, max: 1n << 66n }).map(String))),
  { maxLength: 4 },
);
const queryText = (q: readonly (readonly [string, string])[]) => (q.length > 0 ? `?${q.map(([k, v]) => `${k}=${v}`).join('&')}` : '');
const route = fc.constantFrom('head', 'genesis', 'blocks', 'headers', 'txs', 'accounts', 'nodes', 'ring', 'roles');
const path = fc.oneof(
  // Shaped like the API: an endpoint, maybe one argument, a query.
  fc.tuple(route, fc.option(segment, { nil: undefined }), query).map(([r, arg, q]) => `/api/${r}${arg === undefined ? '' : `/${arg}`}${queryText(q)}`),
  // Anything.
  fc.tuple(fc.boolean(), fc.array(segment, { maxLength: 5 }), query).map(([api, parts, q]) => `/${api ? 'api/' : ''}${parts.join('/')}${queryText(q)}`),
);
const method = fc.constantFrom('GET', 'GET', 'POST', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'PATCH');
const body = fc.option(
  fc.oneof(
    fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)),
    fc.string({ maxLength: 256 }).map((s) => Buffer.from(s)),
    fc.uint8Array({ maxLength: 128 }).map((b) => Buffer.from(Buffer.from(b).toString('hex'))),
    fc.constant(Buffer.alloc(130 * 1024, 0x61)),
  ),
  { nil: undefined },
);
const contentType = fc.option(fc.constantFrom('text/plain', 'application/json', 'application/octet-stream', 'image/png', 'text/plain; charset=utf-8', ''), {
  nil: undefined,
});

describe('explorer API under arbitrary requests', () => {
  it('never answers 5xx and always answers JSON', async () => {
    await fc.assert(
      fc.asyncProperty(method, path, body, contentType, async (m, p, b, t) => {
        const answer = await send(m, p, m === 'GET' || m === 'HEAD' ? undefined : b, t);
        expect(answer.status, `${m} ${p}`).toBeGreaterThanOrEqual(200);
        expect(answer.status, `${m} ${p}: ${answer.body}`).toBeLessThan(500);
        // GET / is the network page (HTML); every other answer is JSON.
        const page = m === 'GET' && p.split('?')[0] === '/';
        if (m !== 'HEAD' && answer.status !== 204 && !page) {
          expect(answer.type).toBe('application/json; charset=utf-8');
          const parsed = JSON.parse(answer.body) as Record<string, unknown>;
          if (answer.status >= 400) expect(typeof parsed['code']).toBe('string');
        }
      }),
      { numRuns: 400 },
    );
    const head = await send('GET', '/api/head', undefined, undefined);
    expect(head.status).toBe(200);
  });

  it('answers a request that is not valid HTTP with a JSON 400', async () => {
    const url = new URL(fx.url);
    const answer = await new Promise<string>((resolve, reject) => {
      const socket = connect(Number(url.port), url.hostname, () => socket.end('GET /api/head HTTP/1.1\r\nHost: x\r\nContent-Length: zz\r\n\r\n'));
      let text = '';
      socket.on('data', (d: Buffer) => (text += d.toString()));
      socket.on('end', () => resolve(text));
      socket.on('error', reject);
    });
    expect(answer).toMatch(/^HTTP\/1\.1 400 /);
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toMatchObject({ code: 'BAD_REQUEST' });
  });
});
