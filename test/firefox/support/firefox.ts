/**
 * Launches Debian's Firefox ESR headless through WebDriver BiDi (puppeteer-core,
 * which never downloads a browser), installs the built MV2 extension as a
 * temporary add-on, and answers requests to the services' real host names from
 * fixtures by request interception, so content scripts match as in the wild and
 * nothing leaves the machine.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

export const FIREFOX_EXTENSION_DIR = path.resolve(import.meta.dirname, '../../../.output/firefox-mv2');
/** `browser_specific_settings.gecko.id` in wxt.config.ts. */
export const GECKO_ID = 'gleaner@example.org';
/** The internal UUID the profile assigns to the add-on, so its pages' moz-extension:// URLs are known. */
export const EXTENSION_UUID = '6f1c2f5e-8d1a-4a3b-9b0e-2c5d7e9f1a2b';
const EXTENSION_BASE = `moz-extension://${EXTENSION_UUID}/`;

export function firefoxPath(): string | undefined {
  const candidates = [process.env.FIREFOX_PATH, '/usr/bin/firefox-esr', '/usr/bin/firefox'];
  return candidates.find((candidate): candidate is string => !!candidate && existsSync(candidate));
}

export const MISSING_FIREFOX_MESSAGE = [
  'No Firefox found for the Firefox smoke test.',
  'Install Debian’s Firefox ESR:  apt-get update && apt-get install -y firefox-esr',
  'or point FIREFOX_PATH at a Firefox binary (138 or newer: WebDriver BiDi installs the add-on).',
].join('\n');

export interface FirefoxSession {
  browser: Browser;
  /** Serve `html` at `url` (exact URL, query included). */
  servePage(url: string, html: string): void;
  /** Open a served page in a new tab. */
  visit(url: string): Promise<Page>;
  /** Open one of the extension's pages (`dashboard.html`, `popup.html`) in a new tab. */
  openExtensionPage(file: string): Promise<Page>;
  /** Calls the background's message API from an extension page, like any automation would. */
  call<T = unknown>(type: string, payload?: unknown): Promise<T>;
  close(): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export async function launchFirefox(): Promise<FirefoxSession> {
  const executablePath = firefoxPath();
  if (!executablePath) throw new Error(MISSING_FIREFOX_MESSAGE);
  if (!existsSync(path.join(FIREFOX_EXTENSION_DIR, 'manifest.json'))) throw new Error('No Firefox build: run `npm run build:firefox` first.');
  const browser = await puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath,
    headless: true,
    defaultViewport: { width: 1280, height: 900 },
    // Since Firefox 153, WebDriver may navigate to moz-extension:// pages only with system access allowed.
    args: ['--remote-allow-system-access'],
    extraPrefsFirefox: {
      'extensions.webextensions.uuids': JSON.stringify({ [GECKO_ID]: EXTENSION_UUID }),
      // An optional permission the extension asks for (a personal server's address) is granted as if the owner
      // clicked Allow: headless Firefox cannot show the prompt. Firefox still refuses a request made outside a click.
      'extensions.webextOptionalPermissionPrompts': false,
    },
  });
  const installed = await browser.installExtension(FIREFOX_EXTENSION_DIR);
  if (installed !== GECKO_ID) throw new Error(`Installed add-on ${installed}, expected ${GECKO_ID}.`);

  const pages = new Map<string, string>();
  let apiPage: Page | undefined;

  const session: FirefoxSession = {
    browser,
    servePage(url, html) {
      pages.set(url, html);
    },
    async visit(url) {
      const page = await browser.newPage();
      await page.setRequestInterception(true);
      // The served page itself; anything else it asks for (images, fonts) is refused.
      page.on('request', (request) => {
        const html = pages.get(request.url());
        if (html !== undefined) void request.respond({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
        else void request.abort();
      });
      await page.goto(url);
      return page;
    },
    async openExtensionPage(file) {
      const page = await browser.newPage();
      const url = EXTENSION_BASE + file;
      // Firefox's BiDi `browsingContext.navigate` to a moz-extension:// page succeeds, but the
      // navigation events puppeteer-core waits for never come (its frame keeps reporting
      // about:blank), so `goto` would only time out: start it, then wait for the page itself.
      void page.goto(url, { timeout: 30_000 }).catch(() => undefined);
      const started = Date.now();
      for (;;) {
        const ready = await page.evaluate((wanted) => location.href === wanted && document.readyState === 'complete', url).catch(() => false);
        if (ready) return page;
        if (Date.now() - started > 30_000) throw new Error(`${file} did not open.`);
        await sleep(100);
      }
    },
    async call<T>(type: string, payload: unknown = {}) {
      if (!apiPage || apiPage.isClosed()) apiPage = await session.openExtensionPage('popup.html');
      const reply = (await apiPage.evaluate(
        (messageType, messagePayload) => (globalThis as unknown as { browser: { runtime: { sendMessage(message: unknown): Promise<unknown> } } }).browser.runtime.sendMessage({ type: messageType, payload: messagePayload }),
        type,
        payload as never,
      )) as { ok: boolean; data?: T; error?: { code: string; message: string } };
      if (!reply.ok) throw new Error(`${type} failed: ${reply.error?.code} ${reply.error?.message}`);
      return reply.data as T;
    },
    async close() {
      // puppeteer-core made the profile in a temporary folder and removes it.
      await browser.close();
    },
  };
  return session;
}

/** Waits until `read` gives a value that `done` accepts and it stays the same for `quietMs`. */
export async function settled<T>(read: () => Promise<T>, done: (value: T) => boolean, { timeoutMs = 15_000, quietMs = 700 } = {}): Promise<T> {
  const started = Date.now();
  let last = '';
  let since = Date.now();
  while (Date.now() - started < timeoutMs) {
    const value = await read();
    const seen = JSON.stringify(value);
    if (seen !== last) {
      last = seen;
      since = Date.now();
    } else if (done(value) && Date.now() - since >= quietMs) {
      return value;
    }
    await sleep(150);
  }
  throw new Error('Timed out waiting for the extension to settle.');
}
