/**
 * Bytes → text, incrementally: the byte-order mark picks UTF-8 or UTF-16
 * (and is dropped), invalid UTF-8 becomes U+FFFD and is counted, so a
 * parser can warn instead of failing.
 */
export interface DecodedText {
  chunks: AsyncIterable<string>;
  /** How many characters could not be decoded (so far; final after `chunks` is drained). */
  readonly replaced: number;
  readonly encoding: string;
}

export function encodingOf(head: Uint8Array): { encoding: 'utf-8' | 'utf-16le' | 'utf-16be'; bomLength: number } {
  if (head[0] === 0xef && head[1] === 0xbb && head[2] === 0xbf) return { encoding: 'utf-8', bomLength: 3 };
  if (head[0] === 0xff && head[1] === 0xfe) return { encoding: 'utf-16le', bomLength: 2 };
  if (head[0] === 0xfe && head[1] === 0xff) return { encoding: 'utf-16be', bomLength: 2 };
  return { encoding: 'utf-8', bomLength: 0 };
}

function countReplacements(text: string): number {
  let count = 0;
  for (let at = text.indexOf('\uFFFD'); at !== -1; at = text.indexOf('\uFFFD', at + 1)) count++;
  return count;
}

/** Decodes a byte stream; the encoding is chosen from the first chunk's byte-order mark. */
export function decodeText(bytes: AsyncIterable<Uint8Array>): DecodedText {
  const state = { replaced: 0, encoding: 'utf-8' };
  async function* run(): AsyncGenerator<string> {
    let decoder: TextDecoder | undefined;
    let first = true;
    for await (const chunk of bytes) {
      if (!decoder) {
        if (chunk.length < 3 && first) {
          // Too short to see a BOM reliably; still decide now (tiny files).
        }
        const { encoding } = encodingOf(chunk);
        state.encoding = encoding;
        decoder = new TextDecoder(encoding, { fatal: false });
      }
      let text = decoder.decode(chunk, { stream: true });
      if (first && text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
      if (text.includes('\uFFFD')) state.replaced += countReplacements(text);
      if (text) yield text;
    }
    if (decoder) {
      const rest = decoder.decode();
      if (rest.includes('\uFFFD')) state.replaced += countReplacements(rest);
      if (rest) yield rest;
    }
  }
  return {
    chunks: run(),
    get replaced() {
      return state.replaced;
    },
    get encoding() {
      return state.encoding;
    },
  };
}

/** The first `maxChars` characters of some bytes (for sniffing), BOM dropped. */
export function headText(head: Uint8Array, maxChars = 8192): string {
  const { encoding, bomLength } = encodingOf(head);
  const text = new TextDecoder(encoding, { fatal: false }).decode(head.subarray(bomLength));
  return text.slice(0, maxChars);
}
