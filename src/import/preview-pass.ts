/**
 * The preview pass of an import job (phase 2, see src/import/runner.ts): the
 * whole file read once, nothing stored. Tallies counts, keys known per
 * candidate connection, account evidence, routes (one upload, several
 * accounts) and probable overlap with page captures, then leaves the job
 * `ready` with its preview (or `already_imported` when its files were all
 * imported before into the suggested connection).
 */
import type { GleanerDatabase } from '../db/database';
import { ArtifactError } from '../artifacts/errors';
import type { ArtifactLimits } from '../artifacts/limits';
import { emptyFileRefusal } from '../artifacts/sniff';
import type { ByteSource } from '../artifacts/source';
import type { OpenedArtifact } from '../artifacts/open-artifact';
import type { ParseSummary } from '../artifacts/streaming';
import { fingerprinted, identifyingFingerprints, mayAllBeKnown, originalReceiptFor, sha256sOf } from './artifact-identity';
import { gapsOf, keyObservations, PreviewTally } from './preview';
import { knownKeys } from './known-keys';
import { AccountEvidenceTally } from './account-naming';
import { otherMethodKeys, probablyKept } from './probable-overlap';
import { RouteTally } from './routes';
import { bareFileFingerprint, counted, withSummary } from './reading';
import type { EntryFingerprint, ImportCandidate, ImportJobRow, ImportPreview, ImportSettings } from './types';

const STALE_AFTER_DAYS = 30;
const MAX_CANDIDATES = 10;
/** How often a running job writes its progress (the UI polls about as often). */
const PROGRESS_EVERY_MS = 250;

/** The runner's steps the preview pass borrows. */
export interface PreviewHost {
  db: GleanerDatabase;
  open(job: ImportJobRow): Promise<OpenedArtifact>;
  settings(): Promise<ImportSettings>;
  limits(): Promise<ArtifactLimits>;
  /** Updates the job only if it is still in `status` (false: the owner discarded it meanwhile). */
  advance(jobId: string, status: ImportJobRow['status'], change: Partial<ImportJobRow>): Promise<boolean>;
  keepAlive(): void;
  stagedSource(job: ImportJobRow): Promise<ByteSource>;
  /** The staged file's sha256, read on its own. */
  hashWhole(job: ImportJobRow, source: ByteSource): Promise<string>;
}

/** Phase 1: size checks and the sha256, streamed; a file seen before shows its original receipt at once. */
export async function runFingerprintPass(host: PreviewHost, job: ImportJobRow): Promise<void> {
  const [source, limits] = await Promise.all([host.stagedSource(job), host.limits()]);
  if (source.size === 0) throw new ArtifactError('empty_file', emptyFileRefusal(job.fileName));
  if (source.size > limits.maxFileBytes) {
    throw new ArtifactError('too_large', `"${job.fileName}" is larger than Gleaner's import limit (${Math.round(limits.maxFileBytes / 1024 / 1024)} MB). Split the export or raise the limit in settings.`);
  }
  if (!(await committedArtifactOfSize(host.db, source.size))) {
    // No file Gleaner committed has this size, so none has these bytes: no hash is needed to know it
    // is new. The commit hashes it (for the receipt) before storing anything.
    await host.advance(job.id, 'received', { status: 'parsing', bytesRead: 0, timings: { fingerprinted: new Date().toISOString() } });
    return;
  }
  const sha256 = await host.hashWhole(job, source);
  const original = await host.db.batches.where('artifactSha256').equals(sha256).filter((batch) => batch.status === 'committed').first();
  if (original) {
    await host.advance(job.id, 'received', { status: 'already_imported', sha256, bytesRead: source.size, originalBatchId: original.id, connectionId: original.connectionId, finishedAt: new Date().toISOString() });
    return;
  }
  await host.advance(job.id, 'received', { status: 'parsing', sha256, bytesRead: 0, timings: { fingerprinted: new Date().toISOString() } });
}

/** A committed import of a file of exactly `size` bytes, if any (same bytes need the same size). */
async function committedArtifactOfSize(db: GleanerDatabase, size: number): Promise<boolean> {
  const match = await db.batches
    .where('artifactSha256')
    .above('')
    .filter((batch) => batch.status === 'committed' && batch.provenance.kind === 'artifact' && batch.provenance.sizeBytes === size)
    .first();
  return !!match;
}

