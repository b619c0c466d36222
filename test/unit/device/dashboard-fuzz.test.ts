/**
 * The dashboard's HTTP server against whatever a client may send (fast-check over raw sockets, so malformed
 * request lines and headers reach node's parser too): every answer is 200 or a 4xx with a typed JSON error,
 * never a 5xx, a hang or a crash, and the server answers normally afterwards.
 */
import fc from 'fast-check';
import { connect } from 'node:net';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardServer, HTTP_ERROR_CODES, type DashboardServer } from '../../../device/index.ts';
import { fakeSources } from '../../support/dashboard-fixtures.ts';

let server: DashboardServer;
let port = 0;

beforeAll(async () => {
  const sources = fakeSources();
  sources.samples.push({ time: 1, served: 1, settled: 5n, balance: 5n });
  server = createDashboardServer({ port: 0, host: '127.0.0.1', sources, logger: pino({ enabled: false }) });
  await server.start();
  port = server.address()!.port;
});
afterAll(() => server.stop());

interface RawAnswer {
  readonly status: number;
  readonly headers: string;
  readonly body: string;
}

/** Sends `raw` bytes, reads until the server closes; rejects when nothing complete comes back in 5 s. */
function exchange(raw: Buffer): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port });
    const chunks: Buffer[] = [];
    socket.setTimeout(5_000, () => {
      socket.destroy();
      reject(new Error(`no answer to ${JSON.stringify(raw.toString('latin1').slice(0, 120))}`));
    });
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', () => {}); // a reset after the answer is fine; no answer fails below
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const match = /^HTTP\/1\.1 (\d{3}) [^\r\n]*\r\n([\s\S]*?)\r\n\r\n([\s\S]*)$/.exec(text);
      if (match === null) reject(new Error(`no HTTP answer to ${JSON.stringify(raw.toString('latin1').slice(0, 120))}: ${JSON.stringify(text.slice(0, 200))}`));
      else resolve({ status: Number(match[1]), headers: match[2]!.toLowerCase(), body: match[3]! });
    });
    socket.write(raw);
  });
}

const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'DELETE', 'OPTIONS', 'PATCH', 'TRACE', 'CONNECT', 'FOO'];
const ROUTES = ['/', '/api/status', '/api/ledger', '/api/history', '/metrics', '/app.js', '/style.css', '/api/', '/api/status/', '/../etc/passwd', '*', ''];
const PATH_CHARS = fc.constantFrom(...'abcxyz/._-~%?&=#;:@!$\'()*+,[]{}|\\^`" <>'.split(''), '%00', '%2e%2e', '%zz', 'é', '\u0000', '\t', '..');

const path = fc.oneof(
  fc.constantFrom(...ROUTES),
  fc.tuple(fc.constantFrom(...ROUTES), fc.array(PATH_CHARS, { maxLength: 30 })).map(([r, cs]) => r + cs.join('')),
  fc.tuple(fc.constantFrom('/api/history?limit=', '/api/status?', '/metrics?'), fc.string({ maxLength: 20 })).map(([a, b]) => a + b),
  fc.integer({ min: 1_900, max: 20_000 }).map((n) => `/${'a'.repeat(n)}`),
);

// Headers that change how much of the connection the parser waits for are left out: waiting is not an answer.
const headerName = fc.oneof(
  fc.constantFrom('Host', 'Authorization', 'Accept', 'Cookie', 'X-Forwarded-For', 'User-Agent', 'Bad Name', 'Ümlaut', ''),
  fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,20}$/).filter((n) => !/^(content-length|transfer-encoding|connection|expect|upgrade)$/i.test(n)),
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 60 }),
  fc.constantFrom('127.0.0.1', 'localhost:8080', 'evil.example.com', 'Basic !!!', 'Basic Og==', `Basic ${Buffer.from('u:password1').toString('base64')}`, 'a\r\nX-Injected: 1'),
  fc.integer({ min: 1, max: 20_000 }).map((n) => 'v'.repeat(n)),
);

const request = fc.record({
  method: fc.oneof(fc.constantFrom(...METHODS), fc.stringMatching(/^[A-Z]{1,8}$/)),
  path,
  version: fc.constantFrom('HTTP/1.1', 'HTTP/1.1', 'HTTP/1.1', 'HTTP/1.0', 'HTTP/9.9', 'FOO'),
  host: fc.option(fc.constantFrom('127.0.0.1', `127.0.0.1:${0}`, 'localhost', 'ame-device.local', 'evil.example.com', ''), { nil: undefined }),
  headers: fc.array(fc.tuple(headerName, headerValue), { maxLength: 5 }),
});

describe('dashboard server under random requests', () => {
  it('answers 200 or a typed 4xx to anything, and never stops answering', async () => {
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const lines = [`${r.method} ${r.path} ${r.version}`];
        if (r.host !== undefined) lines.push(`Host: ${r.host}`);
        for (const [name, value] of r.headers) lines.push(`${name}: ${value}`);
        lines.push('Connection: close', '', '');
        const answer = await exchange(Buffer.from(lines.join('\r\n'), 'utf8'));
        expect(answer.status === 200 || (answer.status >= 400 && answer.status < 500), `${answer.status} ${answer.body.slice(0, 200)}`).toBe(true);
        if (answer.status !== 200 && r.method !== 'HEAD') {
          expect(answer.headers).toContain('content-type: application/json; charset=utf-8');
          const body = JSON.parse(answer.body) as { error: { code: string; message: string } };
          expect(HTTP_ERROR_CODES).toContain(body.error.code);
          expect(typeof body.error.message).toBe('string');
        }
      }),
      { numRuns: 300 },
    );
    const after = await exchange(Buffer.from('GET /api/status HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n'));
    expect(after.status).toBe(200);
    expect(JSON.parse(after.body)).toMatchObject({ state: 'serving' });
  });
});
