/**
 * Opens an uploaded file for streaming: checks size, sniffs the format by
 * content, reads a zip's directory (limits, encryption, unsafe names) and asks
 * every connector's parsers which files they claim and how sure they are.
 * Every refusal happens here, before a single record is parsed or stored.
 */
import type { ConnectorDefinition } from '../connectors/types';
import { ArtifactError } from './errors';
import type { ArtifactLimits } from './limits';
import { emptyFileRefusal, foreignByContent, foreignByPath, htmlExportHint, sniffFormat, takeoutPartRefusal, type SniffedFormat } from './sniff';
import type { ByteSource } from './source';
import { chunkedParsers, type ChunkedArtifactParser, type StreamFile } from './streaming';
import { headText } from './text';
import { checkDeclaredLimits, readZipDirectory, readZipEntry, type ZipEntry } from './zip-reader';

export interface OpenedArtifact {
  connector: ConnectorDefinition;
  parser: ChunkedArtifactParser;
  format: SniffedFormat;
  /** `zip`: `files` are entries of the uploaded zip; `file`: the one file is the upload itself. */
  container: 'zip' | 'file';
  files: StreamFile[];
  /** How sure the parser was (0–1). */
  confidence: number;
  /** Zip entries ignored because their names were unsafe. */
  unsafeNames: string[];
  /** Claimed zip entries skipped because they repeat another entry byte for byte. */
  duplicateEntries: string[];
}

const HEAD_BYTES = 64 * 1024;

function supportedList(connectors: readonly ConnectorDefinition[]): string {
  return connectors.map((connector) => connector.displayName).join(', ');
}

function wrongService(fileName: string, service: string, what: string, connectors: readonly ConnectorDefinition[]): ArtifactError {
  return new ArtifactError('wrong_service', `"${fileName}" looks like a ${service} ${what}. Gleaner reads ${supportedList(connectors)} exports so far, so nothing was saved.`);
}

async function entryHead(source: ByteSource, entry: ZipEntry, limits: ArtifactLimits): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  let length = 0;
  const reader = readZipEntry(source, entry, limits);
  try {
    for await (const chunk of reader) {
      parts.push(chunk);
      length += chunk.length;
      if (length >= 8192) break;
    }
  } finally {
    await reader.return(undefined);
  }
  const head = new Uint8Array(Math.min(length, 8192));
  let at = 0;
  for (const part of parts) {
    const take = Math.min(part.length, head.length - at);
    head.set(part.subarray(0, take), at);
    at += take;
    if (at >= head.length) break;
  }
  return head;
}

