/**
 * The console's page (docs/fleet.md "Console"): one HTML document, one script and one stylesheet, all served from
 * this origin, no framework and nothing external. The Content-Security-Policy lets only those two files run and
 * style, and the page fetch only this origin, so a device id or a reason that slipped into markup could not run;
 * the script writes every string from the API with textContent.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { CONSOLE_CHARTS } from './page-charts.ts';
import { CONSOLE_SCRIPT } from './page-script.ts';
import { CONSOLE_STYLE } from './page-style.ts';
import { CONSOLE_VIEWS } from './page-views.ts';

export const CONSOLE_PATH = '/console/';

const HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AME fleet console</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="console.css">
<script src="console.js" defer></script>
</head>
<body>
<header><h1>AME fleet</h1>
<nav id="nav" hidden><a href="#devices">Devices</a><a href="#releases">Releases</a><a href="#rollouts">Rollouts</a><a href="#locks">Locks</a><a href="#audit">Audit log</a></nav>
<span id="status" class="status"></span>
<span id="user" class="user" hidden><span id="user-name"></span> · <span id="user-role"></span> <button id="logout" type="button">Log out</button></span>
</header>
<main>
<section id="login" hidden>
<h2>Log in</h2>
<form id="login-form" autocomplete="on">
<label>Username <input id="username" name="username" autocomplete="username" required></label>
<label>Password <input id="password" name="password" type="password" autocomplete="current-password" required></label>
<button id="login-submit" type="submit">Log in</button>
<p id="login-error" class="error" role="alert"></p>
</form>
</section>
<section id="view-devices" class="view" hidden>
<h2>Devices</h2>
<form id="device-filters" class="filters">
<label>Group <select id="filter-group"><option value="">any</option></select></label>
<label>Online <select id="filter-online"><option value="">any</option><option value="true">online</option><option value="false">offline</option></select></label>
<label>Search <input id="filter-search" placeholder="id, version or role"></label>
</form>
<dl id="device-counts" class="counts">
<dt>devices</dt><dd id="count-devices">–</dd><dt>online</dt><dd id="count-online">–</dd><dt>offline</dt><dd id="count-offline">–</dd>
</dl>
<table id="devices"><thead><tr><th>device</th><th>online</th><th>version</th><th>role</th><th>groups</th><th>last seen</th><th>health</th></tr></thead><tbody></tbody></table>
</section>
<section id="view-device" class="view" hidden>
<h2>Device <span id="device-id" class="id"></span></h2>
<dl id="device-fields" class="fields"></dl>
<h3>Over time</h3>
<form id="history-filters" class="filters">
<label>Window <select id="history-range"><option value="3600000">last hour</option><option value="86400000" selected>last 24 hours</option><option value="604800000">last 7 days</option></select></label>
</form>
<p id="history-note" class="note"></p>
<div id="charts" class="charts"></div>
</section>
<section id="view-releases" class="view" hidden>
<h2>Releases</h2>
<table id="releases"><thead><tr><th>release</th><th>target</th><th>version</th><th>arch</th><th class="num">bytes</th><th>pushed</th></tr></thead><tbody></tbody></table>
</section>
<section id="view-rollouts" class="view" hidden>
<h2>Rollouts</h2>
<p class="legend"><span class="seg healthy"></span> healthy <span class="seg in-flight"></span> in flight <span class="seg failed"></span> failed <span class="seg locked"></span> locked <span class="seg pending"></span> pending</p>
<div id="rollouts"></div>
</section>
<section id="view-locks" class="view" hidden>
<h2>Update locks</h2>
<table id="locks"><thead><tr><th>device</th><th>holder</th><th>reason</th><th>taken</th><th>until</th></tr></thead><tbody></tbody></table>
</section>
<section id="view-audit" class="view" hidden>
<h2>Audit log</h2>
<table id="audit"><thead><tr><th class="num">#</th><th>time</th><th>actor</th><th>action</th><th>target</th><th>detail</th></tr></thead><tbody></tbody></table>
</section>
</main>
</body>
</html>
`;

const SCRIPT = `${CONSOLE_CHARTS}\n${CONSOLE_VIEWS}\n${CONSOLE_SCRIPT}`;

/** Only this origin's script and stylesheet; fetches to this origin; no forms posted, no framing. */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "connect-src 'self'",
  'img-src data:',
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const ASSETS: ReadonlyMap<string, { readonly type: string; readonly bytes: Buffer }> = new Map([
  [CONSOLE_PATH, { type: 'text/html; charset=utf-8', bytes: Buffer.from(HTML) }],
  [`${CONSOLE_PATH}console.js`, { type: 'text/javascript; charset=utf-8', bytes: Buffer.from(SCRIPT) }],
  [`${CONSOLE_PATH}console.css`, { type: 'text/css; charset=utf-8', bytes: Buffer.from(CONSOLE_STYLE) }],
]);

/** Serves the page or one of its two files for a GET or HEAD of `path`; false when the path is none of them. */
export function consoleAsset(path: string, req: IncomingMessage, res: ServerResponse): boolean {
  const asset = ASSETS.get(path);
  if (asset === undefined) return false;
  res.writeHead(200, {
    'Content-Type': asset.type,
    'Content-Length': asset.bytes.length,
    'Cache-Control': 'no-store',
    'Content-Security-Policy': CONSOLE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'X-Frame-Options': 'DENY',
    'Referrer-Policy': 'no-referrer',
  });
  res.end(req.method === 'HEAD' ? undefined : asset.bytes);
  return true;
}
