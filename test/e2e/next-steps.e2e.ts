/**
 * Issue 9, per account: what is missing and what next. Dana's export plus her
 * 2023 and 2024 pages, Sam's 2024 page only; the Sources card names each
 * account with its own steps, the years computed from today's real date.
 */
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AMAZON_EXPORT_ZIP_NAME, makeAmazonExportZip } from '../fixtures/amazon';
import { DashboardPage, SCREENSHOT_DIR } from './pages/dashboard-page';
import { browseAmazon } from './pages/amazon-site';
import { launchExtension, type ExtensionSession } from './support/extension';

// A build into GLEANER_OUT_DIR (beside the default `.output`) is loaded from there.
const extensionDir = process.env.GLEANER_OUT_DIR ? path.resolve(process.env.GLEANER_OUT_DIR, 'chrome-mv3') : undefined;

let session: ExtensionSession;
beforeEach(async () => {
  session = await launchExtension({ extensionDir });
});
afterEach(async () => {
  await session?.close();
});

function localYear(): number {
  return new Date().getFullYear();
}

describe('Sources: each account’s next steps', () => {
  it('Dana: the years after her last covered day, with a link each; Sam: get your export first, then the same years', async () => {
    const dashboard = await DashboardPage.open(session);
    const receipt = await dashboard.importFile({ name: AMAZON_EXPORT_ZIP_NAME, buffer: Buffer.from(makeAmazonExportZip()), mimeType: 'application/zip' }, { newAccountName: 'Dana' });
    expect(receipt.outcome).toBe('merged');
    await browseAmazon(session, 'orders-2023-dana.html');
    await browseAmazon(session, 'orders-2024-dana.html');
    await browseAmazon(session, 'orders-2024-sam.html');

    // Coverage runs to Dec 31, 2024 for both: every year from 2025 up to this one is missing.
    const missing = Array.from({ length: Math.max(0, localYear() - 2024) }, (_, index) => 2025 + index);
    expect(missing.length).toBeGreaterThan(0);

    await dashboard.refresh();
    const card = dashboard.page.locator('[data-testid="source-card"][data-connector="amazon"]');
    const accounts = card.getByTestId('account-next');
    await expect.poll(() => accounts.count(), { timeout: 15_000 }).toBe(2);
    const names = await accounts.evaluateAll((items) => items.map((item) => item.getAttribute('data-account') ?? ''));
    expect(names).toHaveLength(2);
    const danaName = names.find((name) => /dana/i.test(name));
    const samName = names.find((name) => /sam/i.test(name));
    expect({ danaName, samName }).toEqual({ danaName: expect.any(String), samName: expect.any(String) });
    const dana = card.locator(`[data-testid="account-next"][data-account="${danaName}"]`);
    const sam = card.locator(`[data-testid="account-next"][data-account="${samName}"]`);
    expect(await dana.locator('strong').first().innerText()).toBe(danaName);
    expect(await sam.locator('strong').first().innerText()).toBe(samName);

    // Dana: no export step, just the missing years with a Your Orders link per year.
    const danaSteps = dana.getByTestId('account-step');
    await expect.poll(() => danaSteps.evaluateAll((items) => items.map((item) => item.getAttribute('data-kind')))).toEqual(['missing_since']);
    const danaText = await danaSteps.first().innerText();
    expect(danaText).toContain('No orders kept after Dec 31, 2024');
    for (const year of missing) expect(danaText).toContain(String(year));
    const danaLinks = await danaSteps.first().locator('a').evaluateAll((links) => links.map((link) => (link as HTMLAnchorElement).href));
    expect(danaLinks).toEqual(missing.map((year) => `https://www.amazon.com/your-orders/orders?timeFilter=year-${year}`));

    // Sam: get the export first, then the same years.
    const samSteps = sam.getByTestId('account-step');
    expect(await samSteps.evaluateAll((items) => items.map((item) => item.getAttribute('data-kind')))).toEqual(['get_export', 'missing_since']);
    expect(await samSteps.nth(0).innerText()).toMatch(/^Get your export/);
    expect(await samSteps.nth(0).locator('a').getAttribute('href')).toBe('https://www.amazon.com/hz/privacy-central/data-requests/preview.html');
    const samText = await samSteps.nth(1).innerText();
    for (const year of missing) expect(samText).toContain(String(year));

    // The old pooled claim is gone.
    expect(await card.innerText()).not.toContain('Nothing to do');

    await dashboard.page.setViewportSize({ width: 1280, height: 900 });
    await card.scrollIntoViewIfNeeded();
    await dashboard.page.screenshot({ path: path.join(SCREENSHOT_DIR, 'sources-next-steps.png') });

    // The popup's next-step line speaks for one account in the same words.
    const popup = await session.openExtensionPage('popup.html');
    const line = popup.getByTestId('popup-next-step');
    await line.waitFor({ timeout: 15_000 });
    const popupText = await line.innerText();
    // The popup describes itself here (no site), so it speaks for the most recent account: Sam, browsed last.
    expect(popupText.startsWith(`${samName}: Get your export`)).toBe(true);
  });
});
