/** Export throughput figures (issue 4; owned by the export feature). */
export async function runExportBench(): Promise<void> {
  console.log('bench export: not yet measured');
}
