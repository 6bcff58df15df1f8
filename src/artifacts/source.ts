/**
 * Random-access, streamable bytes: a staged Blob (read in slices, never whole)
 * or, in tests, a Uint8Array.
 */
export interface ByteSource {
  readonly size: number;
  /** Bytes [start, end). */
  read(start: number, end: number): Promise<Uint8Array>;
  /** Bytes [start, end) as a sequence of chunks of at most `chunkBytes`. */
  stream(start?: number, end?: number, chunkBytes?: number): AsyncIterable<Uint8Array>;
}

const DEFAULT_CHUNK = 1024 * 1024;

export function blobSource(blob: Blob): ByteSource {
  return {
    size: blob.size,
    async read(start, end) {
      return new Uint8Array(await blob.slice(start, end).arrayBuffer());
    },
    async *stream(start = 0, end = blob.size, chunkBytes = DEFAULT_CHUNK) {
      // Slices read one at a time: memory stays at one chunk whatever the file size.
      for (let at = start; at < end; at += chunkBytes) {
        yield new Uint8Array(await blob.slice(at, Math.min(end, at + chunkBytes)).arrayBuffer());
      }
    },
  };
}

export function bytesSource(bytes: Uint8Array): ByteSource {
  return {
    size: bytes.length,
    async read(start, end) {
      return bytes.subarray(start, Math.min(end, bytes.length));
    },
    async *stream(start = 0, end = bytes.length, chunkBytes = DEFAULT_CHUNK) {
      for (let at = start; at < end; at += chunkBytes) yield bytes.subarray(at, Math.min(end, at + chunkBytes));
    },
  };
}
