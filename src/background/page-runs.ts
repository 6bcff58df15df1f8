/**
 * Full windows from several pages. A service that splits one list into pages
 * (Amazon's Your Orders for one year: `startIndex` 0, 10, 20 …) shows the
 * whole window on no single page, so each page claims only `partial`. Here the
 * background remembers the pages of each list it saw (their `paging`, what they
 * showed) and, when consecutive pages from the first to one without a next page
 * were all seen within `PAGE_RUN_SPAN_MS` of each other, applies one more batch:
 * every record those pages showed, with a `full` claim over the list's window.
 * The merge engine then reconciles as for any full claim (M6: only inside the
 * window, only records every observation of which came from pages and is older
 * than the run; another method's records stay visible).
 *
 * What was seen lives in `browser.storage.session` (survives the service worker
 * restarting, gone when the browser closes; readable by Gleaner's own pages and
 * worker only): one index entry per list and one entry per page's observations.
 */
import { browser } from 'wxt/browser';
import type { StorageAreaLike } from '../capture/settings';
import type { ConnectorDefinition, PagedListPosition } from '../connectors/types';
import { applyBatch, type BatchReceipt } from '../core/merge-engine';
import type { CoverageClaim, Observation } from '../core/model';
import type { GleanerDatabase } from '../db/database';
import { pagesTogetherInWords, type PagesRun } from '../ui/format';
import { memoryArea } from './storage-guard';

/** Pages of one run must all have been seen within this span (the newest page's capture time minus an hour). */
export const PAGE_RUN_SPAN_MS = 60 * 60 * 1000;
export const PAGE_RUN_SPAN_WORDS = 'an hour';
export const PAGE_RUN_PREFIX = 'gleaner.run.';
const REGISTRY_KEY = 'gleaner.runs';
/** Bounds on what one run keeps in session storage (Chrome allows 10 MB there); beyond them the run stays partial. */
export const PAGE_RUN_LIMITS = { pages: 300, observations: 15_000 };

/** One page of a run as remembered (its observations are stored apart, under `<run key>|<offset>`). */
export interface RunPage {
  offset: number;
  count: number;
  next: boolean;
  total?: number;
  seenAt: string;
  pageUrl: string;
  /** The streams the page's own claims covered. */
  streams: string[];
  /** The capture's content hash: what the page showed. */
  hash: string;
  observations: number;
}

interface RunState {
  start: string;
  end: string;
  pages: RunPage[];
  /** The pages (offset and content) of the last run applied as a full claim: the same pages again claim nothing new. */
  claimed?: string;
}

export type RunVerdict =
  | { complete: true; pages: RunPage[] }
  | { complete: false; reason: 'one_page' | 'no_first_page' | 'gap' | 'overlap' | 'no_last_page' | 'pages_after_last' | 'totals_disagree' | 'too_large' };

/**
 * Do the fresh pages (seen at or after `now - span`) make one complete run?
 * From offset 0, each page starting where the previous one's records end, every
 * page but the last offering a next page, the last offering none, and the totals
 * the pages state (if any) equal to the records read. A single page is never a
 * run: a page that shows its whole window claims `full` itself.
 */
export function judgeRun(pages: readonly RunPage[], now: string, spanMs = PAGE_RUN_SPAN_MS): RunVerdict {
  const since = new Date(Date.parse(now) - spanMs).toISOString();
  const fresh = pages.filter((page) => page.seenAt >= since).sort((a, b) => a.offset - b.offset);
  if (fresh.length < 2) return { complete: false, reason: 'one_page' };
  if (fresh[0]!.offset !== 0) return { complete: false, reason: 'no_first_page' };
  for (let i = 1; i < fresh.length; i++) {
    const previous = fresh[i - 1]!;
    const page = fresh[i]!;
    if (!previous.next) return { complete: false, reason: 'pages_after_last' };
    const expected = previous.offset + previous.count;
    if (previous.count === 0 || page.offset > expected) return { complete: false, reason: 'gap' };
    if (page.offset < expected) return { complete: false, reason: 'overlap' };
  }
  if (fresh.at(-1)!.next) return { complete: false, reason: 'no_last_page' };
  const records = fresh.reduce((sum, page) => sum + page.count, 0);
  if (fresh.some((page) => typeof page.total === 'number' && page.total !== records)) return { complete: false, reason: 'totals_disagree' };
  return { complete: true, pages: fresh };
}

