/** A refusal the owner reads: `message` is a plain sentence, `code` is for code and tests. */
export class ArtifactError extends Error {
  constructor(
    readonly code:
      | 'empty_file'
      | 'too_large'
      | 'unknown_format'
      | 'corrupt_zip'
      | 'encrypted_zip'
      | 'zip_limits'
      | 'no_records'
      | 'staged_file_missing',
    message: string,
  ) {
    super(message);
    this.name = 'ArtifactError';
  }
}
