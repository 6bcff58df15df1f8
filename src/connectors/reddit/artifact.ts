/**
 * Parses Reddit's data-request export (`export_<username>_<date>.zip`, or one of
 * its CSVs uploaded bare): `posts.csv`, `comments.csv`, `saved_posts.csv`,
 * `saved_comments.csv`, `post_votes.csv`, `comment_votes.csv`, `hidden_posts.csv`
 * and `statistics.csv`. The zip's other files (messages, IP logs, chat) are never
 * claimed, so never read.
 *
 * - Files are told apart by name and confirmed by their header (a renamed file is
 *   read by its header where the header says what it is); columns are read by
 *   name, so new columns (newer exports add gilding columns) change nothing.
 *   Bodies span lines; a BOM is dropped. The `ip` column is never read.
 * - Ids come bare; each file says whether they are posts (`t3_`) or comments (`t1_`).
 * - Saved, vote and hidden rows carry only an id and a permalink: their records
 *   have no date or title (never the import time) until a listing page fills them.
 *   The permalink still tells the community.
 * - A vote `none` (a vote taken back) is not an upvote: skipped and counted.
 * - `[removed]`/`[deleted]` bodies are not text: omitted.
 * - The "account name" row of `statistics.csv` is the account signal; nothing
 *   else of that file (email, dates) is kept.
 * - Coverage is always `partial` (an export is never claimed complete), over each
 *   stream's dated rows; undated streams claim no window.
 */
import type { AccountHint, BatchWarning, CoverageClaim, Observation } from '../../core/model';
import type { ArtifactFile, ArtifactParseResult } from '../types';
import { CsvTokenizer, parseCsv } from '../../artifacts/csv';
import { decodeText } from '../../artifacts/text';
import { ChunkCutter, type ChunkedArtifactParser, type ParsedChunk, type ParseSummary } from '../../artifacts/streaming';
import { accountHintFor, bodyText, canonicalPermalink, canonicalUrl, compact, domainOf, fullname, intOf, lineText, parseRedditTime, subredditName, threadOf, usernameOf } from './ids';

type FileKind = 'posts' | 'comments' | 'saved_posts' | 'saved_comments' | 'post_votes' | 'comment_votes' | 'hidden_posts' | 'statistics';
const FILE_KINDS: readonly FileKind[] = ['posts', 'comments', 'saved_posts', 'saved_comments', 'post_votes', 'comment_votes', 'hidden_posts', 'statistics'];

/** `posts.csv`, inside the zip's folder or bare, also a browser's `posts (1).csv`. */
const FILE_RE = /(?:^|[/\\])(posts|comments|saved_posts|saved_comments|post_votes|comment_votes|hidden_posts|statistics)(?: ?\(\d+\))?\.csv$/i;

const MAX_WARNINGS_PER_CODE = 20;

function kindByName(path: string): FileKind | null {
  const m = FILE_RE.exec(path);
  return m ? (m[1]!.toLowerCase() as FileKind) : null;
}

/** What a header says the file is (null: only the name can say). */
function kindByHeader(fields: string[]): FileKind | 'ids' | null {
  const has = (name: string) => fields.includes(name);
  if (has('statistic') && has('value')) return 'statistics';
  if (!has('id')) return null;
  if (has('title') && has('date')) return 'posts';
  if (has('parent') && has('body')) return 'comments';
  if (has('direction')) return 'post_votes';
  if (has('permalink')) return 'ids';
  return null;
}

const STREAM_WORDS: Record<string, string> = { submitted: 'posts', comments: 'comments', saved: 'saved items', upvoted: 'upvoted items', downvoted: 'downvoted items', hidden: 'hidden items' };

class ExportReader {
  readonly warnings: BatchWarning[] = [];
  private readonly warnCounts = new Map<string, number>();
  readonly entries: string[] = [];
  observations: Observation[] = [];
  rowsRead = 0;
  skipped = 0;
  failed = 0;
  accountHint: AccountHint | undefined;
  private readonly ranges = new Map<string, { start: string; end: string; count: number }>();
  private readonly counts = new Map<string, number>();
  // Per file.
  private path = '';
  private fileName = '';
  private nameKind: FileKind | null = null;
  private kind: FileKind | null = null;
  private header: Map<string, number> | null = null;
  private dataIndex = 0;
  private contributed = false;

