/** Builders for batches in merge-engine tests. */
import type { BatchInput } from '../../src/core/merge-engine';
import type { AcquisitionMethod, CoverageClaim, Observation } from '../../src/core/model';
import { testStreams } from './streams';

let sequence = 0;

export interface TestBatch {
  method: AcquisitionMethod;
  observations: Observation[];
  coverage?: CoverageClaim[];
  dataAsOf?: string;
  sha?: string;
  batchId?: string;
  pageUrl?: string;
  contentHash?: string;
}

export function batchInput(connectionId: string, batch: TestBatch): BatchInput {
  sequence += 1;
  const asOf = batch.dataAsOf ?? `2025-01-01T00:00:${String(sequence % 60).padStart(2, '0')}Z`;
  return {
    connectionId,
    connectorKey: 'test',
    streams: testStreams,
    method: batch.method,
    provenance:
      batch.method === 'owner_artifact'
        ? { kind: 'artifact', fileName: 'export.csv', sha256: (batch.sha ?? `${sequence}`.padStart(64, '0')), sizeBytes: 10, parserVersion: 't/1', importedAt: asOf }
        : { kind: 'page', pageUrl: batch.pageUrl ?? 'https://example.test/list', capturedAt: asOf, extractorVersion: 't/1' },
    coverage: batch.coverage ?? [],
    observations: batch.observations,
    dataAsOf: asOf,
    artifactSha256: batch.method === 'owner_artifact' ? batch.sha : undefined,
    contentHash: batch.contentHash,
    pageUrl: batch.contentHash ? (batch.pageUrl ?? 'https://example.test/list') : undefined,
    batchId: batch.batchId,
  };
}

export const obs = (stream: string, id: string, at: string, extra: Record<string, unknown> = {}): Observation => ({ stream, data: { id, at, ...extra } });
