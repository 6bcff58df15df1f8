/**
 * Parses the X archive zip ("Download an archive of your data"): the manifest
 * (`data/manifest.js`) names every part, `data/account.js` whose archive it
 * is, `data/note-tweet.js` the whole text of long posts, `data/tweets.js`
 * (`tweets-part1.js`, …; older archives `tweet.js`) the posts, and
 * `data/deleted-tweets.js` the posts the owner deleted. One file uploaded bare
 * is read by the global it assigns (`window.YTD.tweets.part0`), whatever its
 * name; it carries no account, so the owner picks it.
 *
 * Streaming: every part is read element by element (JsonArrayReader) and
 * emitted in chunks of `chunkRows` posts. Held in memory: the notes (long
 * posts' texts, few) and the ids seen (to count a post repeated across parts
 * once). Reposts of other people's posts are skipped and counted. Coverage is
 * always `partial`: an archive is never claimed complete.
 */
import type { AccountHint, BatchWarning, CoverageClaim, Observation } from '../../core/model';
import type { ArtifactFile, ArtifactParseResult } from '../types';
import type { ChunkedArtifactParser, ParsedChunk, ParseSummary, StreamFile } from '../../artifacts/streaming';
import { ARTIFACT_LIMITS } from '../../artifacts/limits';
import { archiveElements, globalNameOf, headOf, kindByGlobal, kindByPath, readManifest, samePath, X_ARCHIVE_PATH_RE, type ArchiveFileKind, type ArchiveManifest } from './archive-files';
import { buildTweet, NoteIndex } from './tweet-record';
import { X_ID_RE, xAccountHint } from './util';

const MAX_WARNINGS_PER_CODE = 20;

/** Counts and warnings of one upload, taken chunk by chunk. */
class Tally {
  readonly warnings: BatchWarning[] = [];
  private readonly perCode = new Map<string, number>();
  rowsRead = 0;
  skipped = 0;
  duplicates = 0;
  failed = 0;
  posts = 0;
  start = '';
  end = '';
  private mark = { rowsRead: 0, skipped: 0, duplicates: 0, failed: 0, warnings: 0 };

  warn(warning: BatchWarning): void {
    const n = (this.perCode.get(warning.code) ?? 0) + 1;
    this.perCode.set(warning.code, n);
    if (n <= MAX_WARNINGS_PER_CODE) this.warnings.push({ ...warning, message: warning.message.slice(0, 500) });
  }

  overflow(): BatchWarning[] {
    return [...this.perCode].filter(([, n]) => n > MAX_WARNINGS_PER_CODE).map(([code, n]) => ({ code, message: `${n - MAX_WARNINGS_PER_CODE} more "${code}" warnings were not listed.` }));
  }

  take(observations: Observation[]): ParsedChunk {
    const chunk: ParsedChunk = {
      observations,
      continuations: 0,
      rowsRead: this.rowsRead - this.mark.rowsRead,
      skipped: this.skipped - this.mark.skipped,
      duplicates: this.duplicates - this.mark.duplicates,
      failed: this.failed - this.mark.failed,
      warnings: this.warnings.slice(this.mark.warnings),
    };
    this.mark = { rowsRead: this.rowsRead, skipped: this.skipped, duplicates: this.duplicates, failed: this.failed, warnings: this.warnings.length };
    return chunk;
  }
}

const nameOf = (path: string) => path.split(/[/\\]/).pop() ?? path;
const WHAT: Record<ArchiveFileKind, string> = { manifest: 'the list of its files', account: 'your account', tweets: 'your posts', notes: 'the text of your long posts', deleted: 'your deleted posts', other: 'other data' };

/** Each file's kind: by its path inside the zip, else by the global it assigns. */
async function classify(files: StreamFile[]): Promise<Map<ArchiveFileKind, StreamFile[]>> {
  const byKind = new Map<ArchiveFileKind, StreamFile[]>();
  for (const file of files) {
    const kind = kindByPath(file.path) ?? kindByGlobal(globalNameOf(await headOf(file))) ?? 'other';
    byKind.set(kind, [...(byKind.get(kind) ?? []), file]);
  }
  return byKind;
}

