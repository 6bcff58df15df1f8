/**
 * The content-script side of passive capture, shared by every connector:
 * extract what the page shows, send it only when it changed, and re-run
 * cheaply (debounced) when the page loads more content.
 *
 * Runs on other people's pages: keep it small (no zod, no parsers) and never
 * touch the page's own storage.
 */
import type { PageCapture, PageExtractor } from '../connectors/types';
import type { CaptureSubmit } from '../messages/protocol';

export interface CaptureTarget {
  connectorKey: string;
  extractorVersion: string;
  extractor: PageExtractor;
  /** Delivers one capture to the background. */
  submit(capture: CaptureSubmit): Promise<unknown>;
  /** True while the owner has paused capture here: nothing is extracted or sent. */
  isPaused?(): boolean;
}

/** Stops capturing; `rerun()` looks at the page again (e.g. after the owner resumes). */
export type CaptureHandle = (() => void) & { rerun(): void };

const DEBOUNCE_MS = 400;

export function toSubmission(target: CaptureTarget, url: URL, capture: PageCapture): CaptureSubmit {
  return {
    connectorKey: target.connectorKey,
    pageUrl: url.href,
    extractorVersion: target.extractorVersion,
    observations: capture.observations,
    coverage: capture.coverage,
    accountHint: capture.accountHint,
    warnings: capture.warnings,
    paging: capture.paging,
  };
}

/** Starts capturing on `doc`; returns a stop function (with `rerun`). */
export function startPageCapture(target: CaptureTarget, doc: Document, location: () => string): CaptureHandle {
  let lastSent = '';
  let timer: ReturnType<typeof setTimeout> | undefined;

  const run = () => {
    timer = undefined;
    if (target.isPaused?.()) return;
    const url = new URL(location());
    if (!target.extractor.matches(url)) return;
    const capture = target.extractor.extract(doc, url);
    if (capture.observations.length === 0 && capture.coverage.length === 0 && capture.warnings.length === 0) return;
    const submission = toSubmission(target, url, capture);
    const fingerprint = JSON.stringify([submission.pageUrl, submission.observations, submission.coverage, submission.accountHint, submission.warnings, submission.paging]);
    if (fingerprint === lastSent) return;
    lastSent = fingerprint;
    target.submit(submission).catch(() => {
      // The background may be restarting; forget the fingerprint so the next change retries.
      lastSent = '';
    });
  };

  const schedule = () => {
    if (timer === undefined) timer = setTimeout(run, DEBOUNCE_MS);
  };

  const observer = new MutationObserver(schedule);
  observer.observe(doc.body ?? doc.documentElement, { childList: true, subtree: true });
  run();
  const stop = () => {
    observer.disconnect();
    if (timer !== undefined) clearTimeout(timer);
  };
  return Object.assign(stop, { rerun: schedule });
}
