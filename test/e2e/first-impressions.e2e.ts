/**
 * First impressions (issue 9): what a new owner sees, driven in headless
 * Chromium with the built extension, and saved as screenshots at 1280×900
 * (the popup at its real size) in test-results/screenshots/: first run, the
 * import drop zone (by keyboard and by drag and drop), a refusal, a
 * connection with data, the records browser, the server address check, and
 * the popup after a capture (its account named) and after a page it could
 * not read (a problem, never "keeps your records").
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { FileChooser, Locator, Page } from 'playwright-core';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AMAZON_EXPORT_CSV, amazonExportCsvBytes, expectations } from '../fixtures/amazon';
import { browseAmazon } from './pages/amazon-site';
import { DashboardPage, SCREENSHOT_DIR } from './pages/dashboard-page';
import { PopupPage } from './pages/popup-page';
import { launchExtension, type ExtensionSession } from './support/extension';
import { listConnections } from './support/api';

let session: ExtensionSession;
beforeEach(async () => {
  session = await launchExtension();
});
afterEach(async () => {
  await session?.close();
});

/** A 1280×900 viewport shot with `focus` scrolled to the top (or the page as it is). */
async function shot(page: Page, name: string, focus?: Locator): Promise<void> {
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  // The panel holding `focus` at the top, with a little of the page above it.
  if (focus) await focus.evaluate((element) => ((element.closest('section') ?? element) as HTMLElement).scrollIntoView({ block: 'start' }));
  if (focus) await page.evaluate(() => window.scrollBy(0, -12));
  await page.waitForTimeout(150);
  await page.screenshot({ path: path.join(SCREENSHOT_DIR, `${name}.png`) });
}

/** The popup as Chrome shows it: 360 px wide and as tall as its content (Chrome caps a popup at 600 px). */
async function popupShot(popup: PopupPage, name: string): Promise<void> {
  const height = await popup.page.evaluate(() => document.querySelector('main.popup')!.getBoundingClientRect().height);
  await popup.page.setViewportSize({ width: 360, height: Math.min(600, Math.ceil(height)) });
  await shot(popup.page, name);
}

const csv = () => ({ name: AMAZON_EXPORT_CSV, buffer: Buffer.from(amazonExportCsvBytes()), mimeType: 'text/csv' });

