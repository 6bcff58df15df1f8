/** Import and merge figures (issue 3; owned by the import feature). */
export async function runImportBench(): Promise<void> {
  console.log('bench import: not yet measured');
}
