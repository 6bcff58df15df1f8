/** Download everything / restore from a backup (owned by the export feature). */
export function BackupPanel(_props: { onRestored(): void }) {
  return null;
}