export async function openArtifact(source: ByteSource, fileName: string, connectors: readonly ConnectorDefinition[], limits: ArtifactLimits): Promise<OpenedArtifact> {
  if (source.size === 0) throw new ArtifactError('empty_file', emptyFileRefusal(fileName));
  if (source.size > limits.maxFileBytes) {
    throw new ArtifactError('too_large', `"${fileName}" is larger than Gleaner's import limit (${Math.round(limits.maxFileBytes / 1024 / 1024)} MB). Split the export or raise the limit in settings.`);
  }
  const parsers = chunkedParsers(connectors);
  const headBytes = await source.read(0, Math.min(source.size, HEAD_BYTES));
  const sniffed = sniffFormat(headBytes);

  if (sniffed.format === 'zip') {
    const directory = await readZipDirectory(source, limits);
    const claimed = new Map<ChunkedArtifactParser, { connector: ConnectorDefinition; entries: ZipEntry[] }>();
    for (const entry of directory.entries) {
      for (const { connector, parser } of parsers) {
        if (!parser.claims(entry.name)) continue;
        const slot = claimed.get(parser) ?? { connector, entries: [] };
        slot.entries.push(entry);
        claimed.set(parser, slot);
        break;
      }
    }
    if (claimed.size === 0) {
      if (directory.entries.some((entry) => /\.html?$/i.test(entry.name)) && !directory.entries.some((entry) => /\.(csv|json|js)$/i.test(entry.name))) {
        throw new ArtifactError('html_export', `"${fileName}" holds the web-page (HTML) version of an export. ${htmlExportHint(fileName)}`);
      }
      const foreign = directory.entries.map((entry) => foreignByPath(entry.name)).find(Boolean);
      if (foreign) throw wrongService(fileName, foreign.service, foreign.what, connectors);
      if (directory.entries.length > 0 && directory.entries.every((entry) => entry.encrypted)) {
        throw new ArtifactError('encrypted_zip', 'This zip is password-protected. Download the export again and upload it without a password.');
      }
      const takeoutPart = takeoutPartRefusal(fileName, directory.entries.map((entry) => entry.name));
      if (takeoutPart) throw new ArtifactError('unknown_format', takeoutPart);
      throw new ArtifactError('unknown_format', `Gleaner found no export it knows inside "${fileName}".`);
    }
    // Confirm each claim by content, best first.
    const ranked: { connector: ConnectorDefinition; parser: ChunkedArtifactParser; entries: ZipEntry[]; confidence: number; format: SniffedFormat }[] = [];
    for (const [parser, { connector, entries }] of claimed) {
      checkDeclaredLimits(entries, limits);
      if (entries.some((entry) => entry.encrypted)) {
        throw new ArtifactError('encrypted_zip', 'This zip is password-protected. Download the export again and upload it without a password.');
      }
      const first = entries.find((entry) => entry.uncompressedSize > 0) ?? entries[0]!;
      const head = await entryHead(source, first, limits);
      const entrySniff = sniffFormat(head);
      if (entrySniff.format === 'html') {
        throw new ArtifactError('html_export', `"${first.name}" is the web-page (HTML) version of an export. ${htmlExportHint(first.name)}`);
      }
      const confidence = first.uncompressedSize === 0 ? 0.5 : parser.sniff({ path: first.name, format: entrySniff.format, head: headText(head) });
      ranked.push({ connector, parser, entries, confidence, format: entrySniff.format });
    }
    ranked.sort((a, b) => b.confidence - a.confidence);
    const best = ranked[0]!;
    if (best.confidence < 0.5) throw new ArtifactError('unknown_format', `The files inside "${fileName}" are not in the shape Gleaner expects from ${best.connector.displayName}.`);
    const seen = new Set<string>();
    const duplicateEntries: string[] = [];
    const files: StreamFile[] = [];
    for (const entry of [...best.entries].sort((a, b) => a.name.localeCompare(b.name))) {
      const fingerprint = `crc:${entry.crc32.toString(16)}:${entry.uncompressedSize}`;
      if (seen.has(fingerprint) && entry.uncompressedSize > 0) {
        duplicateEntries.push(entry.name);
        continue;
      }
      seen.add(fingerprint);
      files.push({ path: entry.name, sizeBytes: entry.uncompressedSize, fingerprint, bytes: () => readZipEntry(source, entry, limits) });
    }
    return { connector: best.connector, parser: best.parser, format: best.format, container: 'zip', files, confidence: best.confidence, unsafeNames: directory.unsafeNames, duplicateEntries };
  }

  if (sniffed.format === 'other-archive') {
    throw new ArtifactError('unknown_format', `"${fileName}" is compressed in a way Gleaner cannot open (not a zip). Upload the zip or the file the service sent.`);
  }
  if (sniffed.format === 'binary') {
    throw new ArtifactError('unknown_format', `"${fileName}" is not a text or zip file. Upload the export file as the service delivered it.`);
  }
  const scored = parsers
    .map(({ connector, parser }) => ({ connector, parser, confidence: parser.sniff({ path: fileName, format: sniffed.format, head: sniffed.head }) }))
    .sort((a, b) => b.confidence - a.confidence);
  const best = scored[0];
  if (!best || best.confidence < 0.5) {
    if (sniffed.format === 'html') {
      throw new ArtifactError('html_export', `"${fileName}" is the web-page (HTML) version of an export. ${htmlExportHint(fileName)}`);
    }
    const foreign = foreignByContent(sniffed.format, sniffed.head) ?? foreignByPath(fileName);
    if (foreign) throw wrongService(fileName, foreign.service, foreign.what, connectors);
    throw new ArtifactError(
      'unknown_format',
      `Gleaner does not recognise "${fileName}". Upload the export file as the service delivered it (for Amazon: Retail.OrderHistory.1.csv or the whole zip).`,
    );
  }
  const file: StreamFile = { path: fileName, sizeBytes: source.size, fingerprint: `size:${source.size}`, bytes: () => source.stream(0, source.size, 1024 * 1024) };
  return { connector: best.connector, parser: best.parser, format: sniffed.format, container: 'file', files: [file], confidence: best.confidence, unsafeNames: [], duplicateEntries: [] };
}
