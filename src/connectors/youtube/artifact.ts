/**
 * Parses Google Takeout's YouTube watch history,
 * `Takeout/YouTube and YouTube Music/history/watch-history.json` (inside one
 * of the Takeout zips, or uploaded alone), as a stream: the JSON array is cut
 * into elements as text arrives (src/artifacts/json-array.ts), so memory is
 * bounded by a chunk, not the file.
 *
 * The HTML variant (`watch-history.html`) is claimed too, only so that it is
 * refused with what to do (open-artifact sees HTML and refuses it with
 * `htmlExportHint`) instead of being called another service's file.
 *
 * Ads, removed videos, entries without a time and entries that are not videos
 * are skipped and counted by reason. Takeout names no account: the owner picks
 * or names the connection. Coverage is `partial`: a Takeout can be limited to
 * a date range, and Gleaner never tombstones from a file.
 */
import type { BatchWarning, CoverageClaim, Observation } from '../../core/model';
import type { ArtifactFile, ArtifactParseResult } from '../types';
import { JsonArrayReader } from '../../artifacts/json-array';
import { decodeText } from '../../artifacts/text';
import type { ChunkedArtifactParser, ParsedChunk, ParseSummary } from '../../artifacts/streaming';
import { learnAffix, readEntry, skipMessage, type SkipReason, type TitleAffix } from './takeout-entry';

/** `watch-history.json` (or `.html`), in its Takeout folder or bare, also a browser's `watch-history (1).json`. */
export const WATCH_HISTORY_PATH_RE = /(^|[/\\])watch-history(?: ?\(\d+\))?\.(json|html?)$/i;
/** Entries looked at before the file's "Watched" wording is settled. */
const LEARN_ENTRIES = 50;
const RECENT_IDS = 5000;
const MAX_WARNINGS_PER_CODE = 20;

class WatchHistoryReader {
  rowsRead = 0;
  skipped = 0;
  duplicates = 0;
  failed = 0;
  readonly warnings: BatchWarning[] = [];
  readonly entries: string[] = [];
  private readonly skips = new Map<SkipReason, number>();
  private readonly warnCounts = new Map<string, number>();
  private pending: unknown[] = [];
  private affix: TitleAffix | undefined;
  private learned = false;
  private out: Observation[] = [];
  private readonly recent = new Set<string>();
  private min = '';
  private max = '';
  watches = 0;

  beginFile(path: string): void {
    this.entries.push(path);
  }

  add(element: unknown): void {
    if (this.learned) return this.take(element);
    this.pending.push(element);
    if (this.pending.length >= LEARN_ENTRIES) this.settle();
  }

  /** Learns the wording from the entries held back, then reads them. */
  settle(): void {
    if (this.learned) return;
    this.learned = true;
    const titles = this.pending
      .map((element) => (element && typeof element === 'object' ? (element as { title?: unknown; titleUrl?: unknown }) : {}))
      .filter((entry) => typeof entry.titleUrl === 'string' && typeof entry.title === 'string')
      .map((entry) => entry.title as string);
    this.affix = learnAffix(titles);
    const held = this.pending;
    this.pending = [];
    for (const element of held) this.take(element);
  }

  private take(element: unknown): void {
    this.rowsRead++;
    const result = readEntry(element, this.affix);
    if (result.kind === 'skip') {
      this.skipped++;
      this.skips.set(result.reason, (this.skips.get(result.reason) ?? 0) + 1);
      return;
    }
    if (result.kind === 'fail') {
      this.failed++;
      this.warn({ code: result.code, message: result.message });
      return;
    }
    const id = result.data.id as string;
    if (this.recent.has(id)) {
      this.skipped++;
      this.duplicates++;
      return;
    }
    this.recent.add(id);
    if (this.recent.size > RECENT_IDS) this.recent.delete(this.recent.values().next().value!);
    const at = result.data.watched_at as string;
    if (!this.min || at < this.min) this.min = at;
    if (!this.max || at > this.max) this.max = at;
    this.watches++;
    this.out.push({ stream: 'youtube_watch_history', data: result.data });
  }

  warn(warning: BatchWarning): void {
    const n = (this.warnCounts.get(warning.code) ?? 0) + 1;
    this.warnCounts.set(warning.code, n);
    if (n <= MAX_WARNINGS_PER_CODE) this.warnings.push(warning);
  }

  pendingCount(): number {
    return this.out.length;
  }

