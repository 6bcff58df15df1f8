/**
 * The shared capture bootstrap every connector's content script hands itself
 * to: reads the owner's pause settings before anything is extracted (paused
 * means nothing is sent), starts the page capture, and re-runs it when the
 * owner resumes capture for this site.
 */
import { browser } from 'wxt/browser';
import type { PageExtractor } from '../connectors/types';
import { send } from '../messages/client';
import { startPageCapture } from './page-capture';
import { CAPTURE_SETTINGS_KEY, DEFAULT_CAPTURE_SETTINGS, isCapturePaused, normaliseCaptureSettings, readCaptureSettings } from './settings';

export interface ContentCapture {
  connectorKey: string;
  extractorVersion: string;
  extractor: PageExtractor;
}

export async function runContentCapture(connector: ContentCapture): Promise<void> {
  let settings = await readCaptureSettings(browser.storage.local).catch(() => DEFAULT_CAPTURE_SETTINGS);
  const capture = startPageCapture(
    {
      connectorKey: connector.connectorKey,
      extractorVersion: connector.extractorVersion,
      extractor: connector.extractor,
      submit: (submission) => send('capture.submit', submission),
      isPaused: () => isCapturePaused(settings, location.hostname),
    },
    document,
    () => location.href,
  );
  browser.storage.onChanged.addListener((changes, area) => {
    if (area !== 'local' || !(CAPTURE_SETTINGS_KEY in changes)) return;
    settings = normaliseCaptureSettings(changes[CAPTURE_SETTINGS_KEY]?.newValue);
    if (!isCapturePaused(settings, location.hostname)) capture.rerun();
  });
}