  warn(w: BatchWarning): void {
    const n = (this.warnCounts.get(w.code) ?? 0) + 1;
    this.warnCounts.set(w.code, n);
    if (n <= MAX_WARNINGS_PER_CODE) this.warnings.push({ ...w, message: w.message.slice(0, 500) });
  }

  beginFile(path: string): void {
    this.endFile();
    this.path = path;
    this.fileName = path.split(/[/\\]/).pop() ?? path;
    this.nameKind = kindByName(path);
    this.kind = null;
    this.header = null;
    this.dataIndex = 0;
  }

  endFile(): void {
    if (this.contributed && !this.entries.includes(this.path)) this.entries.push(this.path);
    this.contributed = false;
  }

  private cell(row: string[], name: string): string | null {
    const index = this.header?.get(name);
    if (index === undefined) return null;
    const value = row[index];
    return value === undefined || value.trim() === '' ? null : value;
  }

  addRow(row: string[]): void {
    if (!this.header) {
      const fields = row.map((field) => field.replace(/^\uFEFF/, '').trim().toLowerCase());
      this.header = new Map();
      fields.forEach((field, index) => {
        if (!this.header!.has(field)) this.header!.set(field, index);
      });
      const byHeader = kindByHeader(fields);
      // The name decides between files of one shape (saved vs hidden); the header must agree with it.
      if (this.nameKind && (byHeader === this.nameKind || (byHeader === 'ids' && !['posts', 'comments', 'statistics'].includes(this.nameKind)) || (byHeader === 'post_votes' && this.nameKind === 'comment_votes'))) {
        this.kind = this.nameKind;
      } else if (byHeader && byHeader !== 'ids' && !this.nameKind) {
        this.kind = byHeader;
      } else {
        this.kind = null;
        this.warn(
          byHeader === 'ids' && !this.nameKind
            ? { code: 'unknown_file', message: `"${this.fileName}" is a list of Reddit ids, but only its name says whether they are saved or hidden posts or comments: upload the whole export zip, or the file under its own name (saved_posts.csv, hidden_posts.csv, …).`, where: this.fileName }
            : { code: 'unknown_file', message: `"${this.fileName}" does not have the columns of a Reddit export file Gleaner reads; it was skipped.`, where: this.fileName },
        );
      }
      return;
    }
    if (row.every((value) => value.trim() === '')) return;
    if (this.kind === 'statistics') {
      this.readStatistic(row);
      return;
    }
    const index = this.dataIndex++;
    this.rowsRead++;
    if (!this.kind) {
      this.failed++;
      return;
    }
    const where = `${this.fileName} row ${index + 1}`;
    const observation = this.readRow(this.kind, row, where);
    if (observation) {
      this.observations.push(observation);
      this.contributed = true;
      this.counts.set(observation.stream, (this.counts.get(observation.stream) ?? 0) + 1);
      const created = observation.data.created_utc as string | undefined;
      if (created) {
        const range = this.ranges.get(observation.stream);
        if (!range) this.ranges.set(observation.stream, { start: created, end: created, count: 1 });
        else {
          if (created < range.start) range.start = created;
          if (created > range.end) range.end = created;
          range.count++;
        }
      }
    }
  }

  private readStatistic(row: string[]): void {
    const name = (this.cell(row, 'statistic') ?? '').trim().toLowerCase();
    if (name !== 'account name') return;
    const username = usernameOf(this.cell(row, 'value'));
    if (username) {
      this.accountHint = accountHintFor(username, 'the "account name" in statistics.csv of the Reddit export');
      this.contributed = true;
    }
  }

