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
      // One slice read ahead while the caller works on the current one: the disk and the
      // parser overlap, and memory stays at two chunks whatever the file size.
      const slice = (at: number) => {
        const reading = blob.slice(at, Math.min(end, at + chunkBytes)).arrayBuffer();
        reading.catch(() => undefined); // a reader that stops early leaves the read-ahead unawaited
        return reading;
      };
      let next = start < end ? slice(start) : undefined;
      for (let at = start; next; at += chunkBytes) {
        const current = await next;
        next = at + chunkBytes < end ? slice(at + chunkBytes) : undefined;
        yield new Uint8Array(current);
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
