import { defineConfig } from 'vitest/config';

// The Firefox smoke test: the built `.output/firefox-mv2` in headless Firefox ESR through WebDriver BiDi.
export default defineConfig({
  test: {
    include: ['test/firefox/**/*.firefox.ts'],
    environment: 'node',
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
