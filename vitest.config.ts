import { defineConfig } from 'vitest/config';

// Six projects: `npm test` runs unit, integration and e2e (under 10 minutes on 2 cores);
// `npm run test:long` runs the long checks (100,000-input fuzzing, crash loops, soaks), then `demo`: the whole
// local network of `npm start` (30 nodes' worth of work on 2 cores), alone and after `long` (groupOrder), so
// that no other test file starves it of CPU; then `timed`: the long checks that assert a wall-clock bound (a
// device serving again within 5 s of a power cut, a standby taking a role within 5 s), one file at a time and
// alone, because beside the 1,000-device or bundle-build files they measured the machine's load, not the code.
const TIMED = ['test/long/device/power-loss.test.ts', 'test/long/fleet/rack/**/*.test.ts'];
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      // Unit test files share a worker's module graph (no per-file fork and re-import: 211 s → 102 s on 2 cores);
      // the code keeps no module-level mutable state, and the suite passes shuffled (--sequence.shuffle).
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000, isolate: false } },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 120_000 },
      },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 300_000 } },
      { extends: true, test: { name: 'long', include: ['test/long/**/*.test.ts'], exclude: ['test/long/demo/**', ...TIMED], testTimeout: 1_800_000 } },
      { extends: true, test: { name: 'demo', include: ['test/long/demo/**/*.test.ts'], testTimeout: 900_000, fileParallelism: false, sequence: { groupOrder: 1 } } },
      { extends: true, test: { name: 'timed', include: TIMED, testTimeout: 1_800_000, fileParallelism: false, sequence: { groupOrder: 2 } } },
    ],
  },
});