  private readRow(kind: Exclude<FileKind, 'statistics'>, row: string[], where: string): Observation | null {
    const bare = this.cell(row, 'id');
    const permalinkRaw = this.cell(row, 'permalink');
    const thread = threadOf(permalinkRaw);
    // Posts or comments: the file says; a votes file read by its header alone asks the permalink.
    const itemKind: 't1' | 't3' = kind === 'comments' || kind === 'saved_comments' || kind === 'comment_votes' ? 't1' : kind === 'post_votes' && !this.nameKind && thread?.commentId ? 't1' : 't3';
    const id = fullname(bare, itemKind);
    if (!id) {
      this.failed++;
      this.warn({ code: 'bad_id', message: `Row ${where.split(' row ')[1]} has no Reddit id Gleaner can read and was not imported.`, where });
      return null;
    }
    const permalink = canonicalPermalink(permalinkRaw);
    const subreddit = subredditName(this.cell(row, 'subreddit')) ?? (thread ? subredditName(thread.subreddit) : null);
    if (kind === 'posts') {
      const created = this.dated(row, where);
      const url = canonicalUrl(this.cell(row, 'url'));
      const urlThread = threadOf(url);
      return {
        stream: 'submitted',
        data: compact({
          id,
          subreddit,
          title: lineText(this.cell(row, 'title')),
          permalink,
          url,
          domain: domainOf(url),
          selftext: bodyText(this.cell(row, 'body')),
          is_self: url ? urlThread?.postId === id.slice(3) && !urlThread.commentId : null,
          gilded: intOf(this.cell(row, 'gildings')),
          created_utc: created,
        }),
      };
    }
    if (kind === 'comments') {
      const created = this.dated(row, where);
      const parent = (this.cell(row, 'parent') ?? '').trim().toLowerCase();
      const parentId = /^t[1-6]_[a-z0-9]{1,13}$/.test(parent) ? parent : null;
      const linkThread = threadOf(this.cell(row, 'link')) ?? thread;
      return {
        stream: 'comments',
        data: compact({
          id,
          subreddit,
          body: bodyText(this.cell(row, 'body')),
          link_id: linkThread ? `t3_${linkThread.postId}` : null,
          parent_id: parentId,
          is_top_level: parentId ? parentId.startsWith('t3_') : null,
          permalink,
          gilded: intOf(this.cell(row, 'gildings')),
          created_utc: created,
        }),
      };
    }
    let stream: string;
    if (kind === 'post_votes' || kind === 'comment_votes') {
      const direction = (this.cell(row, 'direction') ?? '').trim().toLowerCase();
      if (direction !== 'up' && direction !== 'down') {
        this.skipped++;
        this.warn({
          code: direction === 'none' || direction === '' ? 'vote_none' : 'vote_unknown',
          message: direction === 'none' || direction === '' ? 'A vote of "none" (a vote taken back) is neither an upvote nor a downvote; it was not imported.' : `A vote with direction "${direction.slice(0, 20)}" was not imported.`,
          where,
        });
        return null;
      }
      stream = direction === 'up' ? 'upvoted' : 'downvoted';
    } else {
      stream = kind === 'hidden_posts' ? 'hidden' : 'saved';
    }
    return { stream, data: compact({ id, kind: itemKind, is_post: itemKind === 't3', subreddit, permalink }) };
  }

  private dated(row: string[], where: string): string | null {
    const raw = this.cell(row, 'date');
    const created = parseRedditTime(raw);
    if (!created) this.warn({ code: 'undated_row', message: raw ? `The date "${raw.slice(0, 40)}" could not be read; the record was kept without a date.` : 'This row has no date; the record was kept without a date.', where });
    return created;
  }

  take(): Observation[] {
    const out = this.observations;
    this.observations = [];
    return out;
  }

  coverage(): CoverageClaim[] {
    return [...this.ranges].map(([stream, range]) => ({
      stream,
      start: range.start,
      end: range.end,
      completeness: 'partial' as const,
      evidence: `Reddit data export: ${this.counts.get(stream) ?? range.count} ${STREAM_WORDS[stream] ?? stream}, dated ${range.start.slice(0, 10)} to ${range.end.slice(0, 10)} (an export is never claimed complete)`,
    }));
  }