describe('first impressions', () => {
  it('the dashboard: first run, the drop zone by keyboard and by drag and drop, quiet months, a refusal, a connection with its records, the server address check', async () => {
    const dashboard = await DashboardPage.open(session);
    const page = dashboard.page;
    // Listen for file pickers from the start: Playwright turns on Chromium's picker interception
    // without waiting for it, so a listener added just before the key press can miss the picker.
    const pickers: FileChooser[] = [];
    page.on('filechooser', (picker) => pickers.push(picker));
    // First run: panels that make sense with no data.
    await page.getByText('No connections yet.').waitFor();
    await shot(page, 'first-run');

    // The drop zone says what it takes, and opens the file picker from the keyboard (Enter and Space), with a focus ring.
    const zone = page.getByTestId('drop-zone');
    await expect(zone.innerText()).resolves.toMatch(/Drop a file here or choose a file[\s\S]*CSV, JSON or zip/);
    // No native "Choose File" control shows: the real input is inside the zone, invisible.
    expect(await page.locator('section.import input[type="file"]').evaluate((input) => getComputedStyle(input).opacity === '0' && input.getBoundingClientRect().width <= 1)).toBe(true);
    await zone.focus();
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.press('Tab');
    expect(await zone.evaluate((element) => element === document.activeElement && element.matches(':focus-visible') && getComputedStyle(element).outlineStyle === 'solid')).toBe(true);
    await shot(page, 'import-drop-zone-focused', page.locator('section.import'));
    // Space asks for the picker (counted here, the dialog held back: Chromium under test opens one picker per page)…
    await page.evaluate(() => {
      const input = document.querySelector('[data-testid="artifact-input"]')!;
      const hold = (event: Event) => {
        event.preventDefault();
        document.body.dataset.pickerAsked = String(Number(document.body.dataset.pickerAsked ?? 0) + 1);
      };
      input.addEventListener('click', hold);
      (window as unknown as { releasePicker(): void }).releasePicker = () => input.removeEventListener('click', hold);
    });
    await page.keyboard.press('Space');
    expect(await page.evaluate(() => document.body.dataset.pickerAsked)).toBe('1');
    await page.evaluate(() => (window as unknown as { releasePicker(): void }).releasePicker());
    // …and Enter opens the real one. An empty file is refused.
    await page.keyboard.press('Enter');
    await expect.poll(() => pickers.length, { timeout: 5000 }).toBe(1);
    await pickers[0]!.setFiles({ name: 'Retail.OrderHistory.1.csv', mimeType: 'text/csv', buffer: Buffer.alloc(0) });

    // A refusal: what to do next, in the error style.
    const refusal = page.getByTestId('import-error');
    await refusal.waitFor();
    expect(await refusal.getAttribute('class')).toContain('error');
    await expect(refusal.innerText()).resolves.toMatch(/Nothing was saved/);
    await shot(page, 'import-refusal', page.locator('section.import'));

    // The export, dragged over (the zone answers) and dropped: a preview whose quiet months are a fact, not a hole.
    const { name, buffer } = csv();
    await dropFile(page, zone, { name, text: buffer.toString('utf8') }, async () => {
      expect(await zone.getAttribute('data-over')).toBe('true');
      await expect(zone.innerText()).resolves.toContain('Drop the file to read it');
      await shot(page, 'import-drop-zone-dragover', page.locator('section.import'));
    });
    await page.getByTestId('import-preview').waitFor();
    const quiet = await page.getByTestId('quiet-months').innerText();
    // Dana ordered now and then: eight quiet stretches, counted, the longest named.
    expect(quiet).toBe('This history has 8 stretches of three months or more with no orders; the longest ran from August 2021 to May 2022.');
    expect(await dashboard.previewText()).not.toMatch(/No records between|gap/i);
    await shot(page, 'import-preview', page.locator('section.import'));
    const target = page.getByTestId('target-new');
    if (await target.isVisible()) await target.check();
    const accountName = page.getByTestId('account-name');
    if (await accountName.isVisible()) await accountName.fill('Dana');
    await page.getByTestId('confirm-import').click();
    const receipt = await dashboard.receipt();
    expect(receipt.outcome).toBe('merged');
    await shot(page, 'import-receipt', page.locator('section.import'));

    // A connection with data, and its records.
    const [connection] = await listConnections(session);
    await dashboard.selectConnection(connection!.displayName);
    await shot(page, 'connection-with-data', page.getByTestId('connection-name').first());
    await dashboard.recordStatus();
    await dashboard.screenshotRecords('records-browser');

    // The server address: a description is refused with what an address looks like; a real one is taken.
    const origin = page.getByTestId('server-origin');
    await origin.fill('pdpp server at home');
    await origin.press('Tab');
    const problem = page.getByTestId('server-origin-error');
    await problem.waitFor();
    await expect(problem.innerText()).resolves.toContain('An address looks like https://pdpp.example.org');
    expect(await origin.getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByTestId('link-server').isDisabled()).toBe(true);
    await shot(page, 'server-address-invalid', page.getByTestId('server-panel'));
    await origin.fill('https://pdpp.example.org');
    await problem.waitFor({ state: 'detached' });
    expect(await page.getByTestId('link-server').isDisabled()).toBe(false);
  });

  it('the popup names the account a capture went to, and shows a page it could not read as a problem', async () => {
    const fixture = expectations.pages['orders-2024-dana.html'];
    const amazonTab = await browseAmazon(session, 'orders-2024-dana.html');
    const popup = await PopupPage.open(session, fixture.url);
    expect(await popup.state()).toBe('on');
    const line = await popup.lastCapture();
    expect(line).toContain(`Kept ${fixture.orderIds.length} orders for ${expectations.accounts.dana.label}`);
    expect(await popup.page.getByTestId('last-capture').getAttribute('data-tone')).toBe('kept');
    await popupShot(popup, 'popup-after-capture');
    // The popup's import is the same drop zone.
    await popup.page.setViewportSize({ width: 360, height: 600 });
    await popup.page.getByText('Import an export file', { exact: true }).first().click();
    await popup.page.getByTestId('drop-zone').waitFor();
    await expect(popup.page.getByTestId('drop-zone').innerText()).resolves.toMatch(/Drop a file here or choose a file/);
    await popupShot(popup, 'popup-import-drop-zone');

    // The same year's page, after Amazon changed its layout (the old tab closed: the popup describes the new one).
    await amazonTab.close();
    const changed = expectations.pages['orders-changed-layout.html'];
    await browseAmazon(session, 'orders-changed-layout.html');
    const problem = await PopupPage.open(session, changed.url);
    expect(await problem.state()).toBe('problem');
    const status = await problem.statusText();
    expect(status).toBe('Amazon’s page changed; Gleaner could not read it.');
    expect(status).not.toContain('keeps your');
    expect(await problem.page.getByTestId('last-capture').getAttribute('data-tone')).toBe('problem');
    await expect(problem.lastCapture()).resolves.not.toMatch(/nothing was found/i);
    await popupShot(problem, 'popup-page-changed');
  });
});

/** Drags a file over the zone and drops it, as a file manager would (a DataTransfer holding a File). */
async function dropFile(page: Page, zone: Locator, file: { name: string; text: string }, whileOver?: () => Promise<void>): Promise<void> {
  const dataTransfer = await page.evaluateHandle(({ name, text }) => {
    const transfer = new DataTransfer();
    transfer.items.add(new File([text], name, { type: 'text/csv' }));
    return transfer;
  }, file);
  await zone.dispatchEvent('dragenter', { dataTransfer });
  await zone.dispatchEvent('dragover', { dataTransfer });
  await whileOver?.();
  await zone.dispatchEvent('drop', { dataTransfer });
}
