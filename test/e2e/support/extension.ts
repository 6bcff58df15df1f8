/**
 * Launches headless Chromium with the built extension and serves fixture
 * pages at the services' real host names through Playwright routing, so
 * content scripts match exactly as in the wild and nothing leaves the machine.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page, type Worker } from 'playwright-core';
import { chromiumPath, CHROMIUM_FLAGS, MISSING_BROWSER_MESSAGE } from './browser';

export const EXTENSION_DIR = path.resolve(import.meta.dirname, '../../../.output/chrome-mv3');

interface ExtensionGlobals {
  chrome: { runtime: { sendMessage(message: unknown): Promise<unknown> } };
}

export interface ExtensionSession {
  context: BrowserContext;
  extensionId: string;
  worker: Worker;
  userDataDir: string;
  /** Serve `html` at `url` (exact URL, query included). */
  servePage(url: string, html: string): void;
  /** Open a served page in a new tab and wait until the capture for it has settled. */
  visit(url: string): Promise<Page>;
  /** Open a served page and wait `quietMs`, for pages that must not produce a capture. */
  visitExpectingNoCapture(url: string, quietMs?: number): Promise<Page>;
  /** Run `action` on an open page and wait until the capture it causes has settled. */
  afterCapture(action: () => Promise<unknown>): Promise<void>;
  /** An extension page (`dashboard.html`, `popup.html`). */
  openExtensionPage(file: string): Promise<Page>;
  /** Calls the background's message API from an extension page, like any automation would. */
  call<T = unknown>(type: string, payload?: unknown): Promise<T>;
  close(options?: { keepProfile?: boolean }): Promise<void>;
}

export interface LaunchOptions {
  /** Keep a profile across launches (a browser restart). */
  userDataDir?: string;
  /** Load the extension from here instead of `.output/chrome-mv3`. */
  extensionDir?: string;
  /** Called after the browser closed (e.g. to remove a temporary extension copy). */
  onClose?: () => void;
}

/** Waits for the extension's service worker; polls, since the `serviceworker` event can fire before we listen. */
async function extensionWorker(context: BrowserContext, timeoutMs = 60_000): Promise<Worker> {
  const started = Date.now();
  for (;;) {
    const worker = context.serviceWorkers().find((candidate) => candidate.url().startsWith('chrome-extension://'));
    if (worker) return worker;
    if (Date.now() - started > timeoutMs) throw new Error('The extension’s service worker did not start within the time limit.');
    await context.waitForEvent('serviceworker', { timeout: 1000 }).catch(() => undefined);
  }
}

export async function launchExtension(options: LaunchOptions = {}): Promise<ExtensionSession> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(MISSING_BROWSER_MESSAGE);
  const userDataDir = options.userDataDir ?? mkdtempSync(path.join(tmpdir(), 'gleaner-e2e-'));
  const extensionDir = options.extensionDir ?? EXTENSION_DIR;
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_FLAGS, `--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`],
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  const pages = new Map<string, string>();
  // Every request to a connector host is answered from fixtures; anything else is refused.
  await context.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, async (route) => {
    const url = route.request().url();
    const html = pages.get(url);
    if (html !== undefined) await route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
    else if (route.request().resourceType() === 'document') await route.fulfill({ status: 404, contentType: 'text/html', body: '<!doctype html><title>Not found</title><p>No fixture.</p>' });
    else await route.abort();
  });
  const worker = await extensionWorker(context);
  const extensionId = new URL(worker.url()).host;
  let apiPage: Page | undefined;

  const session: ExtensionSession = {
    context,
    extensionId,
    worker,
    userDataDir,
    servePage(url, html) {
      pages.set(url, html);
    },
    async visit(url) {
      const page = await context.newPage();
      const before = await batchActivity(session);
      await page.goto(url);
      await waitForCaptureToSettle(session, before);
      return page;
    },
    async visitExpectingNoCapture(url, quietMs = 2500) {
      const page = await context.newPage();
      await page.goto(url);
      await page.waitForTimeout(quietMs);
      return page;
    },
    async afterCapture(action) {
      const before = await batchActivity(session);
      await action();
      await waitForCaptureToSettle(session, before);
    },
    async openExtensionPage(file) {
      const page = await context.newPage();
      await page.goto(`chrome-extension://${extensionId}/${file}`);
      return page;
    },
    async call<T>(type: string, payload: unknown = {}) {
      if (!apiPage || apiPage.isClosed()) apiPage = await session.openExtensionPage('popup.html');
      const reply = (await apiPage.evaluate(
        ([messageType, messagePayload]) => (globalThis as unknown as ExtensionGlobals).chrome.runtime.sendMessage({ type: messageType, payload: messagePayload }),
        [type, payload] as const,
      )) as { ok: boolean; data?: T; error?: { code: string; message: string } };
      if (!reply.ok) throw new Error(`${type} failed: ${reply.error?.code} ${reply.error?.message}`);
      return reply.data as T;
    },
    async close({ keepProfile = false } = {}) {
      await context.close();
      if (!keepProfile && !options.userDataDir) rmSync(userDataDir, { recursive: true, force: true });
      options.onClose?.();
    },
  };
  return session;
}

/** Stops every service worker of the browser, as Chrome does to an idle extension worker; the next message starts a new one. */
export async function stopServiceWorkers(session: ExtensionSession): Promise<void> {
  const page = await session.context.newPage();
  const cdp = await session.context.newCDPSession(page);
  await cdp.send('ServiceWorker.enable');
  await cdp.send('ServiceWorker.stopAllWorkers');
  await cdp.detach();
  await page.close();
}

/** A cheap fingerprint of everything captures change: batch ids and recapture counters. */
async function batchActivity(session: ExtensionSession): Promise<string> {
  const connections = await session.call<{ id: string }[]>('connections.list');
  const parts: string[] = [];
  for (const connection of connections) {
    const batches = await session.call<{ id: string; recaptureCount: number }[]>('batches.list', { connectionId: connection.id });
    parts.push(...batches.map((batch) => `${batch.id}:${batch.recaptureCount}`));
  }
  return parts.sort().join(',');
}

/** Waits until a capture has landed (the batch fingerprint changed) and then stayed quiet. */
async function waitForCaptureToSettle(session: ExtensionSession, before: string, timeoutMs = 10_000): Promise<void> {
  const started = Date.now();
  let last = before;
  let stableSince = Date.now();
  let changed = false;
  while (Date.now() - started < timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 150));
    const now = await batchActivity(session);
    if (now !== last) {
      changed = true;
      last = now;
      stableSince = Date.now();
    } else if (changed && Date.now() - stableSince > 700) {
      return;
    }
  }
  if (!changed) throw new Error('No capture arrived from the page within the time limit.');
}