/** One page capture as the run memory needs it. */
export interface PageSighting {
  connectionId: string;
  pageUrl: string;
  paging: PagedListPosition;
  observations: Observation[];
  coverage: readonly CoverageClaim[];
  contentHash: string;
  seenAt: string;
  /** False when some record of the page could not be stored (failed validation): the page then joins no run. */
  fit?: boolean;
}

/** A complete run, ready to be applied as one batch. */
export interface AssembledRun {
  connectionId: string;
  list: string;
  start: string;
  end: string;
  pages: RunPage[];
  streams: string[];
  observations: Observation[];
  /** The earliest page's capture time: the run vouches for nothing newer. */
  dataAsOf: string;
  /** Records of the list's first stream on all pages (orders). */
  records: number;
  signature: string;
}

export interface RecordedSighting {
  verdict: RunVerdict;
  /** Present when the run is complete and differs from the last run applied. */
  run?: AssembledRun;
}

export interface PageRuns {
  record(sighting: PageSighting): Promise<RecordedSighting>;
  /** Remembers that `run` was applied, so the same pages seen again claim nothing new. */
  claimed(run: AssembledRun): Promise<void>;
}

export function pageRunArea(): StorageAreaLike {
  return (browser?.storage?.session as unknown as StorageAreaLike | undefined) ?? memoryArea();
}

function runKey(connectionId: string, list: string): string {
  return `${PAGE_RUN_PREFIX}${connectionId}|${list}`;
}

function signatureOf(pages: readonly RunPage[]): string {
  return pages.map((page) => `${page.offset}:${page.hash}`).join(',');
}

/** The run memory over a storage area (`browser.storage.session` in the extension, memory in tests). Calls are serialised. */
export function createPageRuns(area: StorageAreaLike = pageRunArea(), spanMs = PAGE_RUN_SPAN_MS): PageRuns {
  let queue: Promise<unknown> = Promise.resolve();
  const serial = <T>(task: () => Promise<T>): Promise<T> => {
    const next = queue.then(task, task);
    queue = next.catch(() => undefined);
    return next;
  };
  const read = async <T>(key: string): Promise<T | undefined> => (await area.get(key))[key] as T | undefined;
  const remove = async (keys: string[]) => {
    if (keys.length) await area.remove?.(keys);
  };

  /** Forgets every run none of whose pages is fresh any more (so session storage holds only the last hour's pages). */
  const pruneStale = async (since: string, keep: string) => {
    const registry = (await read<string[]>(REGISTRY_KEY)) ?? [];
    const kept: string[] = [];
    for (const key of registry) {
      if (key === keep) continue;
      const state = await read<RunState>(key);
      if (state?.pages.some((page) => page.seenAt >= since)) kept.push(key);
      else await remove([key, ...(state?.pages ?? []).map((page) => `${key}|${page.offset}`)]);
    }
    await area.set({ [REGISTRY_KEY]: [...kept, keep] });
  };

  return {
    record: (sighting) =>
      serial(async () => {
        const { paging } = sighting;
        const key = runKey(sighting.connectionId, paging.list);
        const since = new Date(Date.parse(sighting.seenAt) - spanMs).toISOString();
        let state = await read<RunState>(key);
        if (!state || state.start !== paging.start || state.end !== paging.end) {
          await remove((state?.pages ?? []).map((page) => `${key}|${page.offset}`));
          state = { start: paging.start, end: paging.end, pages: [] };
        }
        // Stale pages and an earlier sighting of this same page give way.
        const gone = state.pages.filter((page) => page.seenAt < since || page.offset === paging.offset);
        await remove(gone.filter((page) => page.offset !== paging.offset).map((page) => `${key}|${page.offset}`));
        const pages = state.pages.filter((page) => !gone.includes(page));
        const held = pages.reduce((sum, page) => sum + page.observations, 0);
        let tooLarge = false;
        if (sighting.fit === false) {
          await remove([`${key}|${paging.offset}`]);
        } else if (pages.length + 1 > PAGE_RUN_LIMITS.pages || held + sighting.observations.length > PAGE_RUN_LIMITS.observations) {
          tooLarge = true;
          await remove([`${key}|${paging.offset}`]);
        } else {
          pages.push({
            offset: paging.offset,
            count: paging.count,
            next: paging.next,
            ...(typeof paging.total === 'number' ? { total: paging.total } : {}),
            seenAt: sighting.seenAt,
            pageUrl: sighting.pageUrl,
            streams: [...new Set(sighting.coverage.map((claim) => claim.stream))],
            hash: sighting.contentHash,
            observations: sighting.observations.length,
          });
          await area.set({ [`${key}|${paging.offset}`]: sighting.observations });
        }
        state = { ...state, pages: pages.sort((a, b) => a.offset - b.offset) };
        await area.set({ [key]: state });
        await pruneStale(since, key);

        const verdict: RunVerdict = tooLarge ? { complete: false, reason: 'too_large' } : judgeRun(state.pages, sighting.seenAt, spanMs);
        if (!verdict.complete) return { verdict };
        const signature = signatureOf(verdict.pages);
        if (state.claimed === signature) return { verdict };
        const observations: Observation[] = [];
        for (const page of verdict.pages) observations.push(...((await read<Observation[]>(`${key}|${page.offset}`)) ?? []));
        const run: AssembledRun = {
          connectionId: sighting.connectionId,
          list: paging.list,
          start: state.start,
          end: state.end,
          pages: verdict.pages,
          streams: [...new Set(verdict.pages.flatMap((page) => page.streams))],
          observations,
          dataAsOf: verdict.pages.reduce((min, page) => (page.seenAt < min ? page.seenAt : min), verdict.pages[0]!.seenAt),
          records: verdict.pages.reduce((sum, page) => sum + page.count, 0),
          signature,
        };
        return { verdict, run };
      }),

    claimed: (run) =>
      serial(async () => {
        const key = runKey(run.connectionId, run.list);
        const state = await read<RunState>(key);
        if (state) await area.set({ [key]: { ...state, claimed: run.signature } });
      }),
  };
}

