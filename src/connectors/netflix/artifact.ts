/**
 * Netflix's two exports:
 * - "Download all" on the Viewing activity page: `NetflixViewingHistory.csv`,
 *   exactly `Title,Date`, one profile, each title once at its latest viewing,
 *   dates in the owner's locale (`3/15/24`, `15/03/2024`, `15.03.24`, ISO in
 *   some). The day/month order is inferred per file from any row with a part
 *   above 12; a file where every date could be read both ways is refused.
 *   It names no profile: the owner picks or names it.
 * - The full account export (netflix.com/account/getmyinfo, a zip):
 *   `CONTENT_INTERACTION/ViewingActivity.csv`, every viewing of every profile,
 *   UTC start times (unmarked), durations, devices. Rows with a Supplemental
 *   Video Type (trailers, hooks, recaps, …) are not viewings and are skipped
 *   with a counted reason.
 * Coverage is always `partial`: a file cannot prove it is the whole history.
 */
import type { AccountHint, BatchWarning } from '../../core/model';
import type { ArtifactFile } from '../types';
import { ArtifactError } from '../../artifacts/errors';
import { parseCsv } from '../../artifacts/csv';
import type { ChunkedArtifactParser, ChunkOptions, StreamFile } from '../../artifacts/streaming';
import { columnsOf, parseStreamed, parseWhole, RowReader, scanColumn } from './csv-reader';
import { localDayOf } from '../../core/local-day';
import { cleanText, evidenceKey, needsOrder, orderEvidence, parseDay, parseDuration, parseStartTime, profileHint, type DateOrder } from './util';

export const VIEWING_HISTORY_PATH_RE = /(^|[/\\])NetflixViewingHistory(?: ?\(\d+\))?\.csv$/i;
export const VIEWING_ACTIVITY_PATH_RE = /(^|[/\\])(CONTENT_INTERACTION[/\\])?ViewingActivity(?: ?\(\d+\))?\.csv$/i;

function firstLine(head: string): string {
  return (head.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '').trim();
}

/** The refusal for a quick CSV whose every date reads both ways. */
export function ambiguousDatesRefusal(fileName: string): string {
  return `Every date in "${fileName}" could be day-first or month-first (like 3/4/24: March 4 or April 3?), so Gleaner cannot tell when you watched anything and saved nothing. Upload the file again once it holds a viewing dated after the 12th of a month, or request Netflix's full account export (netflix.com/account/getmyinfo), which has exact times.`;
}

class ViewingHistoryReader extends RowReader {
  private titleAt = 0;
  private dateAt = 1;

  constructor(private readonly order: DateOrder | null) {
    super();
  }

  protected readHeader(names: string[]): void {
    const column = columnsOf(names);
    this.titleAt = column('title');
    this.dateAt = column('date');
    if (this.titleAt === -1 || this.dateAt === -1) {
      throw new ArtifactError('unknown_format', `"${this.fileName}" has no Title and Date columns, so it is not Netflix's viewing history.`);
    }
  }

  protected readRow(cells: string[], where: string): Record<string, unknown> | null {
    const title = cleanText(cells[this.titleAt]);
    const raw = cleanText(cells[this.dateAt], 64);
    const day = raw ? parseDay(raw, this.order) : null;
    if (!title || !raw || !day) {
      this.failed++;
      this.warn({ code: 'unreadable_row', message: !title ? 'This row has no title and was not kept.' : 'This row’s date could not be read, so the row was not kept.', where });
      return null;
    }
    return { id: evidenceKey(['direct_history', title, day]), title, watched_on: day, watched_at_precision: 'day', watched_at_raw: raw, source_schema: 'direct_history' };
  }

  closingWarnings(): BatchWarning[] {
    return [];
  }

  accountHint(): AccountHint | undefined {
    return undefined;
  }

  protected coverageEvidence(): string {
    return 'Netflix’s viewing history download (each title once, at its latest viewing)';
  }
}

/** The file's day/month order: the first row that proves one; null when no row needs one. Refuses when rows need it and none proves it. */
function decideOrder(dates: Iterable<string> | null, fileName: string, state: { needs: boolean; order: DateOrder | null }): void {
  if (dates) for (const raw of dates) if (visit(raw, state)) break;
  if (state.needs && !state.order) throw new ArtifactError('ambiguous_dates', ambiguousDatesRefusal(fileName));
}

function visit(raw: string, state: { needs: boolean; order: DateOrder | null }): boolean {
  const value = raw.trim();
  state.order ??= orderEvidence(value);
  state.needs ||= needsOrder(value);
  return state.order !== null;
}

function dateColumn(headerCells: string[]): number {
  return headerCells.map((cell) => cell.replace(/^\uFEFF/, '').trim().toLowerCase()).indexOf('date');
}

export const netflixViewingHistoryParser: ChunkedArtifactParser = {
  id: 'netflix-viewing-history',
  displayName: 'Netflix viewing history (NetflixViewingHistory.csv)',
  claims: (path) => VIEWING_HISTORY_PATH_RE.test(path),
  sniff({ format, head }) {
    if (format !== 'csv' && format !== 'text') return 0;
    return /^"?Title"?,"?Date"?$/i.test(firstLine(head)) ? 0.95 : 0;
  },
  parse(files: ArtifactFile[]) {
    const state = { needs: false, order: null as DateOrder | null };
    for (const file of files) {
      const rows = parseCsv(file.text().replace(/^\uFEFF/, ''));
      const at = dateColumn(rows[0] ?? []);
      decideOrder(at === -1 ? null : rows.slice(1).map((row) => row[at] ?? ''), file.path.split(/[/\\]/).pop() ?? file.path, state);
    }
    return parseWhole(new ViewingHistoryReader(state.order), files);
  },
  async *parseChunks(files: StreamFile[], options: ChunkOptions) {
    const state = { needs: false, order: null as DateOrder | null };
    for (const file of files) {
      await scanColumn([file], 1, options.limits, (raw) => visit(raw, state));
      if (state.order) break;
    }
    decideOrder(null, files[0]?.path.split(/[/\\]/).pop() ?? 'This file', state);
    return yield* parseStreamed(new ViewingHistoryReader(state.order), files, options);
  },
};

