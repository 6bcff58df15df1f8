import { defineConfig } from 'vitest/config';

// End-to-end tests: the built extension in a real headless Chromium, one file at a time.
export default defineConfig({
  test: {
    include: ['test/e2e/**/*.e2e.ts'],
    // The export tests' peer is the real PDPP reference server (../shared/pdpp-reference): built once here.
    globalSetup: ['test/e2e/support/global-setup.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 90_000,
    hookTimeout: 90_000,
  },
});
