/** The popup's sentence about the last capture on a tab, pure. */
import type { TabCapture } from '../../background/owner-handlers';
import { datesInWords, formatShortWindow, keptPagesInWords, relativeTime } from '../format';

export type Nouns = Record<string, { one: string; other: string }>;

/** How a capture went, for the popup's style: kept, kept nothing for a reason the owner can fix, or a page Gleaner could not read. */
export type CaptureTone = 'kept' | 'warning' | 'problem';

export interface CaptureLine {
  headline: string;
  detail: string;
  tone: CaptureTone;
}

export function countOf(count: number, stream: string, nouns: Nouns): string {
  const noun = nouns[stream] ?? { one: stream.replaceAll('_', ' '), other: stream.replaceAll('_', ' ') };
  return `${count} ${count === 1 ? noun.one : noun.other}`;
}

/** Did the page change so that Gleaner could not read it (the connector's `layout_unrecognized` warning)? */
export function pageChanged(capture: Pick<TabCapture, 'warningCodes' | 'streams'>): boolean {
  return !!capture.warningCodes?.includes('layout_unrecognized') && !capture.streams.some((entry) => entry.seen > 0);
}

/** "Amazon’s page changed; Gleaner could not read it": the popup's status line for a changed layout. */
export function pageChangedLine(serviceName: string): string {
  return `${serviceName}’s page changed; Gleaner could not read it.`;
}

/**
 * "Kept 12 orders for Dana: 3 new, covering Mar 2 – Nov 20, 2024" and a
 * second line with the other kinds and when; after a page that completed a
 * list's window, "Kept all of 2023 for Dana: 3 orders on 2 pages of Your
 * Orders" and this page's counts second ("2 orders on this page (2 new)").
 * Honest about refusals, pages it could not read, and unchanged pages.
 */
export function describeCapture(capture: TabCapture, nouns: Nouns, now = new Date().toISOString()): CaptureLine {
  const when = relativeTime(capture.at, now);
  if (capture.outcome === 'no_account') return { headline: 'Nothing kept from this page: Gleaner could not tell whose account it is.', detail: `Sign in on the site, then reload the page. (${when})`, tone: 'warning' };
  if (pageChanged(capture)) {
    return { headline: 'Nothing was kept from this page.', detail: `What Gleaner kept before is untouched; your full history can still come from the service’s data export (Import below). (${when})`, tone: 'problem' };
  }
  const [primary, ...rest] = capture.streams;
  if (!primary) {
    const warning = capture.warnings[0];
    return { headline: warning ? `The page was read but nothing was found: ${datesInWords(warning)}` : 'The page was read but showed nothing to keep.', detail: when, tone: warning ? 'warning' : 'kept' };
  }
  const account = capture.accountLabel && capture.accountLabel !== 'Account named by you' ? capture.accountLabel : capture.connectionName;
  const newOnPage = capture.outcome === 'unchanged_recapture' ? 'nothing new since the last visit' : `${primary.new} new`;
  const details = rest.filter((entry) => entry.seen > 0).map((entry) => `${countOf(entry.seen, entry.stream, nouns)} (${entry.new} new)`);
  let headline: string;
  if (capture.run) {
    // This page completed a run: the headline speaks of the whole window the pages hold, this page's counts come second.
    headline = keptPagesInWords(capture.run, account);
    details.unshift(`${countOf(primary.seen, primary.stream, nouns)} on this page${capture.outcome === 'unchanged_recapture' ? `, ${newOnPage}` : ` (${newOnPage})`}`);
  } else {
    headline = `Kept ${countOf(primary.seen, primary.stream, nouns)}${account ? ` for ${account}` : ''}: ${newOnPage}`;
    if (capture.window) headline += `, covering ${formatShortWindow(capture.window.start, capture.window.end)}`;
  }
  if (capture.failed) details.push(`${capture.failed} could not be read`);
  details.push(when);
  return { headline, detail: details.join(' · '), tone: capture.failed ? 'warning' : 'kept' };
}