const SUPPLEMENTAL_NOUNS: Record<string, string> = {
  TRAILER: 'trailers',
  HOOK: 'previews',
  RECAP: 'recaps',
  BUMPER: 'bumpers',
  TEASER_TRAILER: 'teasers',
  BONUS_VIDEO: 'bonus videos',
  TUTORIAL: 'tutorials',
  BIG_ROW: 'banner previews',
  PREVIEW: 'previews',
  PROMOTIONAL: 'promotions',
};

class ViewingActivityReader extends RowReader {
  private column: (name: string) => number = () => -1;
  private readonly profiles = new Map<string, string>();

  protected readHeader(names: string[]): void {
    // Real files have no "(UTC)" suffix; some tools add one.
    const clean = names.map((name) => name.replace(/\s*\(utc\)\s*$/, '').trim());
    this.column = columnsOf(clean);
    this.profileAt = this.column('profile name');
    if (this.column('start time') === -1 || this.column('title') === -1) {
      throw new ArtifactError('unknown_format', `"${this.fileName}" has no Start Time and Title columns, so it is not Netflix's viewing activity.`);
    }
  }

  private cell(cells: string[], name: string, max?: number): string | null {
    const at = this.column(name);
    return at === -1 ? null : cleanText(cells[at], max);
  }

  protected readRow(cells: string[], where: string): Record<string, unknown> | null {
    const kind = this.cell(cells, 'supplemental video type', 64);
    if (kind) {
      this.skipped++;
      const noun = SUPPLEMENTAL_NOUNS[kind.toUpperCase()] ?? 'extras';
      this.warn({ code: 'supplemental_video', message: `Trailers, previews, recaps and other extras (this row: ${noun}) are not viewings of a title and were skipped.`, where });
      return null;
    }
    const title = this.cell(cells, 'title');
    const raw = this.cell(cells, 'start time', 64);
    const instant = raw ? parseStartTime(raw) : null;
    if (!title || !instant) {
      this.failed++;
      this.warn({ code: 'unreadable_row', message: !title ? 'This row has no title and was not kept.' : 'This row’s start time could not be read, so the row was not kept.', where });
      return null;
    }
    const profile = this.cell(cells, 'profile name', 100);
    const device = this.cell(cells, 'device type', 200);
    const duration = parseDuration(this.cell(cells, 'duration', 32));
    if (profile) this.profiles.set(profile.normalize('NFKC').toLowerCase(), profile);
    const data: Record<string, unknown> = {
      id: evidenceKey(['full_export', profile, title, instant, device, duration]),
      title,
      watched_on: localDayOf(instant),
      watched_at: instant,
      watched_at_precision: 'instant',
      watched_at_raw: raw,
      source_schema: 'full_export',
    };
    if (profile) data.profile_name = profile;
    if (device) data.device_type = device;
    if (duration !== null) data.duration_seconds = duration;
    const country = this.cell(cells, 'country', 64);
    if (country) data.country = country;
    const attributes = this.cell(cells, 'attributes', 500);
    if (attributes) data.attributes = attributes;
    return data;
  }

  closingWarnings(): BatchWarning[] {
    return [];
  }

  /** A data row's profile: each profile's rows go to that profile's connection. */
  override routeOf(cells: string[]): AccountHint | undefined {
    const at = this.profileAt;
    const raw = at === -1 ? '' : (cells[at] ?? '');
    if (this.hints.has(raw)) return this.hints.get(raw);
    const name = cleanText(raw, 100);
    const hint = name ? profileHint(name, 'Profile Name column of the account export') : undefined;
    if (this.hints.size < 100) this.hints.set(raw, hint);
    return hint;
  }

  /** Profile hints by the raw cell (a handful of profiles, millions of rows). */
  private readonly hints = new Map<string, AccountHint | undefined>();
  private profileAt = -1;

  /** The profile, when the file holds exactly one. */
  accountHint(): AccountHint | undefined {
    if (this.profiles.size !== 1) return undefined;
    return profileHint([...this.profiles.values()][0]!, 'Profile Name column of the account export');
  }

  /** Every profile the file holds (name as first written). */
  profileNames(): string[] {
    return [...this.profiles.values()];
  }

  protected coverageEvidence(): string {
    return 'Netflix’s account export (every viewing up to the day it was requested)';
  }
}

export const netflixViewingActivityParser: ChunkedArtifactParser = {
  id: 'netflix-viewing-activity',
  displayName: 'Netflix account export (ViewingActivity.csv)',
  claims: (path) => VIEWING_ACTIVITY_PATH_RE.test(path),
  sniff({ format, head }) {
    if (format !== 'csv' && format !== 'text') return 0;
    const header = firstLine(head).toLowerCase();
    return header.includes('profile name') && header.includes('start time') && header.includes('title') ? 0.95 : 0;
  },
  parse: (files) => parseWhole(new ViewingActivityReader(), files),
  parseChunks: (files, options) => parseStreamed(new ViewingActivityReader(), files, options),
};
