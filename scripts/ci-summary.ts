// Totals vitest JSON reports into CI's closing line: "N passed, N failed, N skipped".
// A report that is missing (its part crashed before writing it) counts as one failure.
import { existsSync, readFileSync } from 'node:fs';

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  success: boolean;
}

let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of process.argv.slice(2)) {
  if (!existsSync(file)) {
    process.stderr.write(`ci-summary: ${file} is missing: its test run did not finish\n`);
    failed += 1;
    continue;
  }
  const r = JSON.parse(readFileSync(file, 'utf8')) as VitestReport;
  passed += r.numPassedTests;
  failed += r.numFailedTests;
  skipped += r.numPendingTests + r.numTodoTests;
  // A suite that failed to load has no failed test but is not a success.
  if (!r.success && r.numFailedTests === 0) failed += 1;
}
process.stdout.write(`${passed} passed, ${failed} failed, ${skipped} skipped\n`);
process.exitCode = failed > 0 ? 1 : 0;
