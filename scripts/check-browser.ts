/** Fails clearly, naming the missing browser and how to install it, before any end-to-end test runs. */
import { chromiumPath, MISSING_BROWSER_MESSAGE } from '../test/e2e/support/browser';

const found = chromiumPath();
if (!found) {
  console.error(MISSING_BROWSER_MESSAGE);
  process.exit(1);
}
console.log(`Using Chromium at ${found}`);
