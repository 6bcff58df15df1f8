/** The popup's sentence about the last capture on a tab, pure. */
import type { TabCapture } from '../../background/owner-handlers';
import { formatShortWindow, relativeTime } from '../format';

export type Nouns = Record<string, { one: string; other: string }>;

export function countOf(count: number, stream: string, nouns: Nouns): string {
  const noun = nouns[stream] ?? { one: stream.replaceAll('_', ' '), other: stream.replaceAll('_', ' ') };
  return `${count} ${count === 1 ? noun.one : noun.other}`;
}

/**
 * "12 orders seen, 3 new, covering Mar 2 – Nov 20, 2024" and a second line
 * with the other kinds and when. Honest about refusals and unchanged pages.
 */
export function describeCapture(capture: TabCapture, nouns: Nouns, now = new Date().toISOString()): { headline: string; detail: string } {
  const when = relativeTime(capture.at, now);
  if (capture.outcome === 'no_account') return { headline: 'Nothing kept from this page: Gleaner could not tell whose account it is.', detail: `Sign in on the site, then reload the page. (${when})` };
  const [primary, ...rest] = capture.streams;
  if (!primary) {
    const warning = capture.warnings[0];
    return { headline: warning ? `The page was read but nothing was found: ${warning}` : 'The page was read but showed nothing to keep.', detail: when };
  }
  const parts = [`${countOf(primary.seen, primary.stream, nouns)} seen`];
  parts.push(capture.outcome === 'unchanged_recapture' ? 'nothing new since the last visit' : `${primary.new} new`);
  let headline = parts.join(', ');
  if (capture.window) headline += `, covering ${formatShortWindow(capture.window.start, capture.window.end)}`;
  const details = rest.filter((entry) => entry.seen > 0).map((entry) => `${countOf(entry.seen, entry.stream, nouns)} (${entry.new} new)`);
  if (capture.failed) details.push(`${capture.failed} could not be read`);
  details.push(when);
  return { headline, detail: details.join(' · ') };
}
