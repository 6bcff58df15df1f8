import { defineConfig } from 'vitest/config';

// End-to-end tests: the built extension in a real headless Chromium, one file at a time.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
});
