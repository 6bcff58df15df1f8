/**
 * Artifact identity by content. An upload is a wrapper (a zip, or nothing)
 * around the files a parser reads: the bare `Retail.OrderHistory.1.csv`, the
 * zip Amazon sent, and a re-zipped copy under another name all hold the same
 * file. Each file the parser reads is fingerprinted (sha256 of its bytes as
 * the parser reads them: inflated, for a zip entry) while it is streamed, so
 * no read of its own is needed; the receipt keeps the fingerprints and sizes
 * (`AcquisitionBatch.entrySha256s`, `entrySizes`). An upload whose files were
 * all imported before into a connection (committed receipts) is answered with
 * the original receipt, whatever wraps them (M7). One file more, and it is a
 * normal import.
 *
 * When: the same bytes need the same size, so an upload with a file whose size
 * no committed receipt holds cannot be all known. Only an upload whose every
 * file has a known size is fingerprinted during its preview (and answered
 * there); any other is fingerprinted during its commit, which reads every file
 * anyway, and the receipt records them at the end. A new export's preview
 * hashes nothing, as before.
 */
import { createSHA256 } from 'hash-wasm';
import type { GleanerDatabase } from '../db/database';
import type { AcquisitionBatch } from '../core/model';
import type { StreamFile } from '../artifacts/streaming';
import type { EntryFingerprint } from './types';

/** How many entry fingerprints a receipt keeps (an upload with more can never be fully recognised: it imports normally). */
export const MAX_ENTRY_FINGERPRINTS = 1000;

/**
 * Wraps `files` so each one read to its end leaves its fingerprint in `sink`
 * (at the file's index). A read that stops early leaves none, so a partly
 * read file is never taken as known.
 */
export function fingerprinted(files: StreamFile[], sink: (EntryFingerprint | undefined)[]): StreamFile[] {
  return files.map((file, index) => ({
    ...file,
    async *bytes() {
      const hash = await createSHA256();
      let size = 0;
      for await (const chunk of file.bytes()) {
        hash.update(chunk);
        size += chunk.length;
        yield chunk;
      }
      sink[index] = { path: file.path, sha256: hash.digest('hex'), sizeBytes: size };
    },
  }));
}

/**
 * The fingerprints that identify an upload: every file read to its end, empty
 * ones left out (they hold no records). Undefined when a file was not read to
 * its end, or there are too many to keep: such an upload is never recognised.
 */
export function identifyingFingerprints(files: readonly StreamFile[], sink: readonly (EntryFingerprint | undefined)[]): EntryFingerprint[] | undefined {
  const read = files.map((_, index) => sink[index]);
  if (read.some((fingerprint) => !fingerprint)) return undefined;
  const kept = (read as EntryFingerprint[]).filter((fingerprint) => fingerprint.sizeBytes > 0);
  if (kept.length === 0 || new Set(kept.map((fingerprint) => fingerprint.sha256)).size > MAX_ENTRY_FINGERPRINTS) return undefined;
  return kept;
}

/** Reads every file to its end for its fingerprint alone (only for a copy committed after the preview, see the runner). */
export async function readFingerprints(files: StreamFile[], onBytes?: (n: number) => void): Promise<EntryFingerprint[] | undefined> {
  const sink: (EntryFingerprint | undefined)[] = [];
  for (const file of fingerprinted(files, sink)) {
    for await (const chunk of file.bytes()) onBytes?.(chunk.length);
  }
  return identifyingFingerprints(files, sink);
}

/** Distinct sha256s, in first-seen order. */
export function sha256sOf(fingerprints: readonly EntryFingerprint[] | undefined): string[] {
  return [...new Set((fingerprints ?? []).map((fingerprint) => fingerprint.sha256))];
}

/** What a receipt records: distinct fingerprints and their sizes, side by side. */
export function receiptEntries(fingerprints: readonly EntryFingerprint[] | undefined): { entrySha256s: string[]; entrySizes: number[] } | undefined {
  if (!fingerprints?.length) return undefined;
  const seen = new Map<string, number>();
  for (const fingerprint of fingerprints) if (!seen.has(fingerprint.sha256)) seen.set(fingerprint.sha256, fingerprint.sizeBytes);
  return { entrySha256s: [...seen.keys()], entrySizes: [...seen.values()] };
}

/** Committed artifact receipts of one connection, or of every connection of a connector. */
async function committedReceipts(db: GleanerDatabase, scope: { connectionId: string } | { connectorKey: string }): Promise<AcquisitionBatch[]> {
  // A capture has no artifactSha256, so is in neither index.
  const rows =
    'connectionId' in scope
      ? db.batches.where('[connectionId+artifactSha256]').between([scope.connectionId, ''], [scope.connectionId, '\uffff'], true, true)
      : db.batches.where('artifactSha256').above('').and((batch) => batch.connectorKey === scope.connectorKey);
  return rows.filter((batch) => batch.status === 'committed').toArray();
}

/**
 * Could every file of an upload have been imported before in `scope`? Only if
 * each (non-empty) one has the size of a file a committed receipt holds: its
 * entries', or its whole file's (which also covers receipts written before
 * entries were recorded).
 */
export async function mayAllBeKnown(db: GleanerDatabase, scope: { connectionId: string } | { connectorKey: string }, files: readonly StreamFile[]): Promise<boolean> {
  const sizes = files.map((file) => file.sizeBytes).filter((size) => size > 0);
  if (sizes.length === 0) return false;
  const known = new Set<number>();
  for (const batch of await committedReceipts(db, scope)) {
    for (const size of batch.entrySizes ?? []) known.add(size);
    if (batch.provenance.kind === 'artifact') known.add(batch.provenance.sizeBytes);
  }
  return sizes.every((size) => known.has(size));
}

/**
 * What a committed receipt vouches for: its entries' fingerprints, and its
 * whole file's (a bare file is its own one entry, which also covers receipts
 * written before entries were fingerprinted).
 */
function vouchedFor(batch: AcquisitionBatch): Set<string> {
  const known = new Set(batch.entrySha256s ?? []);
  if (batch.artifactSha256) known.add(batch.artifactSha256);
  return known;
}

/**
 * The original receipt for an upload whose files (`sha256s`) were all imported
 * before into `connectionId` by committed imports, one or several; undefined
 * when any file is new there. With several, the receipt that holds the most
 * of them (the earliest on a tie) is the one shown.
 */
export async function originalReceiptFor(db: GleanerDatabase, connectionId: string, sha256s: readonly string[]): Promise<AcquisitionBatch | undefined> {
  if (sha256s.length === 0) return undefined;
  const receipts = await committedReceipts(db, { connectionId });
  const missing = new Set(sha256s);
  let best: { batch: AcquisitionBatch; held: number } | undefined;
  for (const batch of receipts.sort((a, b) => a.receivedAt.localeCompare(b.receivedAt) || a.id.localeCompare(b.id))) {
    const known = vouchedFor(batch);
    const held = sha256s.filter((sha256) => known.has(sha256)).length;
    if (held === 0) continue;
    for (const sha256 of sha256s) if (known.has(sha256)) missing.delete(sha256);
    if (!best || held > best.held) best = { batch, held };
  }
  return missing.size === 0 ? best?.batch : undefined;
}
