import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const source = (path: string) => fileURLToPath(new URL(path, import.meta.url));

export default defineConfig({
  resolve: {
    // Examples and tests import the package by its name, as a user does; in the repo that is the sources.
    alias: [
      { find: /^ecl-workflows\/testing$/, replacement: source('./src/testing/index.ts') },
      { find: /^ecl-workflows\/server$/, replacement: source('./src/server.ts') },
      { find: /^ecl-workflows\/client$/, replacement: source('./src/client.ts') },
      { find: /^ecl-workflows$/, replacement: source('./src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts', 'examples/**/*.test.ts'],
    reporters: ['default', './test/support/plainSummaryReporter.ts'],
    // Crash and end-to-end tests spawn child processes; keep the 2-core machine from thrashing.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
