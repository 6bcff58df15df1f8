/**
 * Incremental sha256 over a byte stream. WebCrypto only digests a whole
 * buffer, which would hold the entire file in memory, so the hash is fed
 * chunk by chunk. `hash-wasm` (WebAssembly, hence `'wasm-unsafe-eval'` in the
 * extension's CSP) hashes about three times as fast as a pure-JS sha256 in
 * the service worker: on a 100 MB export that is the difference between a
 * preview under five seconds and one over it (`npm run bench`, issue 3).
 */
import { createSHA256, type IHasher } from 'hash-wasm';

export async function sha256OfStream(chunks: AsyncIterable<Uint8Array>, onProgress?: (bytes: number) => void | Promise<void>): Promise<string> {
  const hash = await createSHA256();
  let bytes = 0;
  for await (const chunk of chunks) {
    hash.update(chunk);
    bytes += chunk.length;
    await onProgress?.(bytes);
  }
  return hash.digest('hex');
}

/**
 * Hashes a file's bytes as a reader passes them on, so one read of the file
 * serves both the hash and the parser. Valid only if the reader read the
 * whole file exactly once, in order: `digestIf(size)` says so or returns
 * undefined (then the caller hashes the file on its own).
 */
export class HashingTap {
  private hash: IHasher | undefined;
  private bytes = 0;
  private reads = 0;

  tap(read: () => AsyncIterable<Uint8Array>): () => AsyncIterable<Uint8Array> {
    const self = this;
    return async function* () {
      self.reads += 1;
      const first = self.reads === 1;
      if (first) self.hash = await createSHA256();
      for await (const chunk of read()) {
        if (first) {
          self.hash!.update(chunk);
          self.bytes += chunk.length;
        }
        yield chunk;
      }
    };
  }

  digestIf(size: number): string | undefined {
    return this.reads === 1 && this.bytes === size && this.hash ? this.hash.digest('hex') : undefined;
  }
}
