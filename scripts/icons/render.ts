/**
 * Renders the extension icons (public/icon/<size>.png) from the SVG sources
 * beside this file (gleaner-16.svg at 16 px, gleaner-small.svg at 32, gleaner.svg at 48 and 128), in headless Chromium. Run by hand after changing a source:
 *   npx tsx scripts/icons/render.ts
 * The PNGs are committed; the build does not run this.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { chromiumPath, CHROMIUM_FLAGS, MISSING_BROWSER_MESSAGE } from '../../test/e2e/support/browser';

const here = import.meta.dirname;
const out = path.resolve(here, '../../public/icon');
const SIZES: [size: number, source: string][] = [
  [16, 'gleaner-16.svg'],
  [32, 'gleaner-small.svg'],
  [48, 'gleaner.svg'],
  [128, 'gleaner.svg'],
];

const executablePath = chromiumPath();
if (!executablePath) throw new Error(MISSING_BROWSER_MESSAGE);
const browser = await chromium.launch({ executablePath, args: CHROMIUM_FLAGS });
try {
  const page = await browser.newPage({ deviceScaleFactor: 1 });
  for (const [size, source] of SIZES) {
    const svg = readFileSync(path.join(here, source), 'utf8').replace(/width="\d+" height="\d+"/, `width="${size}" height="${size}"`);
    await page.setViewportSize({ width: size, height: size });
    await page.setContent(`<!doctype html><style>html,body{margin:0;background:transparent}svg{display:block}</style>${svg}`);
    const file = path.join(out, `${size}.png`);
    await page.locator('svg').screenshot({ path: file, omitBackground: true });
    console.log(`wrote ${path.relative(process.cwd(), file)}`);
  }
} finally {
  await browser.close();
}
