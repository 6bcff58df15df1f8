/** What each Sources card says: its latest coverage fact and the owner's best next action. Pure. */
import type { SourceOverview } from '../../background/owner-handlers';
import { formatDay, formatShortWindow } from '../format';
import { dayNumber } from '../timeline';

export interface NextAction {
  /** Which acquisition path it points to (`owner_artifact` / `browser_polyfill`), or none when all is well. */
  method?: 'owner_artifact' | 'browser_polyfill';
  text: string;
}

/** Captures older than this suggest a visit to catch up. */
export const STALE_CAPTURE_DAYS = 30;

export function bestNextAction(source: SourceOverview, today: string): NextAction {
  const methods = source.connections.flatMap((connection) => connection.methods);
  const imported = methods.filter((fact) => fact.method === 'owner_artifact');
  const captured = methods.filter((fact) => fact.method === 'browser_polyfill');
  const visit = source.acquisitionPaths.find((path) => path.method === 'browser_polyfill');
  const importPath = source.acquisitionPaths.find((path) => path.method === 'owner_artifact');
  if (source.connections.length === 0) return { method: 'owner_artifact', text: `Start with your whole history: ${lower(importPath?.title ?? 'import an export')}.` };
  if (imported.length === 0) return { method: 'owner_artifact', text: `Add your older history: ${lower(importPath?.title ?? 'import an export')}.` };
  const lastCapture = captured.reduce((max, fact) => (fact.lastAt > max ? fact.lastAt : max), '');
  if (!lastCapture) return { method: 'browser_polyfill', text: `Add what happened since your export: ${lower(visit?.title ?? 'visit the site')}.` };
  if (dayNumber(today) - dayNumber(lastCapture) > STALE_CAPTURE_DAYS) return { method: 'browser_polyfill', text: `Catch up on recent activity: your last visit was ${formatDay(lastCapture)}.` };
  return { text: 'Nothing to do: history imported and recent visits kept.' };
}

/** "Orders from Feb 3, 2019 to Dec 31, 2024 · export through Sep 2, 2023", or that nothing is kept yet. */
export function latestCoverageFact(source: SourceOverview): string {
  const noun = source.streamNouns[source.primaryStream]?.other ?? source.primaryStream;
  const spans = source.connections.flatMap((connection) => connection.methods.map((fact) => ({ ...fact, connection })));
  const withSpan = spans.filter((fact) => fact.span);
  if (withSpan.length === 0) return source.connections.length ? `No ${noun} covered yet.` : `Nothing kept from ${source.displayName} yet.`;
  const start = withSpan.reduce((min, fact) => (fact.span!.start < min ? fact.span!.start : min), withSpan[0]!.span!.start);
  const end = withSpan.reduce((max, fact) => (fact.span!.end > max ? fact.span!.end : max), withSpan[0]!.span!.end);
  const exportEnd = withSpan.filter((fact) => fact.method === 'owner_artifact').reduce((max, fact) => (fact.span!.end > max ? fact.span!.end : max), '');
  const accounts = source.connections.length > 1 ? ` across ${source.connections.length} accounts` : '';
  return `${capitalise(noun)} ${formatShortWindow(start, end).replace(/^all of /, 'in ')}${accounts}${exportEnd ? ` · your export runs through ${formatDay(exportEnd)}` : ''}.`;
}

function lower(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}
function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