/** Parts in the manifest's order (then any it does not name); a part it names that the zip lacks is warned about. */
function ordered(kind: ArchiveFileKind, present: StreamFile[], manifest: ArchiveManifest | undefined, tally: Tally): StreamFile[] {
  const named = manifest?.files[kind] ?? [];
  const out: StreamFile[] = [];
  for (const entry of named) {
    const file = present.find((candidate) => samePath(candidate.path, entry.fileName));
    if (file) out.push(file);
    else tally.warn({ code: 'missing_part', message: `The archive’s manifest lists ${entry.fileName} (${WHAT[kind]}), but it is not in this upload: upload the whole archive zip as X delivered it.`, where: entry.fileName.slice(0, 200) });
  }
  const rest = present.filter((file) => !out.includes(file)).sort((a, b) => a.path.localeCompare(b.path, 'en', { numeric: true }));
  return [...out, ...rest];
}

async function* parseArchive(files: StreamFile[], chunkRows: number, limits = ARTIFACT_LIMITS): AsyncGenerator<ParsedChunk, ParseSummary> {
  const tally = new Tally();
  const entries: string[] = [];
  const byKind = await classify(files);
  let manifest: ArchiveManifest | undefined;
  for (const file of byKind.get('manifest') ?? []) {
    try {
      manifest = await readManifest(file);
      entries.push(file.path);
    } catch {
      tally.warn({ code: 'manifest_unreadable', message: 'The archive’s manifest (data/manifest.js) could not be read; Gleaner read the parts it found by name.', where: nameOf(file.path) });
    }
  }
  let accountId = manifest?.accountId;
  let username = manifest?.userName;
  for (const file of byKind.get('account') ?? []) {
    for await (const element of archiveElements(file, limits, () => undefined)) {
      const account = (element as { account?: { accountId?: unknown; username?: unknown } } | null)?.account;
      if (typeof account?.accountId === 'string' && X_ID_RE.test(account.accountId)) accountId = account.accountId;
      if (typeof account?.username === 'string' && /^\w{1,15}$/.test(account.username)) username = account.username;
    }
    if (accountId) entries.push(file.path);
  }
  const notes = new NoteIndex();
  for (const file of ordered('notes', byKind.get('notes') ?? [], manifest, tally)) {
    let invalid = 0;
    for await (const element of archiveElements(file, limits, () => invalid++)) if (!notes.add(element)) invalid++;
    if (invalid > 0) tally.warn({ code: 'note_unreadable', message: `${invalid} long-post text(s) could not be read; those posts keep the cut text.`, where: nameOf(file.path) });
    if (notes.size > 0 && !entries.includes(file.path)) entries.push(file.path);
  }
  for (const file of byKind.get('other') ?? []) {
    tally.warn({ code: 'not_posts_file', message: `“${nameOf(file.path)}” is part of an X archive but does not hold your posts: upload the whole archive zip, or data/tweets.js from it.`, where: nameOf(file.path) });
  }
  const postFiles = [...ordered('tweets', byKind.get('tweets') ?? [], manifest, tally), ...ordered('deleted', byKind.get('deleted') ?? [], manifest, tally)];
  if ((byKind.get('tweets') ?? []).length === 0 && (byKind.get('other') ?? []).length === 0) {
    tally.warn({ code: 'no_posts_file', message: 'This upload has no data/tweets.js (your posts): upload the whole archive zip as X delivered it, not only some of its files.' });
  }
  const seen = new Set<string>();
  let batch: Observation[] = [];
  for (const file of postFiles) {
    const deleted = byKind.get('deleted')?.includes(file) === true;
    const where = nameOf(file.path);
    let contributed = false;
    for await (const element of archiveElements(file, limits, () => {
      tally.rowsRead++;
      tally.failed++;
      tally.warn({ code: 'invalid_entry', message: 'An entry of this file is not valid JSON and was not imported.', where });
    })) {
      tally.rowsRead++;
      const built = buildTweet(element, notes, username, deleted);
      if (built.kind === 'repost') {
        tally.skipped++;
        tally.warn({ code: 'repost_skipped', message: 'A repost of someone else’s post is theirs, not yours; it was skipped.', where });
        continue;
      }
      if (built.kind === 'invalid') {
        tally.failed++;
        tally.warn({ code: 'post_unreadable', message: `An entry could not be read as a post (${built.reason}) and was not imported.`, where });
        continue;
      }
      const id = built.data.id as string;
      if (seen.has(id)) {
        tally.skipped++;
        tally.duplicates++;
        tally.warn({ code: 'duplicate_post', message: 'A post appears twice in the archive and was counted once.', where });
        continue;
      }
      seen.add(id);
      contributed = true;
      tally.posts++;
      const day = (built.data.created_at as string).slice(0, 10);
      if (!tally.start || day < tally.start) tally.start = day;
      if (!tally.end || day > tally.end) tally.end = day;
      batch.push({ stream: 'tweets', data: built.data });
      if (batch.length >= chunkRows) {
        yield tally.take(batch);
        batch = [];
      }
    }
    if (contributed) entries.push(file.path);
  }
  const last = tally.take(batch);
  last.warnings.push(...tally.overflow());
  if (last.observations.length > 0 || last.rowsRead > 0 || last.warnings.length > 0) yield last;
  const coverage: CoverageClaim[] = tally.start
    ? [{ stream: 'tweets', start: tally.start, end: tally.end, completeness: 'partial', evidence: `X archive: ${tally.posts} of your posts dated ${tally.start} to ${tally.end} (an archive is never claimed complete)` }]
    : [];
  const accountHint: AccountHint | undefined = accountId ? xAccountHint(accountId, username, 'data/account.js in your X archive') : undefined;
  return { coverage, entries, replacedCharacters: 0, ...(accountHint ? { accountHint } : {}) };
}

