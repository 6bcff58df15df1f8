// @vitest-environment happy-dom
/** startPageCapture with the owner's pause: nothing while paused, the page is looked at again on resume. */
import { describe, expect, it, vi } from 'vitest';
import { startPageCapture } from '../../../src/capture/page-capture';
import { amazonPageExtractor } from '../../../src/connectors/amazon/page';
import { amazonMeta } from '../../../src/connectors/amazon/meta';
import { expectations, readAmazonFixture } from '../../fixtures/amazon';

describe('startPageCapture with pause', () => {
  it('sends nothing while paused and sends once resumed', async () => {
    vi.useFakeTimers();
    try {
      document.body.innerHTML = new DOMParser().parseFromString(readAmazonFixture('orders-2024-dana.html'), 'text/html').body.innerHTML;
      let paused = true;
      const submit = vi.fn(async () => undefined);
      const capture = startPageCapture(
        { connectorKey: amazonMeta.key, extractorVersion: amazonMeta.extractorVersion, extractor: amazonPageExtractor, submit, isPaused: () => paused },
        document,
        () => expectations.pages['orders-2024-dana.html'].url,
      );
      document.body.appendChild(document.createElement('div'));
      await vi.advanceTimersByTimeAsync(1000);
      expect(submit).not.toHaveBeenCalled();
      paused = false;
      capture.rerun();
      await vi.advanceTimersByTimeAsync(1000);
      expect(submit).toHaveBeenCalledTimes(1);
      capture();
    } finally {
      vi.useRealTimers();
    }
  });
});
