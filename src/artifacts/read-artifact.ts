/**
 * The whole-file reader for small uploads held in memory (kept for callers
 * that have bytes, not a staged Blob; imports go through `open-artifact.ts`).
 * Turns an uploaded file into parser results: sniffs zip vs text by content,
 * reads only the zip entries some connector's parser claims, and asks each
 * connector which files it wants.
 */
import { unzipSync, type UnzipFileInfo } from 'fflate';
import type { ArtifactFile, ArtifactParseResult, ArtifactParser, ConnectorDefinition } from '../connectors/types';
import { ArtifactError } from './errors';

import { ARTIFACT_LIMITS } from './limits';
import { isSafeEntryName } from './zip-reader';

export { ARTIFACT_LIMITS, isSafeEntryName };

export interface RecognisedArtifact {
  connector: ConnectorDefinition;
  parser: ArtifactParser;
  result: ArtifactParseResult;
}

function isZip(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && bytes[0] === 0x50 && bytes[1] === 0x4b && (bytes[2] === 0x03 || bytes[2] === 0x05) ;
}


const decoder = new TextDecoder('utf-8', { fatal: false });

function textFile(path: string, bytes: Uint8Array): ArtifactFile {
  let cached: string | undefined;
  return { path, text: () => (cached ??= decoder.decode(bytes).replace(/^\uFEFF/, '')) };
}

function findParser(connectors: readonly ConnectorDefinition[], path: string): { connector: ConnectorDefinition; parser: ArtifactParser } | undefined {
  for (const connector of connectors) {
    const parser = connector.artifactParsers.find((candidate) => candidate.claims(path));
    if (parser) return { connector, parser };
  }
  return undefined;
}

function unzipClaimed(bytes: Uint8Array, connectors: readonly ConnectorDefinition[]): ArtifactFile[] {
  let entryCount = 0;
  let totalBytes = 0;
  let tooBig: UnzipFileInfo | undefined;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (info) => {
        entryCount += 1;
        if (entryCount > ARTIFACT_LIMITS.maxZipEntries) throw new ArtifactError('zip_limits', 'This zip holds too many files to be an export Gleaner knows.');
        if (!isSafeEntryName(info.name) || !findParser(connectors, info.name)) return false;
        totalBytes += info.originalSize;
        const ratio = info.size > 0 ? info.originalSize / info.size : 0;
        if (info.originalSize > ARTIFACT_LIMITS.maxEntryBytes || totalBytes > ARTIFACT_LIMITS.maxTotalUncompressedBytes || ratio > ARTIFACT_LIMITS.maxCompressionRatio) {
          tooBig = info;
          return false;
        }
        return true;
      },
    });
  } catch (error) {
    if (error instanceof ArtifactError) throw error;
    const text = String(error instanceof Error ? error.message : error);
    if (/encrypt/i.test(text)) throw new ArtifactError('encrypted_zip', 'This zip is password-protected. Download the export again and upload it without a password.');
    throw new ArtifactError('corrupt_zip', 'This zip file is damaged or incomplete. Download the export again and upload the new copy.');
  }
  if (tooBig) {
    throw new ArtifactError('zip_limits', `"${tooBig.name}" inside the zip unpacks to far more than an export would; Gleaner did not open it.`);
  }
  return Object.entries(files).map(([path, content]) => textFile(path, content));
}

/** Recognises and parses an uploaded file. Throws ArtifactError with an owner sentence on refusal. */
export function readArtifact(bytes: Uint8Array, fileName: string, connectors: readonly ConnectorDefinition[]): RecognisedArtifact {
  if (bytes.length === 0) throw new ArtifactError('empty_file', `"${fileName}" is empty.`);
  if (bytes.length > ARTIFACT_LIMITS.maxFileBytes) throw new ArtifactError('too_large', `"${fileName}" is larger than Gleaner's import limit.`);
  const files = isZip(bytes) ? unzipClaimed(bytes, connectors) : [textFile(fileName, bytes)];
  const claimed = files.map((file) => ({ file, match: findParser(connectors, file.path) })).filter((entry) => entry.match);
  const first = claimed[0]?.match;
  if (!first) {
    throw new ArtifactError(
      'unknown_format',
      isZip(bytes)
        ? `Gleaner found no export it knows inside "${fileName}".`
        : `Gleaner does not recognise "${fileName}". Upload the export file as the service delivered it (for Amazon: Retail.OrderHistory.1.csv or the whole zip).`,
    );
  }
  const sameParser = claimed.filter((entry) => entry.match?.parser === first.parser).map((entry) => entry.file);
  const result = first.parser.parse(sameParser);
  if (result.observations.length === 0 && result.rowsRead === 0) {
    throw new ArtifactError('no_records', `"${fileName}" holds no records.`);
  }
  return { connector: first.connector, parser: first.parser, result };
}
