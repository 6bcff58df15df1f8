/**
 * The built extension with host permission for loopback servers already
 * granted, for the export tests.
 *
 * Why: Gleaner asks for the server's host permission at link time with
 * `permissions.request` (an optional permission, never at install). Headless
 * Chromium cannot show or answer that prompt, so the request never settles.
 * These tests therefore load a copy of `.output/chrome-mv3` whose manifest
 * also lists `http://127.0.0.1/*` under `host_permissions`, i.e. the state the
 * browser is in after the owner clicked Allow. Production code is unchanged:
 * the dashboard still calls `permissions.request` (which resolves `true` at
 * once for a permission already held) and the background still checks
 * `permissions.contains` before every server call. The path without the grant
 * is covered with the unmodified build (see export-link.e2e.ts).
 */
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium, type Page } from 'playwright-core';
import { chromiumPath, CHROMIUM_FLAGS, MISSING_BROWSER_MESSAGE } from '../support/browser';
import { EXTENSION_DIR, type ExtensionSession } from '../support/extension';

interface ExtensionGlobals {
  chrome: { runtime: { sendMessage(message: unknown): Promise<unknown> } };
}

/** A copy of the built extension with `http://127.0.0.1/*` granted, as after the owner allowed it. */
export function grantedExtensionCopy(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'gleaner-ext-granted-'));
  const manifestFile = path.join(dir, 'manifest.json');
  // A build running at the same moment can leave the output half-written; copy again until it is whole.
  for (let attempt = 0; ; attempt++) {
    rmSync(dir, { recursive: true, force: true });
    cpSync(EXTENSION_DIR, dir, { recursive: true });
    if (existsSync(manifestFile) && existsSync(path.join(dir, 'background.js'))) break;
    if (attempt > 40) throw new Error(`No built extension in ${EXTENSION_DIR}: run \`npx wxt build\` first.`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 500);
  }
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as { host_permissions?: string[] };
  manifest.host_permissions = [...(manifest.host_permissions ?? []), 'http://127.0.0.1/*'];
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2));
  return dir;
}

/**
 * Same session API as `launchExtension` (support/extension.ts), launched from
 * `extensionDir` (default: a granted copy). `userDataDir` keeps a profile
 * across launches (a browser restart).
 */
export async function launchWithServerAccess(options: { userDataDir?: string; extensionDir?: string } = {}): Promise<ExtensionSession> {
  const executablePath = chromiumPath();
  if (!executablePath) throw new Error(MISSING_BROWSER_MESSAGE);
  const extensionDir = options.extensionDir ?? grantedExtensionCopy();
  const ownsExtensionDir = !options.extensionDir;
  const userDataDir = options.userDataDir ?? mkdtempSync(path.join(tmpdir(), 'gleaner-e2e-'));
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: [...CHROMIUM_FLAGS, `--disable-extensions-except=${extensionDir}`, `--load-extension=${extensionDir}`],
    viewport: { width: 1280, height: 900 },
    acceptDownloads: true,
  });
  const pages = new Map<string, string>();
  await context.route(/^https?:\/\/(?!127\.0\.0\.1|localhost)/, async (route) => {
    const html = pages.get(route.request().url());
    if (html !== undefined) await route.fulfill({ status: 200, contentType: 'text/html; charset=utf-8', body: html });
    else if (route.request().resourceType() === 'document') await route.fulfill({ status: 404, contentType: 'text/html', body: '<!doctype html><title>Not found</title><p>No fixture.</p>' });
    else await route.abort();
  });
  const worker = context.serviceWorkers()[0] ?? (await context.waitForEvent('serviceworker', { timeout: 30_000 }));
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
      if (ownsExtensionDir) rmSync(extensionDir, { recursive: true, force: true });
    },
  };
  return session;
}

async function batchActivity(session: ExtensionSession): Promise<string> {
  const connections = await session.call<{ id: string }[]>('connections.list');
  const parts: string[] = [];
  for (const connection of connections) {
    const batches = await session.call<{ id: string; recaptureCount: number }[]>('batches.list', { connectionId: connection.id });
    parts.push(...batches.map((batch) => `${batch.id}:${batch.recaptureCount}`));
  }
  return parts.sort().join(',');
}

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
