/** What each Sources card says: its latest coverage fact and the owner's best next action. Pure. */
import type { SourceOverview } from '../../background/owner-handlers';
import type { StreamCoverage } from '../../core/coverage';
import { formatDay, formatShortWindow } from '../format';
import { nextSteps, type NextStep } from '../next-steps';
import { dayNumber } from '../timeline';

export interface NextAction {
  /** Which acquisition path it points to (`owner_artifact` / `browser_polyfill`), or none when all is well. */
  method?: 'owner_artifact' | 'browser_polyfill';
  text: string;
}

/** Captures older than this suggest a visit to catch up. */
export const STALE_CAPTURE_DAYS = 30;

/** One account of a source and its next steps (`src/ui/next-steps.ts`), in the order the card lists them. */
export interface AccountNextSteps {
  connectionId: string;
  accountName: string;
  steps: NextStep[];
}

/**
 * Each account's own next steps, from its coverage (`coverage.get`); accounts
 * whose coverage has not been read yet are left out.
 */
export function accountsNextSteps(source: SourceOverview, coverageByConnection: ReadonlyMap<string, readonly StreamCoverage[]>, today: string): AccountNextSteps[] {
  const noun = source.streamNouns[source.primaryStream]?.other ?? source.primaryStream;
  return source.connections.flatMap((connection) => {
    const coverage = coverageByConnection.get(connection.id);
    if (!coverage) return [];
    return [
      {
        connectionId: connection.id,
        accountName: connection.displayName,
        steps: nextSteps({ coverage, today, primaryStream: source.primaryStream, noun, displayName: source.displayName, acquisitionPaths: source.acquisitionPaths }),
      },
    ];
  });
}

/** The one account a short line speaks for: the given one if it belongs here, else the one with the newest batch. */
export function pickAccount(source: SourceOverview, preferredConnectionId?: string): SourceOverview['connections'][number] | undefined {
  const preferred = source.connections.find((connection) => connection.id === preferredConnectionId);
  if (preferred) return preferred;
  const lastAt = (connection: SourceOverview['connections'][number]) => connection.methods.reduce((max, fact) => (fact.lastAt > max ? fact.lastAt : max), '');
  return [...source.connections].sort((a, b) => lastAt(b).localeCompare(lastAt(a)))[0];
}

/** The pooled next action, for a source with no account yet; accounts get `accountsNextSteps`. */
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
