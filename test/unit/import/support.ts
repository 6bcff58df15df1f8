/** Shared helpers for the import pipeline's unit tests. */
import { Blob as NodeBlob } from 'node:buffer';
import type { GleanerDatabase } from '../../../src/db/database';
import { makeAmazonExportZip } from '../../fixtures/amazon';

export async function stageBytes(db: GleanerDatabase, bytes: Uint8Array | string, fileName: string, lastModified?: number): Promise<string> {
  const data = typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes;
  const id = `stg_${Math.random().toString(36).slice(2)}`;
  // Node's Blob survives fake-indexeddb's structured clone.
  await db.staged.put({ id, fileName, sizeBytes: data.length, lastModified, stagedAt: new Date().toISOString(), blob: new NodeBlob([data]) as unknown as Blob });
  return id;
}

/** Everything a refused import must not touch. */
export async function snapshot(db: GleanerDatabase) {
  return {
    connections: await db.connections.toArray(),
    batches: await db.batches.toArray(),
    records: await db.records.toArray(),
    changes: await db.changes.count(),
  };
}

/** Records without timestamps (which differ between two runs). */
export async function recordContents(db: GleanerDatabase, connectionId: string) {
  const records = await db.records.where('connectionId').equals(connectionId).toArray();
  return records
    .map((record) => ({ stream: record.stream, key: record.key, data: record.data, versions: record.versions.map((version) => version.data) }))
    .sort((a, b) => `${a.stream}|${a.key}`.localeCompare(`${b.stream}|${b.key}`));
}

/** Marks every entry of a zip as encrypted (general-purpose flag bit 0), as a password-protected zip has it. */
export function encryptedZip(): Uint8Array {
  const zip = makeAmazonExportZip().slice();
  const view = new DataView(zip.buffer);
  for (let at = 0; at + 4 <= zip.length; at++) {
    const signature = view.getUint32(at, true);
    if (signature === 0x04034b50) view.setUint16(at + 6, view.getUint16(at + 6, true) | 1, true);
    if (signature === 0x02014b50) view.setUint16(at + 8, view.getUint16(at + 8, true) | 1, true);
  }
  return zip;
}

