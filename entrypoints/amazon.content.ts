import { browser } from 'wxt/browser';
import { amazonMeta } from '../src/connectors/amazon/meta';
import { amazonPageExtractor } from '../src/connectors/amazon/page';
import { startPageCapture } from '../src/capture/page-capture';
import { CAPTURE_SETTINGS_KEY, DEFAULT_CAPTURE_SETTINGS, isCapturePaused, normaliseCaptureSettings, readCaptureSettings } from '../src/capture/settings';
import { send } from '../src/messages/client';

export default defineContentScript({
  matches: [...amazonMeta.matches],
  runAt: 'document_idle',
  async main() {
    // The owner's pause (global or this site) is read before anything is extracted; paused means nothing is sent.
    let settings = await readCaptureSettings(browser.storage.local).catch(() => DEFAULT_CAPTURE_SETTINGS);
    const capture = startPageCapture(
      {
        connectorKey: amazonMeta.key,
        extractorVersion: amazonMeta.extractorVersion,
        extractor: amazonPageExtractor,
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
  },
});
