/**
 * Incremental sha256 over a byte stream. WebCrypto only digests a whole
 * buffer, which would hold the entire file in memory; `@noble/hashes` is a
 * small, audited, dependency-free implementation that hashes chunk by chunk.
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { bytesToHex } from '@noble/hashes/utils.js';

export async function sha256OfStream(chunks: AsyncIterable<Uint8Array>, onProgress?: (bytes: number) => void | Promise<void>): Promise<string> {
  const hash = sha256.create();
  let bytes = 0;
  for await (const chunk of chunks) {
    hash.update(chunk);
    bytes += chunk.length;
    await onProgress?.(bytes);
  }
  return bytesToHex(hash.digest());
}
