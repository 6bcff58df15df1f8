/**
 * What is missing from one account and what the owner can do next, in order. Pure.
 *
 * From the account's coverage (`coverage.get`: per stream, per method, covered
 * windows) and today's date:
 *   1. no export ever imported: how to get one (the connector's export path);
 *   2. the years after the last covered day up to today that nothing covers,
 *      with a link per year where the connector has one;
 *   3. holes between covered windows, the same way;
 *   4. only when nothing is missing: "Nothing missing", with the day coverage runs to.
 * Any covered window counts as covered, whichever way it came and however complete.
 */
import type { AcquisitionPath } from '../connectors/types';
import type { StreamCoverage } from '../core/coverage';
import { formatDay, methodSource } from './format';
import { coverageGaps, unionWindows, type DayWindow } from './timeline';

export interface NextStepLink {
  label: string;
  url: string;
}

export interface NextStep {
  kind: 'get_export' | 'missing_since' | 'missing_between' | 'nothing_missing';
  text: string;
  /** The years nothing covers (steps 2 and 3). */
  years?: number[];
  /** A link per missing year, or the one link of the path. */
  links?: NextStepLink[];
  /** The export's steps (step 1). */
  steps?: string[];
}

export interface NextStepsInput {
  coverage: readonly StreamCoverage[];
  /** `YYYY-MM-DD`, the owner's calendar day. */
  today: string;
  /** The stream whose coverage counts (the connector's first). */
  primaryStream: string;
  /** Its plural noun ("orders"). */
  noun: string;
  displayName: string;
  acquisitionPaths: readonly AcquisitionPath[];
}

/** The pattern's `{year}` filled in. */
export function yearPageUrl(pattern: string, year: number): string {
  return pattern.replaceAll('{year}', String(year));
}

/** "2025", "2025 and 2026", "2023, 2024 and 2025". */
export function joinWithAnd(words: readonly (string | number)[]): string {
  const all = words.map(String);
  if (all.length <= 1) return all[0] ?? '';
  return `${all.slice(0, -1).join(', ')} and ${all.at(-1)}`;
}

function yearsOf(window: DayWindow): number[] {
  const years: number[] = [];
  for (let year = Number(window.start.slice(0, 4)); year <= Number(window.end.slice(0, 4)); year += 1) years.push(year);
  return years;
}

function coveredWindows(coverage: readonly StreamCoverage[], stream: string): DayWindow[] {
  return coverage.find((entry) => entry.stream === stream)?.methods.flatMap((method) => method.windows.map((w) => ({ start: w.start, end: w.end }))) ?? [];
}

function visitAdvice(input: NextStepsInput, years: number[]): { text: string; links: NextStepLink[] } {
  const visit = input.acquisitionPaths.find((path) => path.method === 'browser_polyfill');
  const pages = visit?.pagesName ?? `your ${input.displayName} pages`;
  const yearList = joinWithAnd(years);
  if (visit?.yearUrl) {
    const label = visit.yearUrlLabel ?? `${pages} for {year}`;
    return {
      text: `open ${pages} for ${yearList} to keep ${years.length === 1 ? 'it' : 'them'}`,
      links: years.map((year) => ({ label: label.replaceAll('{year}', String(year)), url: yearPageUrl(visit.yearUrl!, year) })),
    };
  }
  return { text: `visit ${pages} for ${yearList} while signed in to keep ${years.length === 1 ? 'it' : 'them'}`, links: visit?.url ? [{ label: visit.urlLabel ?? visit.title, url: visit.url }] : [] };
}

/** The owner's next steps for one account, most useful first; never empty. */
export function nextSteps(input: NextStepsInput): NextStep[] {
  const steps: NextStep[] = [];
  const windows = coveredWindows(input.coverage, input.primaryStream);
  const union = unionWindows(windows);
  const hasExport = input.coverage.some((entry) => entry.methods.some((method) => method.method === 'owner_artifact' && method.windows.length > 0));

  if (!hasExport) {
    const path = input.acquisitionPaths.find((candidate) => candidate.method === 'owner_artifact');
    const before = union[0] ? `from before ${formatDay(union[0].start)}` : 'back to your first one';
    steps.push({
      kind: 'get_export',
      text: `Get your export: no export imported yet. ${methodSource('owner_artifact')} holds your ${input.noun} ${before}.`,
      steps: path?.steps,
      links: path?.url ? [{ label: path.urlLabel ?? path.title, url: path.url }] : undefined,
    });
  }

  const gaps = coverageGaps(windows, input.today);
  const since = gaps.find((gap) => gap.kind === 'since');
  if (since) {
    const years = yearsOf(since);
    const advice = visitAdvice(input, years);
    steps.push({
      kind: 'missing_since',
      text: `No ${input.noun} kept after ${formatDay(dayBefore(since.start))} (up to today, ${formatDay(input.today)}): ${advice.text}.`,
      years,
      links: advice.links,
    });
  }
  for (const gap of gaps.filter((candidate) => candidate.kind === 'between')) {
    const years = yearsOf(gap);
    const advice = visitAdvice(input, years);
    steps.push({
      kind: 'missing_between',
      text: `No ${input.noun} kept from ${formatDay(gap.start)} to ${formatDay(gap.end)}: ${advice.text}.`,
      years,
      links: advice.links,
    });
  }

  if (steps.length === 0) {
    const last = union.at(-1);
    steps.push({
      kind: 'nothing_missing',
      text: last ? `Nothing missing: your ${input.noun} are kept from ${formatDay(union[0]!.start)} through ${formatDay(last.end)}.` : `Nothing missing.`,
    });
  }
  return steps;
}

function dayBefore(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() - 1);
  return date.toISOString().slice(0, 10);
}
