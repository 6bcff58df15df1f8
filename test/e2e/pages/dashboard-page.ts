/** The dashboard as the owner uses it: choose a file, read the preview, confirm, read the receipt. */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Page } from 'playwright-core';
import type { ExtensionSession } from '../support/extension';

export const SCREENSHOT_DIR = path.resolve(import.meta.dirname, '../../../test-results/screenshots');

export interface UploadFile {
  name: string;
  buffer: Buffer;
  mimeType?: string;
}

export type ImportTarget = { newAccountName: string } | { existingConnectionName: string } | { keepSuggested: true };

export interface ImportResult {
  outcome: string;
  batchId: string;
  text: string;
}

export class DashboardPage {
  private constructor(readonly page: Page) {}

  static async open(session: ExtensionSession): Promise<DashboardPage> {
    const page = await session.openExtensionPage('dashboard.html');
    await page.getByRole('heading', { name: 'Import an export file' }).waitFor();
    return new DashboardPage(page);
  }

  async chooseFile(file: UploadFile): Promise<void> {
    await this.page.getByTestId('artifact-input').setInputFiles({ name: file.name, mimeType: file.mimeType ?? 'application/octet-stream', buffer: file.buffer });
  }

  /** Waits for either the preview or a refusal; returns the refusal text when refused. */
  async waitForPreviewOrError(): Promise<{ preview: boolean; error?: string }> {
    const preview = this.page.getByTestId('import-preview');
    const error = this.page.getByTestId('import-error');
    await preview.or(error).first().waitFor();
    if (await error.isVisible()) return { preview: false, error: (await error.textContent()) ?? '' };
    return { preview: true };
  }

  async previewText(): Promise<string> {
    return (await this.page.getByTestId('import-preview').textContent()) ?? '';
  }

  async importFile(file: UploadFile, target: ImportTarget): Promise<ImportResult> {
    await this.chooseFile(file);
    const state = await this.waitForPreviewOrError();
    if (!state.preview) throw new Error(`Import refused: ${state.error}`);
    if ('newAccountName' in target) {
      await this.page.getByTestId('target-new').check();
      await this.page.getByTestId('account-name').fill(target.newAccountName);
    } else if ('existingConnectionName' in target) {
      await this.page.getByRole('radio', { name: new RegExp(escapeRegExp(target.existingConnectionName)) }).check();
    }
    await this.page.getByTestId('confirm-import').click();
    const receipt = this.page.getByTestId('import-receipt');
    await receipt.waitFor();
    return {
      outcome: (await receipt.getAttribute('data-outcome')) ?? '',
      batchId: (await receipt.getAttribute('data-batch-id')) ?? '',
      text: (await receipt.innerText()) ?? '',
    };
  }

  async selectConnection(name: string): Promise<void> {
    await this.page.getByTestId('connection-list').getByRole('button', { name }).click();
    await this.page.getByTestId('coverage-table').waitFor();
  }

  async refresh(): Promise<void> {
    await this.page.reload();
    await this.page.getByRole('heading', { name: 'Import an export file' }).waitFor();
  }

  /** Coverage windows as the dashboard shows them. */
  async coverageWindows(): Promise<{ stream: string; method: string; start: string; end: string; completeness: string }[]> {
    await this.page.getByTestId('coverage-table').waitFor();
    return this.page.$$eval('[data-testid="coverage-table"] tr[data-stream] .window', (spans) =>
      spans.map((span) => {
        const row = span.closest('tr')!;
        return {
          stream: row.getAttribute('data-stream') ?? '',
          method: row.getAttribute('data-method') ?? '',
          start: span.getAttribute('data-start') ?? '',
          end: span.getAttribute('data-end') ?? '',
          completeness: span.getAttribute('data-completeness') ?? '',
        };
      }),
    );
  }

  async screenshot(name: string): Promise<string> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    const file = path.join(SCREENSHOT_DIR, `${name}.png`);
    await this.page.screenshot({ path: file, fullPage: true });
    return file;
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
