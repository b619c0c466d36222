import { defineConfig } from 'vitest/config';

// Four projects: `npm test` runs unit, integration and e2e (under 10 minutes on 2 cores);
// `npm run test:long` runs the long checks (100,000-input fuzzing, crash loops, soaks).
export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'], testTimeout: 30_000 } },
      {
        extends: true,
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], testTimeout: 120_000 },
      },
      { extends: true, test: { name: 'e2e', include: ['test/e2e/**/*.test.ts'], testTimeout: 300_000 } },
      { extends: true, test: { name: 'long', include: ['test/long/**/*.test.ts'], testTimeout: 1_800_000 } },
    ],
  },
});
