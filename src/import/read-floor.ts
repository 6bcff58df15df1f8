/**
 * The preview's floor, for `npm run bench` (`preview_ratio`): the staged file
 * read once with the same stream reader the import uses (`blobSource`, 1 MB
 * slices with one read ahead), decoded as the parsers decode it, and split
 * into rows by the same CSV tokenizer (`CsvTokenizer`), doing nothing else.
 */
import { CsvTokenizer } from '../artifacts/csv';
import { ARTIFACT_LIMITS } from '../artifacts/limits';
import { blobSource } from '../artifacts/source';
import { decodeText } from '../artifacts/text';

/** Reads and tokenises `blob`; returns how many rows it holds (so the work cannot be skipped). */
export async function readAndTokenise(blob: Blob): Promise<number> {
  const source = blobSource(blob);
  const tokenizer = new CsvTokenizer(ARTIFACT_LIMITS.maxLineChars);
  let rows = 0;
  for await (const text of decodeText(source.stream(0, source.size, 1024 * 1024)).chunks) rows += tokenizer.push(text).length;
  return rows + tokenizer.end().length;
}
