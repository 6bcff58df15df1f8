/**
 * The toolbar popup as the owner sees it. A headless test cannot click the
 * toolbar icon, so the popup is opened as a tab at `popup.html?tabId=<id>`,
 * which makes it describe that tab (see src/ui/popup/Popup.tsx).
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { ExtensionSession } from '../support/extension';
import { SCREENSHOT_DIR } from './dashboard-page';

interface ChromeTabs {
  chrome: { tabs: { query(filter: { url?: string }): Promise<{ id?: number; url?: string }[]> } };
}

/** The id of the open tab showing `url` (host permissions let extension pages see connector tabs' URLs). */
export async function tabIdOf(session: ExtensionSession, url: string): Promise<number> {
  const helper = await session.openExtensionPage('popup.html?tabId=0');
  try {
    const tabs = await helper.evaluate(() => (globalThis as unknown as ChromeTabs).chrome.tabs.query({ url: 'https://www.amazon.com/*' }));
    const tab = tabs.find((candidate) => candidate.url === url);
    if (tab?.id === undefined) throw new Error(`no open tab at ${url}`);
    return tab.id;
  } finally {
    await helper.close();
  }
}

export class PopupPage {
  private constructor(readonly page: Page) {}

  /** Opens the popup describing the tab at `url` (or, without one, a tab Gleaner does not read). */
  static async open(session: ExtensionSession, forUrl?: string): Promise<PopupPage> {
    const tabId = forUrl ? await tabIdOf(session, forUrl) : undefined;
    const page = await session.openExtensionPage(tabId ? `popup.html?tabId=${tabId}` : 'popup.html');
    await page.setViewportSize({ width: 360, height: 600 });
    await page.getByTestId('tab-status').waitFor();
    return new PopupPage(page);
  }

  async state(): Promise<string> {
    return (await this.page.getByTestId('tab-card').getAttribute('data-state')) ?? '';
  }

  async statusText(): Promise<string> {
    return (await this.page.getByTestId('tab-status').innerText()).trim();
  }

  async lastCapture(): Promise<string> {
    return (await this.page.getByTestId('last-capture').innerText()).trim();
  }

  /** Clicks "Pause on <host>" / "Resume on <host>" and waits for the card to show the new state. */
  async toggleSite(): Promise<void> {
    const before = await this.state();
    await this.page.getByTestId('toggle-site').click();
    await this.page.waitForFunction((previous) => document.querySelector('[data-testid="tab-card"]')?.getAttribute('data-state') !== previous, before);
  }

  async setGlobalPause(paused: boolean): Promise<void> {
    const toggle = this.page.getByTestId('toggle-global');
    if ((await toggle.isChecked()) !== paused) await toggle.click();
    await this.page.waitForFunction((want) => (document.querySelector('[data-testid="toggle-global"]') as HTMLInputElement | null)?.checked === want, paused);
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, `${name}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }
}