/** A bare uploaded file as a StreamFile (for the whole-text `parse`). */
function streamFileOf(file: ArtifactFile): StreamFile {
  const bytes = new TextEncoder().encode(file.text());
  return { path: file.path, sizeBytes: bytes.length, fingerprint: `size:${bytes.length}`, bytes: async function* () { yield bytes; } };
}

export const xArchiveParser: ChunkedArtifactParser = {
  id: 'x-archive',
  displayName: 'X archive (your posts)',
  claims(path: string): boolean {
    return X_ARCHIVE_PATH_RE.test(path);
  },

  sniff({ format, head }) {
    if (format !== 'js-array' && format !== 'text') return 0;
    const name = globalNameOf(head);
    const kind = kindByGlobal(name);
    if (kind === 'tweets' || kind === 'deleted') return 0.95;
    if (kind === 'manifest' || kind === 'account' || kind === 'notes') return 0.9;
    // Another file of the archive (likes, followers): claimed so the refusal can say what to upload instead.
    return kind === 'other' ? 0.6 : 0;
  },

  /** Whole-text parse (tests, small inputs): the streamed parse, run to the end. */
  parse(): ArtifactParseResult {
    throw new Error('The X archive parser reads files as streams: use parseChunks.');
  },

  parseChunks(files, { chunkRows, limits }) {
    return parseArchive(files, chunkRows, limits);
  },
};

/** Runs the streamed parse to the end over in-memory files (tests and tools). */
export async function parseXArchive(files: ArtifactFile[], chunkRows = 1000): Promise<ArtifactParseResult & { chunks: number }> {
  const generator = parseArchive(files.map(streamFileOf), chunkRows);
  const observations: Observation[] = [];
  const warnings: BatchWarning[] = [];
  let rowsRead = 0;
  let skipped = 0;
  let failed = 0;
  let chunks = 0;
  for (;;) {
    const step = await generator.next();
    if (step.done) {
      const summary = step.value;
      return { observations, coverage: summary.coverage, accountHint: summary.accountHint, warnings, rowsRead, skipped, failed, entries: summary.entries, chunks };
    }
    chunks++;
    observations.push(...step.value.observations);
    warnings.push(...step.value.warnings);
    rowsRead += step.value.rowsRead;
    skipped += step.value.skipped;
    failed += step.value.failed;
  }
}
