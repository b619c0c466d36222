/** The network page's stylesheet (page.ts inlines it; its hash is in the page's Content-Security-Policy). */
export const PAGE_STYLE = `
:root { color-scheme: light; --fg: #1d2330; --muted: #667085; --line: #d9dde5; --bg: #f6f7f9;
  --server: #ffffff; --worker: #e8590c; --busy: #12b886; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; align-items: baseline; gap: 1rem; padding: .6rem 1rem; background: #1d2330; color: #fff; }
h1 { font-size: 1.15rem; margin: 0; }
h2 { font-size: 1rem; margin: .9rem 0 .4rem; }
.status { color: #b8c0cc; font-size: .85rem; }
.status.bad { color: #ff8787; }
main { display: grid; grid-template-columns: minmax(320px, 600px) minmax(240px, 340px) minmax(300px, 1fr); gap: 1rem;
  padding: 0 1rem 1rem; }
@media (max-width: 1100px) { main { grid-template-columns: 1fr; } }
section { min-width: 0; }
#ring { width: 100%; height: auto; background: #fff; border: 1px solid var(--line); border-radius: 6px; }
#ring .orbit { fill: none; stroke: var(--line); stroke-width: 2; }
#ring .unity-disc { stroke: #1d2330; stroke-width: 1; fill-opacity: .85; }
#ring .unity-label { font-size: 11px; fill: #fff; text-anchor: middle; font-weight: 600; pointer-events: none; }
#ring .server { fill: var(--server); stroke: #1d2330; stroke-width: .6; }
#ring .server.busy { fill: var(--busy); }
#ring .worker { fill: var(--worker); stroke: #1d2330; stroke-width: .5; }
#ring .centre { font-size: 14px; text-anchor: middle; fill: var(--muted); }
#ring .centre.big { font-size: 22px; fill: var(--fg); }
.legend { font-size: .8rem; color: var(--muted); margin: .3rem 0; }
.dot { display: inline-block; width: .7rem; height: .7rem; border-radius: 50%; border: 1px solid #1d2330;
  vertical-align: middle; }
.dot.server { background: var(--server); }
.dot.worker { background: var(--worker); width: .5rem; height: .5rem; }
.dot.busy { background: var(--busy); }
.note { color: var(--muted); font-size: .8rem; margin: .2rem 0; }
table { width: 100%; border-collapse: collapse; font-size: .82rem; background: #fff; }
th, td { text-align: left; padding: .15rem .4rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
td.id { white-space: normal; overflow-wrap: anywhere; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.swatch { display: inline-block; width: .65rem; height: .65rem; border-radius: 2px; margin-right: .3rem; }
dl { display: grid; grid-template-columns: auto auto; gap: .15rem 1rem; margin: 0; background: #fff; padding: .5rem;
  border: 1px solid var(--line); border-radius: 6px; }
dt { color: var(--muted); }
dd { margin: 0; text-align: right; font-variant-numeric: tabular-nums; font-weight: 600; }
ol.plain { list-style: none; margin: 0; padding: 0; background: #fff; border: 1px solid var(--line); border-radius: 6px;
  max-height: 16rem; overflow: auto; }
ol.plain li { padding: .2rem .5rem; border-bottom: 1px solid var(--line); font-size: .82rem; overflow-wrap: anywhere; }
ol.plain li:last-child { border-bottom: 0; }
#events li.promotion { border-left: 3px solid var(--busy); }
#events li.split, #events li.merge { border-left: 3px solid #7048e8; }
#events li.down { border-left: 3px solid #e03131; }
#events li.up { border-left: 3px solid var(--busy); }
td.good { color: #2b8a3e; font-weight: 600; }
td.bad { color: #e03131; font-weight: 600; }
.time { color: var(--muted); margin-right: .4rem; font-variant-numeric: tabular-nums; }
`;
