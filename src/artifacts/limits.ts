/** Limits every uploaded file is held to (zip bombs, runaway lines, deep JSON). */
export interface ArtifactLimits {
  /** Largest file the owner may upload (the configured limit; see `import.settings`). */
  maxFileBytes: number;
  maxZipEntries: number;
  /** Largest uncompressed size of one zip entry Gleaner will open. */
  maxEntryBytes: number;
  maxTotalUncompressedBytes: number;
  /** Uncompressed ÷ compressed size above which an entry (over `ratioFloorBytes`) is a bomb. */
  maxCompressionRatio: number;
  ratioFloorBytes: number;
  maxEntryNameLength: number;
  /** Longest CSV row (characters) or JSON element before the file is refused. */
  maxLineChars: number;
  maxJsonDepth: number;
}

export const ARTIFACT_LIMITS: ArtifactLimits = {
  maxFileBytes: 512 * 1024 * 1024,
  maxZipEntries: 20_000,
  maxEntryBytes: 512 * 1024 * 1024,
  maxTotalUncompressedBytes: 2 * 1024 * 1024 * 1024,
  maxCompressionRatio: 200,
  ratioFloorBytes: 1024 * 1024,
  maxEntryNameLength: 512,
  maxLineChars: 1024 * 1024,
  maxJsonDepth: 64,
};