  flush(): Observation[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  /** One warning per skip reason, with its count, plus overflow notes. */
  closingWarnings(): BatchWarning[] {
    const out: BatchWarning[] = [...this.skips].map(([reason, count]) => ({ code: `skipped_${reason}`, message: skipMessage(reason, count) }));
    for (const [code, n] of this.warnCounts) {
      if (n > MAX_WARNINGS_PER_CODE) out.push({ code, message: `${n - MAX_WARNINGS_PER_CODE} more "${code}" warnings were not listed.` });
    }
    return out;
  }

  coverage(): CoverageClaim[] {
    if (!this.min) return [];
    return [{ stream: 'youtube_watch_history', start: this.min, end: this.max, completeness: 'partial', evidence: `Google Takeout watch history: ${this.watches} viewings (an export is never claimed complete)` }];
  }
}

function jsonFiles<T extends { path: string }>(files: readonly T[]): T[] {
  return [...files].filter((file) => /\.json$/i.test(file.path) && WATCH_HISTORY_PATH_RE.test(file.path)).sort((a, b) => a.path.localeCompare(b.path));
}

function newReader(): JsonArrayReader {
  return new JsonArrayReader({ maxDepth: 16, maxElementChars: 1024 * 1024 });
}

export const youtubeWatchHistoryParser: ChunkedArtifactParser = {
  id: 'youtube-takeout-watch-history',
  displayName: 'YouTube watch history (Google Takeout, JSON)',
  claims(path: string): boolean {
    return WATCH_HISTORY_PATH_RE.test(path);
  },

  sniff({ path, format, head }) {
    if (format !== 'json') return 0;
    const watchUrl = /"titleUrl"\s*:\s*"https?:\/\/(?:www\.|music\.)?youtube\.com\/watch\?v(?:=|\\u003d)/.test(head);
    const youtube = /"header"\s*:\s*"YouTube/.test(head);
    if (watchUrl && youtube && /"time"\s*:/.test(head)) return 0.95;
    if (watchUrl) return 0.8;
    if (youtube && /"time"\s*:/.test(head)) return WATCH_HISTORY_PATH_RE.test(path) ? 0.7 : 0.4;
    // An empty history ("[]") is still this file when it is named so.
    return /^\s*\[\s*\]\s*$/.test(head) && WATCH_HISTORY_PATH_RE.test(path) ? 0.6 : 0;
  },

  /** Whole-text parse of small inputs (tests, legacy callers). */
  parse(files: ArtifactFile[]): ArtifactParseResult {
    const reader = new WatchHistoryReader();
    for (const file of jsonFiles(files)) {
      reader.beginFile(file.path);
      const json = newReader();
      for (const element of json.push(file.text().replace(/^\uFEFF/, ''))) reader.add(element);
      for (const element of json.end()) reader.add(element);
      if (json.invalid) reader.warn({ code: 'invalid_entry', message: `${json.invalid} element(s) of the list were not valid JSON and were skipped.` });
    }
    reader.settle();
    return {
      observations: reader.flush(),
      coverage: reader.coverage(),
      warnings: [...reader.warnings, ...reader.closingWarnings()],
      rowsRead: reader.rowsRead,
      skipped: reader.skipped,
      failed: reader.failed,
      entries: reader.entries,
    };
  },

  async *parseChunks(files, { chunkRows, limits }): AsyncGenerator<ParsedChunk, ParseSummary> {
    const reader = new WatchHistoryReader();
    let replaced = 0;
    let invalid = 0;
    let mark = { rowsRead: 0, skipped: 0, duplicates: 0, failed: 0, warnings: 0 };
    const take = (): ParsedChunk => {
      const chunk: ParsedChunk = {
        observations: reader.flush(),
        continuations: 0,
        rowsRead: reader.rowsRead - mark.rowsRead,
        skipped: reader.skipped - mark.skipped,
        duplicates: reader.duplicates - mark.duplicates,
        failed: reader.failed - mark.failed,
        warnings: reader.warnings.slice(mark.warnings),
      };
      mark = { rowsRead: reader.rowsRead, skipped: reader.skipped, duplicates: reader.duplicates, failed: reader.failed, warnings: reader.warnings.length };
      return chunk;
    };
    for (const file of jsonFiles(files)) {
      reader.beginFile(file.path);
      const json = new JsonArrayReader({ maxDepth: Math.min(16, limits.maxJsonDepth), maxElementChars: limits.maxLineChars });
      const text = decodeText(file.bytes());
      for await (const piece of text.chunks) {
        for (const element of json.push(piece)) reader.add(element);
        if (reader.pendingCount() >= chunkRows) yield take();
      }
      for (const element of json.end()) reader.add(element);
      invalid += json.invalid;
      replaced += text.replaced;
    }
    reader.settle();
    if (invalid > 0) {
      reader.failed += invalid;
      reader.rowsRead += invalid;
      reader.warn({ code: 'invalid_entry', message: `${invalid} element(s) of the list were not valid JSON and were skipped.` });
    }
    if (replaced > 0) reader.warn({ code: 'invalid_text', message: `${replaced} character(s) in this file were not valid text and were replaced; the rest was read normally.` });
    const last = take();
    last.warnings.push(...reader.closingWarnings());
    if (last.observations.length > 0 || last.rowsRead > 0 || last.warnings.length > 0) yield last;
    return { coverage: reader.coverage(), entries: reader.entries, replacedCharacters: replaced };
  },
};
