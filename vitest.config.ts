import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts', 'hooks/**/*.test.ts'],
    environment: 'node',
    // Fixed clock and no network: tests inject `now` and never leave 127.0.0.1.
    testTimeout: 10_000,
  },
});
