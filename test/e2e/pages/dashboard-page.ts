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

  /**
   * Waits for the background job to settle on the preview, a refusal, or (for
   * a file imported before) the original receipt; returns the refusal text when refused.
   */
  async waitForPreviewOrError(): Promise<{ preview: boolean; error?: string; alreadyImported?: boolean }> {
    const preview = this.page.getByTestId('import-preview');
    const error = this.page.getByTestId('import-error');
    const already = this.page.getByTestId('already-imported');
    await preview.or(error).or(already).first().waitFor();
    if (await error.isVisible()) return { preview: false, error: (await error.textContent()) ?? '' };
    if (await already.isVisible()) return { preview: false, alreadyImported: true };
    return { preview: true };
  }

  async previewText(): Promise<string> {
    return (await this.page.getByTestId('import-preview').textContent()) ?? '';
  }

  async importFile(file: UploadFile, target: ImportTarget): Promise<ImportResult> {
    await this.chooseFile(file);
    const state = await this.waitForPreviewOrError();
    // A file imported before shows its original receipt at once, with nothing to confirm.
    if (state.alreadyImported) return this.receipt();
    if (!state.preview) throw new Error(`Import refused: ${state.error}`);
    if ('newAccountName' in target) {
      await this.page.getByTestId('target-new').check();
      await this.page.getByTestId('account-name').fill(target.newAccountName);
    } else if ('existingConnectionName' in target) {
      await this.page.getByRole('radio', { name: new RegExp(escapeRegExp(target.existingConnectionName)) }).check();
    }
    await this.page.getByTestId('confirm-import').click();
    return this.receipt();
  }

  /** The receipt once the background job has finished. */
  async receipt(timeout = 60_000): Promise<ImportResult> {
    const receipt = this.page.getByTestId('import-receipt');
    await receipt.waitFor({ timeout });
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

  /** The SVG coverage timeline of `stream`: per lane, its windows as drawn (data attributes), and the gaps listed under it. */
  async timeline(stream: string): Promise<{ lanes: { method: string; tombstoned: number; windows: { start: string; end: string; completeness: string; x: number; width: number }[] }[]; gaps: { start: string; end: string; kind: string }[] }> {
    const figure = this.page.locator(`[data-testid="coverage-timeline"][data-stream="${stream}"]`);
    await figure.waitFor();
    return figure.evaluate((root) => ({
      lanes: [...root.querySelectorAll('svg g[data-lane]')].map((lane) => ({
        method: lane.getAttribute('data-lane') ?? '',
        tombstoned: Number(lane.getAttribute('data-tombstoned')),
        windows: [...lane.querySelectorAll('rect.tl-window')].map((rect) => ({
          start: rect.getAttribute('data-start') ?? '',
          end: rect.getAttribute('data-end') ?? '',
          completeness: rect.getAttribute('data-completeness') ?? '',
          x: Number(rect.getAttribute('x')),
          width: Number(rect.getAttribute('width')),
        })),
      })),
      gaps: [...root.querySelectorAll('[data-testid="coverage-gaps"] li[data-gap-start]')].map((item) => ({
        start: item.getAttribute('data-gap-start') ?? '',
        end: item.getAttribute('data-gap-end') ?? '',
        kind: item.getAttribute('data-gap-kind') ?? '',
      })),
    }));
  }

  /** Renames the selected connection through its Rename form. */
  async renameSelected(name: string): Promise<void> {
    await this.page.getByTestId('rename-connection').click();
    await this.page.getByTestId('rename-input').fill(name);
    await this.page.getByTestId('rename-save').click();
    await this.page.getByTestId('connection-name').filter({ hasText: name }).waitFor();
  }

  /** Deletes the selected connection, confirming in the dialog; returns the notice text. */
  async deleteSelected(): Promise<string> {
    await this.page.getByTestId('delete-connection').click();
    const dialog = this.page.getByTestId('delete-dialog');
    await dialog.waitFor();
    await dialog.getByTestId('confirm-delete').click();
    const notice = this.page.getByTestId('delete-notice');
    await notice.waitFor();
    return notice.innerText();
  }

  /** Sets the records browser's filters and waits for the list to settle; returns the keys shown. */
  async filterRecords(filter: { text?: string; stream?: string; method?: string; from?: string; to?: string }): Promise<string[]> {
    if (filter.stream !== undefined) await this.page.getByTestId('stream-filter').selectOption(filter.stream);
    if (filter.method !== undefined) await this.page.getByTestId('method-filter').selectOption(filter.method);
    if (filter.from !== undefined) await this.page.getByTestId('from-filter').fill(filter.from);
    if (filter.to !== undefined) await this.page.getByTestId('to-filter').fill(filter.to);
    if (filter.text !== undefined) await this.page.getByTestId('record-search').fill(filter.text);
    await this.page.waitForTimeout(600);
    return this.page.$$eval('[data-testid="records-table"] tbody tr', (rows) => rows.map((row) => row.getAttribute('data-key') ?? ''));
  }

  /** Opens the provenance panel of the record with `key`; returns each version's method and the batches named. */
  async openProvenance(key: string): Promise<{ method: string; batchIds: string[] }[]> {
    await this.page.locator(`[data-testid="records-table"] tr[data-key="${key}"] button.link`).click();
    const panel = this.page.getByTestId('provenance-panel');
    await panel.waitFor();
    return panel.locator('[data-testid="provenance-versions"] > li').evaluateAll((items) =>
      items.map((item) => ({ method: item.getAttribute('data-method') ?? '', batchIds: [...item.querySelectorAll('[data-batch-id]')].map((el) => el.getAttribute('data-batch-id') ?? '') })),
    );
  }

  /** The records browser's status line ("17 orders · 22 items", or the empty state's sentence), once the list has settled. */
  async recordStatus(): Promise<string> {
    const status = this.page.getByTestId('record-total');
    await this.page.waitForFunction(() => (document.querySelector('[data-testid="record-total"]')?.textContent ?? '').trim() !== '');
    return (await status.innerText()).trim();
  }

  /** Types into the records search and waits until the list answers it; returns the status line. */
  async searchRecords(text: string): Promise<string> {
    await this.page.getByTestId('record-search').fill(text);
    await this.page.waitForTimeout(600);
    return this.recordStatus();
  }

  /** The records browser's rows: each record's key, kind, text, and the parts (an order's items) listed in it with whether they matched a search. */
  async recordRows(): Promise<{ key: string; stream: string; text: string; parts: { key: string; text: string; matched: boolean }[] }[]> {
    return this.page.$$eval('[data-testid="records-table"] tbody tr', (rows) =>
      rows.map((row) => ({
        key: row.getAttribute('data-key') ?? '',
        stream: row.getAttribute('data-stream') ?? '',
        text: (row as HTMLElement).innerText,
        parts: [...row.querySelectorAll('[data-testid="record-parts"] li[data-key]')].map((item) => ({
          key: item.getAttribute('data-key') ?? '',
          text: (item as HTMLElement).innerText,
          matched: item.classList.contains('rb-match'),
        })),
      })),
    );
  }

  /** Opens the provenance panel of a part listed in a row (an item under its order). */
  async openPartProvenance(key: string): Promise<void> {
    await this.page.locator(`[data-testid="record-parts"] li[data-key="${key}"] button`).click();
    await this.page.locator(`[data-testid="provenance-panel"][data-key="${key}"]`).waitFor();
  }

  /** Presses Escape; resolves once the provenance panel is gone. */
  async closeProvenanceWithEscape(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.page.getByTestId('provenance-panel').waitFor({ state: 'detached' });
  }

  /** A screenshot of the viewport (1280×900 by default) with the records browser scrolled to its top. */
  async screenshotRecords(name: string): Promise<string> {
    mkdirSync(SCREENSHOT_DIR, { recursive: true });
    await this.page.getByRole('heading', { name: 'Records', exact: true }).evaluate((heading) => heading.closest('section')?.scrollIntoView({ block: 'start' }));
    await this.page.waitForTimeout(150);
    const file = path.join(SCREENSHOT_DIR, `${name}.png`);
    await this.page.screenshot({ path: file });
    return file;
  }

  /** Storage health as shown: bytes text, persistence state, canary state, whether the alarm shows. */
  async storageHealth(): Promise<{ bytes: string; persisted: string; canary: string; alarm: boolean }> {
    const section = this.page.getByTestId('storage-health');
    await section.waitFor();
    await this.page.waitForFunction(() => document.querySelector('[data-testid="storage-canary"]')?.getAttribute('data-present') !== 'unknown');
    return {
      bytes: (await section.getByTestId('storage-bytes').innerText()).trim(),
      persisted: (await section.getByTestId('storage-persisted').getAttribute('data-persisted')) ?? '',
      canary: (await section.getByTestId('storage-canary').getAttribute('data-present')) ?? '',
      alarm: await section.getByTestId('storage-alarm').isVisible(),
    };
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