/** The run in the connector's words: its window, its first stream's records and noun, its pages and what the service calls them. */
export function runInWords(connector: ConnectorDefinition, run: AssembledRun): PagesRun {
  const first = connector.streams.find((stream) => run.streams.includes(stream.name))?.name ?? run.streams[0] ?? '';
  const noun = connector.ownerCopy?.streamNouns?.[first] ?? { one: 'record', other: 'records' };
  const pagesName = connector.ownerCopy?.acquisitionPaths.find((path) => path.method === 'browser_polyfill')?.pagesName;
  return { start: run.start, end: run.end, records: run.records, pages: run.pages.length, noun, ...(pagesName ? { pagesName } : {}) };
}

/** The run's meaning in the connector's words ("All of 2024: 43 orders on 5 pages of Your Orders, seen within an hour"). */
export function runEvidence(connector: ConnectorDefinition, run: AssembledRun): string {
  return pagesTogetherInWords({ ...runInWords(connector, run), spanWords: PAGE_RUN_SPAN_WORDS }).slice(0, 300);
}

/**
 * Records one page capture's sighting and, when it completes a run, applies the
 * run as one batch of the pages' method with a `full` claim per stream over
 * the list's window. Returns that batch's receipt, or undefined.
 *
 * The completing page was already applied as its own batch, and the run batch
 * observes its records again. Both are needed: one batch has one `dataAsOf`,
 * and the page's records are as of now (M4: newest wins) while the run
 * vouches only for its earliest page's time (M6); and the run batch must
 * observe every record it holds, or its full claim would hide them. The second
 * observation changes nothing: an identical observation only adds the run's
 * batch id to the record's version (no new version, no change-feed row, no
 * tally change), so the run's receipt counts them "already known" and the
 * feed gets only its receipt row and the deletes of records it marked gone
 * (pinned in test/unit/background/full-year-capture.test.ts).
 */
export async function applyCompletedRun(
  db: GleanerDatabase,
  connector: ConnectorDefinition,
  runs: PageRuns,
  sighting: PageSighting & { extractorVersion: string },
): Promise<{ receipt: BatchReceipt; run: AssembledRun; claims: CoverageClaim[]; words: PagesRun } | undefined> {
  const { run } = await runs.record(sighting);
  if (!run) return undefined;
  const evidence = runEvidence(connector, run);
  const claims: CoverageClaim[] = run.streams.map((stream) => ({ stream, start: run.start, end: run.end, completeness: 'full', evidence }));
  const receipt = await applyBatch(db, {
    connectionId: run.connectionId,
    connectorKey: connector.key,
    streams: connector.streams,
    method: 'browser_polyfill',
    provenance: { kind: 'page', pageUrl: run.pages[0]!.pageUrl, capturedAt: sighting.seenAt, extractorVersion: sighting.extractorVersion },
    coverage: claims,
    observations: run.observations,
    dataAsOf: run.dataAsOf,
  });
  await runs.claimed(run);
  return { receipt, run, claims, words: runInWords(connector, run) };
}
