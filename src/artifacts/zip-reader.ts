/**
 * A zip reader that never holds the archive in memory: it reads the central
 * directory from the end of the file, checks every limit against what the
 * directory declares (entry count, sizes, compression ratio, encryption)
 * before inflating anything, then streams one entry at a time through fflate's
 * incremental `Inflate`, counting the bytes it actually produces and checking
 * the CRC at the end.
 */
import { Inflate } from 'fflate';
import { ArtifactError } from './errors';
import { Crc32 } from './crc32';
import type { ArtifactLimits } from './limits';
import type { ByteSource } from './source';

export interface ZipEntry {
  name: string;
  compressedSize: number;
  uncompressedSize: number;
  crc32: number;
  method: number;
  encrypted: boolean;
  localHeaderOffset: number;
}

export interface ZipDirectory {
  entries: ZipEntry[];
  /** Names that could escape a folder or are not plain paths, ignored. */
  unsafeNames: string[];
}

const EOCD = 0x06054b50;
const ZIP64_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;

const corrupt = () => new ArtifactError('corrupt_zip', 'This zip file is damaged or incomplete. Download the export again and upload the new copy.');

/** Entry names that could escape a folder or are not plain paths are ignored. */
export function isSafeEntryName(name: string, maxLength = 512): boolean {
  return (
    name.length > 0 &&
    name.length <= maxLength &&
    !name.startsWith('/') &&
    !name.split('/').includes('..') &&
    !name.includes('\\') &&
    !name.includes('\u0000') &&
    !/^[a-z]:/i.test(name) &&
    !name.endsWith('/')
  );
}

export function looksLikeZip(head: Uint8Array): boolean {
  return head.length >= 4 && head[0] === 0x50 && head[1] === 0x4b && (head[2] === 0x03 || head[2] === 0x05 || head[2] === 0x07) && (head[3] === 0x04 || head[3] === 0x06 || head[3] === 0x08);
}

const nameDecoder = new TextDecoder('utf-8', { fatal: false });

function u64(view: DataView, at: number): number {
  return view.getUint32(at, true) + view.getUint32(at + 4, true) * 2 ** 32;
}

/** Reads and checks the central directory. Throws ArtifactError on a damaged, encrypted-only or oversized archive. */
export async function readZipDirectory(source: ByteSource, limits: ArtifactLimits): Promise<ZipDirectory> {
  const tailStart = Math.max(0, source.size - (65535 + 22));
  const tail = await source.read(tailStart, source.size);
  const tailView = new DataView(tail.buffer, tail.byteOffset, tail.byteLength);
  let eocd = -1;
  for (let at = tail.length - 22; at >= 0; at--) {
    if (tailView.getUint32(at, true) === EOCD) {
      eocd = at;
      break;
    }
  }
  if (eocd < 0) throw corrupt();
  let entryCount = tailView.getUint16(eocd + 10, true);
  let cdSize = tailView.getUint32(eocd + 12, true);
  let cdOffset = tailView.getUint32(eocd + 16, true);
  if (entryCount === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const locatorAt = eocd - 20;
    if (locatorAt < 0 || tailView.getUint32(locatorAt, true) !== ZIP64_LOCATOR) throw corrupt();
    const zip64At = u64(tailView, locatorAt + 8);
    const record = await source.read(zip64At, zip64At + 56);
    const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
    if (record.length < 56 || view.getUint32(0, true) !== ZIP64_EOCD) throw corrupt();
    entryCount = u64(view, 32);
    cdSize = u64(view, 40);
    cdOffset = u64(view, 48);
  }
  if (entryCount > limits.maxZipEntries) throw new ArtifactError('zip_limits', 'This zip holds too many files to be an export Gleaner knows.');
  if (cdOffset + cdSize > source.size || cdSize > entryCount * (46 + 65535 * 3) + 22) throw corrupt();
  const cd = await source.read(cdOffset, cdOffset + cdSize);
  const view = new DataView(cd.buffer, cd.byteOffset, cd.byteLength);
  const entries: ZipEntry[] = [];
  const unsafeNames: string[] = [];
  let at = 0;
  for (let index = 0; index < entryCount; index++) {
    if (at + 46 > cd.length || view.getUint32(at, true) !== CENTRAL) throw corrupt();
    const flags = view.getUint16(at + 8, true);
    const method = view.getUint16(at + 10, true);
    const crc32 = view.getUint32(at + 16, true);
    let compressedSize = view.getUint32(at + 20, true);
    let uncompressedSize = view.getUint32(at + 24, true);
    const nameLength = view.getUint16(at + 28, true);
    const extraLength = view.getUint16(at + 30, true);
    const commentLength = view.getUint16(at + 32, true);
    let localHeaderOffset = view.getUint32(at + 42, true);
    if (at + 46 + nameLength + extraLength + commentLength > cd.length) throw corrupt();
    const name = nameDecoder.decode(cd.subarray(at + 46, at + 46 + nameLength));
    // ZIP64 extra field: the real sizes and offset when the 32-bit ones are saturated.
    let extraAt = at + 46 + nameLength;
    const extraEnd = extraAt + extraLength;
    while (extraAt + 4 <= extraEnd) {
      const id = view.getUint16(extraAt, true);
      const size = view.getUint16(extraAt + 2, true);
      if (id === 0x0001) {
        let field = extraAt + 4;
        if (uncompressedSize === 0xffffffff && field + 8 <= extraEnd) (uncompressedSize = u64(view, field)), (field += 8);
        if (compressedSize === 0xffffffff && field + 8 <= extraEnd) (compressedSize = u64(view, field)), (field += 8);
        if (localHeaderOffset === 0xffffffff && field + 8 <= extraEnd) localHeaderOffset = u64(view, field);
      }
      extraAt += 4 + size;
    }
    at += 46 + nameLength + extraLength + commentLength;
    if (name.endsWith('/')) continue; // a folder
    if (!isSafeEntryName(name, limits.maxEntryNameLength)) {
      if (unsafeNames.length < 50) unsafeNames.push(name.slice(0, 200));
      continue;
    }
    if (localHeaderOffset + 30 > source.size || localHeaderOffset + compressedSize > source.size) throw corrupt();
    entries.push({ name, compressedSize, uncompressedSize, crc32, method, encrypted: (flags & 1) === 1 || method === 99, localHeaderOffset });
  }
  return { entries, unsafeNames };
}

