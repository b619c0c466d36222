/**
 * The network page at GET / (docs/explorer.md "Network page"): one self-contained HTML document — inline CSS and
 * script, no external resource, no framework — that polls this server's JSON API and draws the ring, the latest
 * blocks, counters, requests served and events. A Content-Security-Policy allows only this document's own script
 * and style (by hash) and fetches to this origin, so even a string from the network that slipped into markup
 * could not run; the script itself writes every API string with textContent or SVG attributes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sha256 } from '../../crypto/index.ts';
import { PAGE_ACCOUNTS_SCRIPT } from './page-accounts.ts';
import { PAGE_HEALTH_SCRIPT } from './page-health.ts';
import { PAGE_RING_SCRIPT } from './page-ring.ts';
import { PAGE_SCRIPT } from './page-script.ts';
import { PAGE_STYLE } from './page-style.ts';

const SCRIPT = `${PAGE_RING_SCRIPT}\n${PAGE_HEALTH_SCRIPT}\n${PAGE_ACCOUNTS_SCRIPT}\n${PAGE_SCRIPT}`;

const BODY = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AME network explorer</title>
<link rel="icon" href="data:,">
<style>${PAGE_STYLE}</style>
</head>
<body>
<header><h1>AME network</h1><span id="status" class="status">connecting…</span></header>
<main>
<section class="ring-panel">
<h2>Ring</h2>
<svg id="ring" viewBox="0 0 600 600" role="img" aria-label="the ring of Unities, coloured by Group"></svg>
<p class="legend"><span class="dot server"></span> server <span class="dot worker"></span> temporary worker
<span class="dot busy"></span> served requests since the last poll</p>
<p id="ring-note" class="note"></p>
<table id="unities"><thead><tr><th>#</th><th>Unity</th><th>Group</th><th class="num">servers</th><th class="num">temporary</th></tr></thead><tbody></tbody></table>
</section>
<section>
<h2>Counters</h2>
<dl id="counters"></dl>
<h2>Latest final blocks</h2>
<ol id="blocks" class="plain"></ol>
<h2>Events</h2>
<ol id="events" class="plain"><li class="note">watching since the page opened…</li></ol>
</section>
<section>
<h2>Requests served</h2>
<p class="note">per node, from the reputation records the managers' reports update (rate since the previous poll)</p>
<table id="served"><thead><tr><th>node</th><th>role</th><th>Unity</th><th class="num">served</th><th class="num">/s</th></tr></thead><tbody></tbody></table>
<h2>Accounts</h2>
<p id="accounts-note" class="note"></p>
<table id="accounts"><thead><tr><th>account</th><th>payout of</th><th class="num">ABC</th><th class="num">spendable</th><th class="num">ABIT</th></tr></thead><tbody></tbody></table>
<h2>Managers</h2>
<p class="note">from the certificates of the latest final blocks: silent = signed none of the last 8</p>
<table id="managers"><thead><tr><th>manager</th><th>consensus</th><th class="num">last signed</th></tr></thead><tbody></tbody></table>
<h2>Devices</h2>
<p id="fleet-note" class="note"></p>
<table id="devices"><thead><tr><th>device</th><th>peer</th><th>status</th><th>agent state</th></tr></thead><tbody></tbody></table>
</section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;

const hash = (text: string) => `'sha256-${Buffer.from(sha256(new TextEncoder().encode(text))).toString('base64')}'`;

/** Only this document's script and style run; the page may fetch from its own origin and nothing else. */
const CSP = [
  "default-src 'none'",
  `script-src ${hash(SCRIPT)}`,
  `style-src ${hash(PAGE_STYLE)}`,
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** The page's HTML (for tests and for whoever serves it elsewhere). */
export const PAGE_HTML = BODY;
const PAGE_BYTES = Buffer.from(BODY, 'utf8');

/** GET or HEAD of / (with any query): the page, not the API. */
export function isPageRequest(req: IncomingMessage): boolean {
  if (req.method !== 'GET' && req.method !== 'HEAD') return false;
  const url = req.url ?? '';
  const q = url.indexOf('?');
  return (q < 0 ? url : url.slice(0, q)) === '/';
}

export function servePage(req: IncomingMessage, res: ServerResponse): void {
  res.writeHead(200, {
    'content-type': 'text/html; charset=utf-8',
    'content-length': PAGE_BYTES.length,
    'cache-control': 'no-store',
    'content-security-policy': CSP,
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
  });
  res.end(req.method === 'HEAD' ? undefined : PAGE_BYTES);
}
