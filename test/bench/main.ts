/**
 * `npm run bench -- <name>`: runs one benchmark (test/bench/<name>.bench.ts); with no name, lists them.
 */
import { readdirSync } from 'node:fs';
import { report, type Bench } from './harness.ts';

const here = new URL('.', import.meta.url);
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
  .sort();

const name = process.argv[2];
if (name === undefined || !available.includes(name)) {
  process.stderr.write(
    `${name === undefined ? 'usage' : `unknown benchmark "${name}"; usage`}: npm run bench -- <name>\n` +
      `benchmarks: ${available.join(', ')}\n`,
  );
  process.exit(2);
}
const mod = (await import(new URL(`${name}.bench.ts`, here).href)) as { bench: Bench };
const result = await mod.bench.run();
report(name, result, process.stdout);
