/** A refusal the owner reads: `message` is a plain sentence, `code` is for code and tests. */
export type ArtifactErrorCode =
  | 'empty_file'
  | 'too_large'
  | 'unknown_format'
  | 'html_export'
  | 'wrong_service'
  | 'corrupt_zip'
  | 'encrypted_zip'
  | 'unsupported_zip'
  | 'zip_limits'
  | 'line_too_long'
  | 'json_too_deep'
  | 'no_records'
  /** Every date of a file could be read day-first or month-first (Netflix's quick CSV). */
  | 'ambiguous_dates'
  | 'staged_file_missing';

export class ArtifactError extends Error {
  constructor(
    readonly code: ArtifactErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ArtifactError';
  }
}