  overflowWarnings(): BatchWarning[] {
    const out: BatchWarning[] = [];
    for (const [code, n] of this.warnCounts) {
      if (n > MAX_WARNINGS_PER_CODE) out.push({ code, message: `${n - MAX_WARNINGS_PER_CODE} more "${code}" warnings were not listed.` });
    }
    return out;
  }
}

const byPath = <T extends { path: string }>(files: readonly T[]) => [...files].sort((a, b) => a.path.localeCompare(b.path));

export const redditExportParser: ChunkedArtifactParser = {
  id: 'reddit-data-export',
  displayName: 'Reddit data export (CSV files)',
  claims(path: string): boolean {
    return FILE_RE.test(path);
  },

  sniff({ path, format, head }) {
    if (format !== 'csv' && format !== 'text') return 0;
    const fields = (head.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '').split(',').map((field) => field.replace(/"/g, '').trim().toLowerCase());
    const byHeader = kindByHeader(fields);
    if (!byHeader) return 0;
    const named = kindByName(path);
    // A renamed list of ids is still Reddit's: claimed, so the owner hears which file it needs to be.
    if (byHeader === 'ids') return named && named !== 'posts' && named !== 'comments' && named !== 'statistics' ? 0.9 : 0.6;
    return named ? 0.95 : 0.75;
  },

  parse(files: ArtifactFile[]): ArtifactParseResult {
    const reader = new ExportReader();
    for (const file of byPath(files)) {
      reader.beginFile(file.path);
      let text: string;
      try {
        text = file.text().replace(/^\uFEFF/, '');
      } catch {
        reader.warn({ code: 'unreadable_file', message: 'This file could not be read as text.', where: file.path });
        continue;
      }
      for (const row of parseCsv(text)) reader.addRow(row);
    }
    reader.endFile();
    return {
      observations: reader.take(),
      coverage: reader.coverage(),
      ...(reader.accountHint ? { accountHint: reader.accountHint } : {}),
      warnings: [...reader.warnings, ...reader.overflowWarnings()],
      rowsRead: reader.rowsRead,
      skipped: reader.skipped,
      failed: reader.failed,
      entries: reader.entries,
    };
  },

  async *parseChunks(files, { chunkRows, limits }): AsyncGenerator<ParsedChunk, ParseSummary> {
    const reader = new ExportReader();
    let replaced = 0;
    const cutter = new ChunkCutter(reader);
    const take = (): ParsedChunk => cutter.cut(reader.take());
    for (const file of byPath(files)) {
      reader.beginFile(file.path);
      const tokenizer = new CsvTokenizer(limits.maxLineChars);
      const text = decodeText(file.bytes());
      const handle = function* (rows: string[][]): Generator<ParsedChunk> {
        for (const row of rows) {
          reader.addRow(row);
          if (cutter.rowsPending >= chunkRows) yield take();
        }
      };
      for await (const chunk of text.chunks) yield* handle(tokenizer.push(chunk));
      yield* handle(tokenizer.end());
      replaced += text.replaced;
    }
    reader.endFile();
    if (replaced > 0) reader.warn({ code: 'invalid_text', message: `${replaced} character(s) in this export were not valid text and were replaced; the rest was read normally.` });
    const last = take();
    last.warnings.push(...reader.overflowWarnings());
    if (last.observations.length > 0 || last.rowsRead > 0 || last.warnings.length > 0) yield last;
    return { coverage: reader.coverage(), entries: reader.entries, ...(reader.accountHint ? { accountHint: reader.accountHint } : {}), replacedCharacters: replaced };
  },

  /** Two rows of one item in one upload (a file repeated, an item in two parts): the later's known values over the earlier's. */
  combine(_stream, earlier, later) {
    return { ...earlier, ...compact(later) };
  },
};

export { FILE_KINDS as REDDIT_EXPORT_FILES };
