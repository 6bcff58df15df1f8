/**
 * The files of an X archive and how to read them: which file holds what
 * (by path inside the zip, or by the `window.YTD.<name>` it assigns when an
 * owner uploads one file bare), the manifest (`data/manifest.js`, an object
 * assigned to `window.__THAR_CONFIG`) that names every part, and a streamed
 * reader of one `window.YTD.<name>.partN = [ … ]` file.
 */
import { ArtifactError } from '../../artifacts/errors';
import { JsonArrayReader } from '../../artifacts/json-array';
import type { ArtifactLimits } from '../../artifacts/limits';
import type { StreamFile } from '../../artifacts/streaming';
import { decodeText } from '../../artifacts/text';

export type ArchiveFileKind = 'manifest' | 'account' | 'tweets' | 'notes' | 'deleted' | 'other';

/** The archive files Gleaner reads, by their path inside the zip (`data/tweets-part1.js`, older `data/tweet.js`). */
export const X_ARCHIVE_PATH_RE = /(^|\/)data\/(manifest|account|tweets?(-part\d+)?|note-tweet(-part\d+)?|deleted-tweets?(-part\d+)?)\.js$/i;

const BY_GLOBAL: Record<string, ArchiveFileKind> = { tweets: 'tweets', tweet: 'tweets', note_tweet: 'notes', deleted_tweets: 'deleted', deleted_tweet: 'deleted', account: 'account' };

/** What a file holds, by its path inside the archive. */
export function kindByPath(path: string): ArchiveFileKind | undefined {
  const m = X_ARCHIVE_PATH_RE.exec(path);
  if (!m) return undefined;
  const name = m[2]!.toLowerCase();
  if (name === 'manifest') return 'manifest';
  if (name === 'account') return 'account';
  if (name.startsWith('note-tweet')) return 'notes';
  if (name.startsWith('deleted')) return 'deleted';
  return 'tweets';
}

/** `window.YTD.<name>.partN = [` → `<name>`; `window.__THAR_CONFIG = {` → `__THAR_CONFIG`. */
export function globalNameOf(head: string): string | undefined {
  const m = /^\s*(?:window\.)?(?:YTD\.(\w+)\.part\d+|(__THAR_CONFIG))\s*=\s*[[{]/.exec(head.replace(/^\uFEFF/, ''));
  return m ? (m[1] ?? m[2]) : undefined;
}

/** What a file holds, by the global it assigns (for a file uploaded bare, whatever its name). */
export function kindByGlobal(name: string | undefined): ArchiveFileKind | undefined {
  if (!name) return undefined;
  if (name === '__THAR_CONFIG') return 'manifest';
  return BY_GLOBAL[name] ?? 'other';
}

/** The first characters of a file (to see which global it assigns). */
export async function headOf(file: StreamFile, chars = 256): Promise<string> {
  let head = '';
  const text = decodeText(file.bytes());
  for await (const chunk of text.chunks) {
    head += chunk;
    if (head.length >= chars) break;
  }
  return head.slice(0, chars);
}

/** Every element of one `window.YTD.<name>.partN = [ … ]` file, streamed. */
export async function* archiveElements(file: StreamFile, limits: ArtifactLimits, onInvalid: () => void): AsyncGenerator<unknown> {
  const reader = new JsonArrayReader({ allowJsPrefix: true, maxDepth: limits.maxJsonDepth, maxElementChars: limits.maxLineChars * 4 });
  const text = decodeText(file.bytes());
  let invalid = 0;
  const drain = function* (elements: unknown[]) {
    if (reader.invalid > invalid) {
      for (; invalid < reader.invalid; invalid++) onInvalid();
    }
    yield* elements;
  };
  for await (const chunk of text.chunks) yield* drain(reader.push(chunk));
  yield* drain(reader.end());
}

/** One part file the manifest names. */
export interface ManifestFile {
  fileName: string;
  count?: number;
}

export interface ArchiveManifest {
  accountId?: string;
  userName?: string;
  /** Part files per kind, as the manifest lists them. */
  files: Partial<Record<ArchiveFileKind, ManifestFile[]>>;
}

const MANIFEST_TYPES: Record<string, ArchiveFileKind> = { tweets: 'tweets', tweet: 'tweets', noteTweet: 'notes', deletedTweets: 'deleted', account: 'account' };
const MAX_MANIFEST_CHARS = 4 * 1024 * 1024;

/** Reads `data/manifest.js` whole (it is small); an unreadable manifest is an error the caller turns into a warning. */
export async function readManifest(file: StreamFile): Promise<ArchiveManifest> {
  let text = '';
  const decoded = decodeText(file.bytes());
  for await (const chunk of decoded.chunks) {
    text += chunk;
    if (text.length > MAX_MANIFEST_CHARS) throw new ArtifactError('line_too_long', 'The archive’s manifest is far larger than X writes one.');
  }
  const open = text.indexOf('{');
  if (open === -1) throw new ArtifactError('unknown_format', 'The archive’s manifest holds no settings.');
  const body = text.slice(open).trim().replace(/;\s*$/, '');
  const config = JSON.parse(body) as {
    userInfo?: { accountId?: unknown; userName?: unknown };
    dataTypes?: Record<string, { files?: { fileName?: unknown; count?: unknown }[] }>;
  };
  const files: ArchiveManifest['files'] = {};
  for (const [type, kind] of Object.entries(MANIFEST_TYPES)) {
    const listed = config.dataTypes?.[type]?.files;
    if (!Array.isArray(listed)) continue;
    files[kind] = listed
      .filter((entry) => typeof entry?.fileName === 'string')
      .map((entry) => ({ fileName: entry.fileName as string, count: typeof entry.count === 'string' && /^\d+$/.test(entry.count) ? Number(entry.count) : undefined }));
  }
  const accountId = typeof config.userInfo?.accountId === 'string' && /^\d{1,20}$/.test(config.userInfo.accountId) ? config.userInfo.accountId : undefined;
  const userName = typeof config.userInfo?.userName === 'string' && /^\w{1,15}$/.test(config.userInfo.userName) ? config.userInfo.userName : undefined;
  return { accountId, userName, files };
}

/** Does a zip path end with the manifest's `fileName` (`data/tweets-part1.js`), wherever the archive's folder sits? */
export function samePath(path: string, fileName: string): boolean {
  const a = path.replace(/\\/g, '/').toLowerCase();
  const b = fileName.replace(/\\/g, '/').replace(/^\.?\//, '').toLowerCase();
  return a === b || a.endsWith(`/${b}`);
}