/** Refuses entries whose declared sizes are beyond the limits, before any byte is inflated. */
export function checkDeclaredLimits(entries: readonly ZipEntry[], limits: ArtifactLimits): void {
  let total = 0;
  for (const entry of entries) {
    total += entry.uncompressedSize;
    const ratio = entry.compressedSize > 0 ? entry.uncompressedSize / entry.compressedSize : entry.uncompressedSize > 0 ? Infinity : 0;
    if (entry.uncompressedSize > limits.maxEntryBytes || (entry.uncompressedSize > limits.ratioFloorBytes && ratio > limits.maxCompressionRatio)) {
      throw new ArtifactError('zip_limits', `"${entry.name.slice(0, 200)}" inside the zip unpacks to far more than an export would; Gleaner did not open it.`);
    }
    if (total > limits.maxTotalUncompressedBytes) {
      throw new ArtifactError('zip_limits', 'The files inside this zip unpack to more than Gleaner will open at once.');
    }
  }
}

/** Where an entry's compressed data starts (after its local header). */
async function dataStart(source: ByteSource, entry: ZipEntry): Promise<number> {
  const header = await source.read(entry.localHeaderOffset, entry.localHeaderOffset + 30);
  const view = new DataView(header.buffer, header.byteOffset, header.byteLength);
  if (header.length < 30 || view.getUint32(0, true) !== LOCAL) throw corrupt();
  return entry.localHeaderOffset + 30 + view.getUint16(26, true) + view.getUint16(28, true);
}

/**
 * Streams one entry's uncompressed bytes. Input is pushed in small slices so a
 * lying header cannot make one push expand without bound; the bytes actually
 * produced are counted against the declared size and the limits, and the CRC
 * is checked at the end.
 */
export async function* readZipEntry(source: ByteSource, entry: ZipEntry, limits: ArtifactLimits): AsyncGenerator<Uint8Array> {
  if (entry.encrypted) throw new ArtifactError('encrypted_zip', 'This zip is password-protected. Download the export again and upload it without a password.');
  if (entry.method !== 0 && entry.method !== 8) {
    throw new ArtifactError('unsupported_zip', 'This zip uses a kind of compression Gleaner cannot open. Unzip it and upload the file inside instead.');
  }
  const start = await dataStart(source, entry);
  const end = start + entry.compressedSize;
  if (end > source.size) throw corrupt();
  const crc = new Crc32();
  const cap = Math.min(entry.uncompressedSize, limits.maxEntryBytes);
  let produced = 0;
  const account = (chunk: Uint8Array) => {
    produced += chunk.length;
    if (produced > cap) {
      throw produced > entry.uncompressedSize
        ? new ArtifactError('zip_limits', `"${entry.name.slice(0, 200)}" inside the zip unpacks to more than it declares; Gleaner stopped reading it.`)
        : new ArtifactError('zip_limits', `"${entry.name.slice(0, 200)}" inside the zip is larger than Gleaner will open.`);
    }
    crc.update(chunk);
  };
  if (entry.method === 0) {
    for await (const chunk of source.stream(start, end, 256 * 1024)) {
      account(chunk);
      yield chunk;
    }
  } else {
    let pending: Uint8Array[] = [];
    let finished = false;
    const inflate = new Inflate((chunk, final) => {
      pending.push(chunk);
      if (final) finished = true;
    });
    const SLICE = 16 * 1024;
    let fed = 0;
    for await (const chunk of source.stream(start, end, 256 * 1024)) {
      for (let at = 0; at < chunk.length; at += SLICE) {
        const piece = chunk.subarray(at, Math.min(chunk.length, at + SLICE));
        fed += piece.length;
        try {
          inflate.push(piece, fed === entry.compressedSize);
        } catch {
          throw corrupt();
        }
        for (const out of pending) account(out);
        const ready = pending;
        pending = [];
        for (const out of ready) if (out.length > 0) yield out;
      }
    }
    if (entry.compressedSize === 0) {
      try {
        inflate.push(new Uint8Array(0), true);
      } catch {
        throw corrupt();
      }
    }
    for (const out of pending) account(out);
    for (const out of pending) if (out.length > 0) yield out;
    pending = [];
    if (!finished && entry.uncompressedSize > 0) throw corrupt();
  }
  if (produced !== entry.uncompressedSize || crc.digest() !== entry.crc32) throw corrupt();
}
