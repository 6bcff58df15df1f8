/**
 * Incremental sha256 over a byte stream. WebCrypto only digests a whole
 * buffer, which would hold the entire file in memory, so the hash is fed
 * chunk by chunk. `hash-wasm` (WebAssembly, hence `'wasm-unsafe-eval'` in the
 * extension's CSP) hashes about three times as fast as a pure-JS sha256 in
 * the service worker: on a 100 MB export that is the difference between a
 * preview under five seconds and one over it (`npm run bench`, issue 3).
 */
import { createSHA256 } from 'hash-wasm';

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

