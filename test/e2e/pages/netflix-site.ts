/** Netflix as the owner browses it (served from fixtures at www.netflix.com) and its exports as the owner uploads them. */
import type { Page } from 'playwright-core';
import { FULL_EXPORT_ZIP_NAME, makeFullExportZip, netflixFixtureBytes, readNetflixFixture, VIEWING_PAGE_URL, type NetflixCsvFixture, type NetflixPageFixture } from '../../fixtures/netflix';
import type { ExtensionSession } from '../support/extension';
import type { DashboardPage, ImportResult, UploadFile } from './dashboard-page';

/** Opens one profile's Viewing activity page; resolves once its capture has landed. With `showMore`, presses "Show more" and waits for that capture too. */
export async function browseNetflix(session: ExtensionSession, fixture: NetflixPageFixture, options: { showMore?: boolean } = {}): Promise<Page> {
  session.servePage(VIEWING_PAGE_URL, readNetflixFixture(fixture));
  const page = await session.visit(VIEWING_PAGE_URL);
  if (options.showMore) await session.afterCapture(() => page.getByRole('button', { name: 'Show more' }).click());
  return page;
}

export const netflixCsvUpload = (fixture: NetflixCsvFixture, name = 'NetflixViewingHistory.csv'): UploadFile => ({ name, buffer: Buffer.from(netflixFixtureBytes(fixture)), mimeType: 'text/csv' });
export const netflixZipUpload = (): UploadFile => ({ name: FULL_EXPORT_ZIP_NAME, buffer: Buffer.from(makeFullExportZip()), mimeType: 'application/zip' });

/** The profiles the preview of a multi-profile export lists: label and whether a connection will be created. */
export async function previewRoutes(dashboard: DashboardPage): Promise<{ account: string; isNew: boolean; text: string }[]> {
  const routes = dashboard.page.getByTestId('import-route');
  await dashboard.page.getByTestId('import-routes').waitFor();
  const out: { account: string; isNew: boolean; text: string }[] = [];
  for (const route of await routes.all()) out.push({ account: (await route.getAttribute('data-account')) ?? '', isNew: (await route.getAttribute('data-new')) === 'true', text: (await route.innerText()) ?? '' });
  return out;
}

/** Uploads the account export, checks nothing about the profiles, confirms once, and returns the receipt and each profile's part of it. */
export async function importFullExport(dashboard: DashboardPage): Promise<{ receipt: ImportResult; routes: { account: string; isNew: boolean; text: string }[]; perConnection: { status: string; text: string }[] }> {
  await dashboard.chooseFile(netflixZipUpload());
  const state = await dashboard.waitForPreviewOrError();
  if (!state.preview) throw new Error(`no preview: ${state.error ?? 'already imported'}`);
  const routes = await previewRoutes(dashboard);
  await dashboard.page.getByTestId('confirm-import').click();
  const receipt = await dashboard.receipt();
  const perConnection: { status: string; text: string }[] = [];
  for (const item of await dashboard.page.getByTestId('route-receipt').all()) perConnection.push({ status: (await item.getAttribute('data-status')) ?? '', text: (await item.innerText()) ?? '' });
  return { receipt, routes, perConnection };
}