/** Phase 2: the whole file read once, nothing stored; the owner sees what a commit would do. */
export async function runPreviewPass(host: PreviewHost, job: ImportJobRow): Promise<void> {
  const { db } = host;
  // Reads that do not wait on each other go at once: each is an IndexedDB round trip before the first row.
  const [opened, settings, limits] = await Promise.all([host.open(job), host.settings(), host.limits()]);
  const { connector, parser } = opened;
  const primary = connector.streams[0]?.name ?? '';
  const tally = new PreviewTally(primary);
  const evidence = new AccountEvidenceTally(connector);
  const routeTally = new RouteTally(); // one upload holding several accounts (src/import/routes.ts)
  // Files that may all have been imported before (each has the size of a file a receipt holds) are
  // fingerprinted as the parser reads them, at no extra read; any other upload is new, and is
  // fingerprinted during its commit instead, so a new export's preview hashes nothing.
  const given = bareFileFingerprint(job, opened);
  const [connections, identify] = await Promise.all([
    db.connections.where('connectorKey').equals(connector.key).toArray(),
    !given && mayAllBeKnown(db, { connectorKey: connector.key }, opened.files),
  ]);
  const siblings = connections.slice(0, MAX_CANDIDATES);
  const overlap = new Map(siblings.map((connection) => [connection.id, { overlap: 0, known: 0, probable: 0 }]));
  // Records no key proves the same (a viewing): how many are probably kept from pages already, per connection.
  const primaryStream = connector.streams[0];
  const pageKeys = new Map<string, Set<string>>();
  if (primaryStream?.probableDuplicates) for (const connection of siblings) pageKeys.set(connection.id, await otherMethodKeys(db, connection.id, primaryStream, 'owner_artifact'));
  let compared = 0;
  let bytes = 0;
  let lastProgress = Date.now();
  let progress: Promise<boolean> | undefined;
  const out: { summary?: ParseSummary } = {};
  const read: (EntryFingerprint | undefined)[] = [];
  const files = counted(identify ? fingerprinted(opened.files, read) : opened.files, (n) => (bytes += n));
  // `preview`: records need hold only what is tallied here (keys, event times, account evidence); see ChunkOptions.
  for await (const chunk of withSummary(parser.parseChunks(files, { chunkRows: settings.chunkRows, limits, preview: true }), out)) {
    const keyed = keyObservations(connector, chunk.observations);
    tally.add(chunk, keyed);
    evidence.add(chunk.observations);
    routeTally.add(chunk, keyed);
    for (const entry of keyed) if (entry.stream.name === primary) compared += 1;
    for (const connection of siblings) {
      if (keyed.length === 0) continue;
      const found = await knownKeys(db, 'records', keyed.map((entry) => [connection.id, entry.stream.name, entry.key]));
      const slot = overlap.get(connection.id)!;
      if (primaryStream && pageKeys.has(connection.id)) slot.probable += probablyKept(primaryStream, chunk.observations, pageKeys.get(connection.id)!, 'owner_artifact');
      found.forEach((known, index) => {
        if (!known) return;
        slot.known += 1;
        if (keyed[index]!.stream.name === primary) slot.overlap += 1;
      });
    }
    host.keepAlive();
    // Progress and the discard check at most every PROGRESS_EVERY_MS: a write per chunk would cost more than the parse.
    // The write runs while the next chunks are read, and its answer (discarded meanwhile?) is read at the
    // next write or after the last chunk: the parse never waits for IndexedDB.
    if (Date.now() - lastProgress >= PROGRESS_EVERY_MS) {
      lastProgress = Date.now();
      if (progress && !(await progress)) return; // discarded meanwhile
      progress = host.advance(job.id, 'parsing', { bytesRead: bytes });
      progress.catch(() => undefined); // a parse error thrown before it is awaited must not leave it unhandled
    }
  }
  if (progress && !(await progress)) return; // discarded meanwhile
  const summary = out.summary ?? { coverage: [], entries: [], replacedCharacters: 0 };
  if (tally.records === 0) {
    const reason = tally.problems.list()[0]?.message;
    throw new ArtifactError('no_records', `"${job.fileName}" holds no records Gleaner can read${reason ? `: ${reason}` : '.'}`);
  }
  const candidates: ImportCandidate[] = siblings
    .map((connection) => ({
      connectionId: connection.id,
      displayName: connection.displayName,
      accountLabel: connection.accountLabel,
      overlap: overlap.get(connection.id)!.overlap,
      compared,
      known: overlap.get(connection.id)!.known,
      ...(pageKeys.has(connection.id) ? { probable: overlap.get(connection.id)!.probable } : {}),
    }))
    .sort((a, b) => b.overlap - a.overlap || a.displayName.localeCompare(b.displayName));
  const matched = summary.accountHint ? siblings.find((connection) => connection.accountKey === summary.accountHint?.key) : undefined;
  const suggested = matched ?? siblings.find((connection) => connection.id === candidates.find((candidate) => candidate.overlap > 0)?.connectionId);
  const entryFingerprints = given ?? (identify ? identifyingFingerprints(opened.files, read) : undefined);
  // A bare file is its own one entry: its fingerprint is the file's sha256, so the commit need not hash it again.
  const whole = opened.container === 'file' ? read[0] : undefined;
  const sha256 = job.sha256 ?? (whole && whole.sizeBytes === job.sizeBytes ? whole.sha256 : undefined);
  // The same files in another wrapper (the CSV after its zip, a re-zipped copy), all imported into the
  // connection this file would go to: the original receipt, as for the same file twice.
  const original = suggested && entryFingerprints ? await originalReceiptFor(db, suggested.id, sha256sOf(entryFingerprints)) : undefined;
  if (original) {
    const at = new Date().toISOString();
    await host.advance(job.id, 'parsing', {
      status: 'already_imported',
      sha256,
      entryFingerprints,
      bytesRead: bytes,
      originalBatchId: original.id,
      connectionId: original.connectionId,
      finishedAt: at,
      timings: { ...job.timings, previewed: at },
    });
    return;
  }
  const known = suggested ? (overlap.get(suggested.id)?.known ?? 0) : 0;
  const end = tally.end;
  const reference = job.lastModified ?? Date.parse(job.createdAt);
  const stale = end && Date.parse(end.slice(0, 10)) < reference - STALE_AFTER_DAYS * 86_400_000;
  const routes = await routeTally.list(db, connector.key);
  const preview: ImportPreview = {
    ...(routes ? { routes } : {}),
    connectorKey: connector.key,
    connectorName: connector.displayName,
    parserName: parser.displayName,
    format: opened.format,
    entries: summary.entries,
    rowsRead: tally.rowsRead,
    recordsByStream: tally.recordsByStream,
    records: tally.records,
    duplicatesInFile: tally.duplicates,
    skipped: tally.skipped,
    failed: tally.failed,
    problems: tally.problems.list(),
    eventRange: tally.start ? { start: tally.start, end: tally.end } : undefined,
    gaps: tally.start ? gapsOf(tally.months, tally.start, tally.end) : [],
    undated: tally.undated,
    coveredThrough: stale ? end.slice(0, 10) : undefined,
    accountHint: summary.accountHint,
    accountEvidence: evidence.summary(),
    accountNaming: connector.accountNaming && { prompt: connector.accountNaming.prompt, help: connector.accountNaming.help },
    matchedConnectionId: matched?.id,
    candidates,
    recordNouns: primaryStream ? (connector.ownerCopy?.streamNouns?.[primaryStream.name] ?? { one: primaryStream.displayName.toLowerCase(), other: primaryStream.displayName.toLowerCase() }) : undefined,
    suggestedConnectionId: suggested?.id,
    newRecords: Math.max(0, tally.records - known),
    knownRecords: known,
    chunks: tally.chunks,
    ignoredEntries: [...opened.unsafeNames, ...opened.duplicateEntries],
  };
  if (opened.duplicateEntries.length > 0) {
    preview.problems.push({ code: 'duplicate_part', message: 'A file inside the zip repeats another byte for byte and was read once.', count: opened.duplicateEntries.length, where: opened.duplicateEntries.slice(0, 5) });
  }
  if (opened.unsafeNames.length > 0) {
    preview.problems.push({ code: 'unsafe_entry', message: 'Some files inside the zip had names that could reach outside it and were ignored.', count: opened.unsafeNames.length, where: opened.unsafeNames.slice(0, 5) });
  }
  await host.advance(job.id, 'parsing', { status: 'ready', preview, sha256, entryFingerprints, bytesRead: bytes, timings: { ...job.timings, previewed: new Date().toISOString() } });
}
