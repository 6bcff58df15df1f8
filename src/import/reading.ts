/** Small helpers the preview and commit passes share for reading an upload. */
import type { ParsedChunk, ParseSummary, StreamFile } from '../artifacts/streaming';
import type { OpenedArtifact } from '../artifacts/open-artifact';
import { ArtifactError } from '../artifacts/errors';
import type { ConnectorDefinition } from '../connectors/types';
import type { ArtifactProvenance } from '../core/model';
import type { BatchHeader } from '../core/chunked-batch';
import { newId } from '../core/hash';
import type { EntryFingerprint, ImportJobRow } from './types';

/** Counts bytes as a file is read, for progress. */
export function counted(files: StreamFile[], onBytes: (n: number) => void): StreamFile[] {
  return files.map((file) => ({
    ...file,
    async *bytes() {
      for await (const chunk of file.bytes()) {
        onBytes(chunk.length);
        yield chunk;
      }
    },
  }));
}

/** A bare file is its own one entry: with its sha256 known, so is its fingerprint (no second hash of the same bytes). */
export function bareFileFingerprint(job: ImportJobRow, opened: OpenedArtifact): EntryFingerprint[] | undefined {
  const file = opened.files[0];
  return opened.container === 'file' && job.sha256 && file ? [{ path: file.path, sha256: job.sha256, sizeBytes: job.sizeBytes }] : undefined;
}

/** Iterates a generator's yields and keeps its return value. */
export async function* withSummary(generator: AsyncGenerator<ParsedChunk, ParseSummary>, out: { summary?: ParseSummary }): AsyncGenerator<ParsedChunk> {
  for (;;) {
    const step = await generator.next();
    if (step.done) {
      out.summary = step.value;
      return;
    }
    yield step.value;
  }
}

/** The batch a confirmed single-account job commits: the file's provenance, into the chosen connection. */
export function artifactBatchHeader(job: ImportJobRow, connector: ConnectorDefinition): BatchHeader & { batchId: string } {
  const preview = job.preview!;
  const importedAt = (job.confirmedAt as string | undefined) ?? new Date().toISOString();
  const provenance: ArtifactProvenance = {
    kind: 'artifact',
    fileName: job.fileName.slice(0, 512),
    sha256: job.sha256!,
    sizeBytes: job.sizeBytes,
    parserVersion: connector.parserVersion,
    entries: preview.entries.slice(0, 1000),
    importedAt,
  };
  // How new the file's data is: its own timestamp when the browser gave one, else its newest record.
  const dataAsOf = job.lastModified ? new Date(job.lastModified).toISOString() : (preview.eventRange?.end ?? importedAt);
  return {
    connectionId: job.connectionId!,
    connectorKey: connector.key,
    streams: connector.streams,
    method: 'owner_artifact',
    provenance,
    dataAsOf,
    artifactSha256: job.sha256,
    batchId: job.batchId ?? newId('bat'),
  };
}

/** What a stopped commit tells the owner: a file's own refusal, or a generic failure (logged without contents). */
export function stopReason(error: unknown): { code: string; message: string } | undefined {
  if (error instanceof ArtifactError) return { code: error.code, message: error.message };
  if (!error) return undefined;
  console.error('[gleaner] import commit failed:', error instanceof Error ? error.name : 'error');
  return { code: 'internal', message: 'Something went wrong inside Gleaner while storing this file.' };
}
