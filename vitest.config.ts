import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'hooks/**/*.test.ts'],
    environment: 'node',
    // One temporary directory per run, removed at the end (test/setup/temp-dir.ts).
    globalSetup: ['test/setup/temp-dir.ts'],
    // Fixed clock and no network: tests inject `now` and never leave 127.0.0.1.
    testTimeout: 10_000,
  },
});
