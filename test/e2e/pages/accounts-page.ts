/** A connection's "One account in two connections?" panel (merge, move an import) as the owner uses it. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { SCREENSHOT_DIR } from './dashboard-page';

export class AccountsPanel {
  constructor(readonly page: Page) {}

  private get panel() {
    return this.page.getByTestId('account-tools');
  }

  /** Chooses the other connection and shows the merge preview; returns its text and refusal code ('' when allowed). */
  async previewMerge(otherName: string): Promise<{ text: string; refused: string }> {
    await this.panel.getByTestId('merge-other').selectOption({ label: otherName });
    await this.panel.getByTestId('merge-preview-button').click();
    const preview = this.panel.getByTestId('merge-preview');
    await preview.waitFor();
    return { text: (await preview.innerText()).trim(), refused: (await preview.getAttribute('data-refused')) ?? '' };
  }

  async confirmMerge(): Promise<string> {
    await this.panel.getByTestId('merge-confirm').click();
    return this.done();
  }

  async previewMove(fileName: string, targetName: string): Promise<{ text: string; refused: string }> {
    await this.panel.getByTestId('move-import').locator('summary').click();
    const batch = this.panel.getByTestId('move-batch');
    const label = await batch.locator('option', { hasText: fileName }).first().textContent();
    await batch.selectOption({ label: label ?? fileName });
    await this.panel.getByTestId('move-target').selectOption({ label: targetName });
    await this.panel.getByTestId('move-preview-button').click();
    const preview = this.panel.getByTestId('move-preview');
    await preview.waitFor();
    return { text: (await preview.innerText()).trim(), refused: (await preview.getAttribute('data-refused')) ?? '' };
  }

  async confirmMove(): Promise<string> {
    await this.panel.getByTestId('move-confirm').click();
    return this.done();
  }

  private async done(): Promise<string> {
    const done = this.panel.getByTestId('account-change-done').or(this.panel.getByTestId('account-change-error'));
    await done.first().waitFor({ timeout: 30_000 });
    return (await done.first().innerText()).trim();
  }

  /** The viewport (1280×900) with the panel scrolled into view. */
  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await this.panel.evaluate((section) => section.scrollIntoView({ block: 'start' }));
    await this.page.waitForTimeout(150);
    const file = path.join(SCREENSHOT_DIR, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }
}
