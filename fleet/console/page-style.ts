/** The console's stylesheet, served as /console/console.css (the page's CSP allows only this origin's styles). */
export const CONSOLE_STYLE = `
:root { color-scheme: light; --fg: #1d2330; --muted: #667085; --line: #d9dde5; --bg: #f6f7f9;
  --healthy: #2b8a3e; --in-flight: #1c7ed6; --failed: #e03131; --locked: #f59f00; --pending: #ced4da; }
* { box-sizing: border-box; }
[hidden] { display: none !important; }
body { margin: 0; font: 14px/1.4 system-ui, sans-serif; color: var(--fg); background: var(--bg); }
header { display: flex; flex-wrap: wrap; align-items: baseline; gap: 1rem; padding: .6rem 1rem; background: #1d2330; color: #fff; }
h1 { font-size: 1.15rem; margin: 0; }
h2 { font-size: 1.05rem; margin: .9rem 0 .5rem; }
nav a { color: #dbe4ff; margin-right: .8rem; text-decoration: none; }
nav a.active { color: #fff; font-weight: 600; border-bottom: 2px solid #fff; }
.status { color: #b8c0cc; font-size: .85rem; }
.status.bad { color: #ff8787; }
.user { margin-left: auto; font-size: .85rem; }
main { padding: 0 1rem 1rem; max-width: 1300px; }
#login form { display: grid; gap: .6rem; max-width: 320px; background: #fff; padding: 1rem; border: 1px solid var(--line); border-radius: 6px; }
label { display: flex; flex-direction: column; gap: .2rem; font-size: .85rem; color: var(--muted); }
input, select, button { font: inherit; padding: .3rem .5rem; }
button { cursor: pointer; border: 1px solid #1d2330; background: #fff; border-radius: 4px; }
button.danger { border-color: var(--failed); color: var(--failed); }
.error { color: var(--failed); min-height: 1.2em; margin: 0; }
.filters { display: flex; gap: 1rem; align-items: end; margin-bottom: .6rem; }
.filters label { flex-direction: column; }
dl.counts { display: flex; gap: .4rem 1rem; margin: 0 0 .6rem; }
dl.counts dt { color: var(--muted); }
dl.counts dd { margin: 0 .8rem 0 0; font-weight: 600; font-variant-numeric: tabular-nums; }
dl.fields { display: grid; grid-template-columns: max-content 1fr; gap: .2rem 1rem; background: #fff; padding: .6rem;
  border: 1px solid var(--line); border-radius: 6px; }
dl.fields dt { color: var(--muted); }
dl.fields dd { margin: 0; overflow-wrap: anywhere; }
table { width: 100%; border-collapse: collapse; font-size: .82rem; background: #fff; }
th, td { text-align: left; padding: .2rem .4rem; border-bottom: 1px solid var(--line); white-space: nowrap; }
td.id, .id { font-family: ui-monospace, monospace; font-size: .78rem; }
td.wrap { white-space: normal; overflow-wrap: anywhere; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.good { color: var(--healthy); font-weight: 600; }
td.bad { color: var(--failed); font-weight: 600; }
.note, .legend { color: var(--muted); font-size: .8rem; }
.rollout { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .6rem .8rem; margin-bottom: .8rem; }
.rollout h3 { margin: 0 0 .3rem; font-size: .95rem; }
.rollout .state { font-weight: 600; text-transform: uppercase; font-size: .75rem; padding: .05rem .4rem; border-radius: 3px; background: var(--pending); }
.rollout .state.running { background: #d0ebff; }
.rollout .state.paused { background: #fff3bf; }
.rollout .state.aborted { background: #ffe3e3; color: var(--failed); }
.rollout .state.done { background: #d3f9d8; color: var(--healthy); }
.phase { display: grid; grid-template-columns: 9rem 1fr 21rem; gap: .6rem; align-items: center; margin: .25rem 0; font-size: .82rem; }
.bar { display: flex; height: .9rem; background: var(--pending); border-radius: 3px; overflow: hidden; }
.seg { display: inline-block; height: 100%; }
.legend .seg { width: .8rem; height: .8rem; vertical-align: middle; border-radius: 2px; }
.seg.healthy { background: var(--healthy); }
.seg.in-flight { background: var(--in-flight); }
.seg.failed { background: var(--failed); }
.seg.locked { background: var(--locked); }
.seg.pending { background: var(--pending); }
.charts { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: .8rem; }
.chart { margin: 0; background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: .4rem .6rem; }
.chart figcaption { font-size: .82rem; color: var(--muted); }
.chart svg { display: block; width: 100%; height: auto; }
.chart .frame { fill: none; stroke: var(--line); }
.chart .line { fill: none; stroke: var(--in-flight); stroke-width: 1.5; stroke-linejoin: round; }
.chart .line.step { stroke: var(--healthy); }
.chart .dot { fill: var(--in-flight); }
.chart text { font-size: 10px; fill: var(--muted); }
h3 { font-size: .95rem; margin: .9rem 0 .4rem; }
.actions { display: flex; gap: .5rem; align-items: center; margin-top: .4rem; }
.actions input { width: 18rem; }
`;
