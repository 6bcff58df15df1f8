/** YouTube as the owner browses it: the history page served from fixtures at www.youtube.com, built for today in this machine's zone. */
import type { Page } from 'playwright-core';
import { HISTORY_URL, historyPage, priyaTakeoutEntries, takeoutHtml, takeoutHtmlZip, takeoutJson, takeoutZips, todayIn, type Layout, type PageDay } from '../../fixtures/youtube';
import type { ExtensionSession } from '../support/extension';
import type { UploadFile } from './dashboard-page';

/** The browser and this process share the machine's zone, so "Today" on the page is today here. */
export const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
export const today = () => todayIn(new Date(), timeZone);

/** Serves one history page at its real URL and opens it; resolves once the capture has landed. */
export async function browseHistory(session: ExtensionSession, options: { layout: Layout; days: PageDay[]; datasyncId?: string }): Promise<Page> {
  session.servePage(HISTORY_URL, historyPage({ today: today(), ...options }));
  return session.visit(HISTORY_URL);
}

const json = () => takeoutJson(priyaTakeoutEntries(today(), timeZone));

/** Priya's Takeout as the three zips Google splits it into (only `-002` holds the history). */
export function takeoutZipFiles(): UploadFile[] {
  return takeoutZips(json()).map(({ name, bytes }) => ({ name, buffer: Buffer.from(bytes), mimeType: 'application/zip' }));
}

export function watchHistoryJson(): UploadFile {
  return { name: 'watch-history.json', buffer: Buffer.from(json()), mimeType: 'application/json' };
}

export function watchHistoryHtml(): UploadFile {
  return { name: 'watch-history.html', buffer: Buffer.from(takeoutHtml(priyaTakeoutEntries(today(), timeZone))), mimeType: 'text/html' };
}

export function watchHistoryHtmlZip(): UploadFile {
  return { name: 'takeout-20260105T100000Z-001.zip', buffer: Buffer.from(takeoutHtmlZip(takeoutHtml(priyaTakeoutEntries(today(), timeZone)))), mimeType: 'application/zip' };
}
