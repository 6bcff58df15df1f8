/** The dashboard's Personal server and Backup panels as the owner uses them. */
import type { Page } from 'playwright-core';
import type { ExtensionSession } from '../support/extension';

export class ServerPanelPage {
  private constructor(readonly page: Page) {}

  static async open(session: ExtensionSession): Promise<ServerPanelPage> {
    const page = await session.openExtensionPage('dashboard.html');
    await page.getByRole('heading', { name: 'Personal server' }).or(page.getByRole('heading', { name: 'Backup' })).first().waitFor();
    return new ServerPanelPage(page);
  }

  async selectConnection(name: string): Promise<void> {
    await this.page.getByTestId('connection-list').getByRole('button', { name }).click();
    await this.page.getByTestId('server-panel').waitFor();
  }

  /** How many link/export/unlink actions the panel has finished (its `data-done` counter). */
  private async done(): Promise<number> {
    return Number(await this.page.getByTestId('server-panel').getAttribute('data-done'));
  }

  /** Clicks and waits until the panel finished that action and re-read its status. */
  private async act(click: () => Promise<void>): Promise<void> {
    const before = await this.done();
    await click();
    await this.page.waitForFunction((count) => Number(document.querySelector('[data-testid="server-panel"]')?.getAttribute('data-done')) > count, before, { timeout: 90_000 });
    await this.page.waitForTimeout(200); // the refreshed status renders
  }

  /** Links the selected connection: one click on a loopback server when `code` is omitted. Resolves when the first export finished. */
  async link(origin: string, code?: string): Promise<string> {
    const panel = this.page.getByTestId('server-panel');
    await panel.getByTestId('server-origin').fill(origin);
    if (code) await panel.getByTestId('enrollment-code').fill(code);
    await this.act(() => panel.getByTestId('link-server').click());
    return (await panel.getByTestId('server-notice').or(panel.getByTestId('server-error')).first().textContent()) ?? '';
  }

  /** "Send again" on the refused batches. */
  async sendAgain(): Promise<void> {
    await this.act(() => this.page.getByTestId('retry-set-aside').click());
  }

  async exportNow(): Promise<void> {
    await this.act(() => this.page.getByTestId('export-now').click());
  }

  async status(): Promise<{ status: string; message: string; progress: string }> {
    const block = this.page.getByTestId('export-status');
    await block.waitFor();
    return {
      status: (await block.getAttribute('data-status')) ?? '',
      message: (await this.page.getByTestId('export-message').count()) > 0 ? ((await this.page.getByTestId('export-message').textContent()) ?? '') : '',
      progress: (await this.page.getByTestId('export-progress').textContent()) ?? '',
    };
  }

  /** "Download everything": the saved file's bytes. */
  async downloadBackup(): Promise<{ fileName: string; bytes: Buffer }> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.page.getByTestId('backup-download').click()]);
    const stream = await download.createReadStream();
    const chunks: Buffer[] = [];
    for await (const chunk of stream) chunks.push(chunk as Buffer);
    return { fileName: download.suggestedFilename(), bytes: Buffer.concat(chunks) };
  }

  async restoreBackup(file: { fileName: string; bytes: Buffer }): Promise<string> {
    await this.page.getByTestId('backup-input').setInputFiles({ name: file.fileName, mimeType: 'application/x-ndjson', buffer: file.bytes });
    const report = this.page.getByTestId('restore-report').or(this.page.getByTestId('backup-error')).first();
    await report.waitFor({ timeout: 60_000 });
    return (await report.textContent()) ?? '';
  }
}
