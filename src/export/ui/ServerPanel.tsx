/** Personal-server link and export status (owned by the export feature). */
export function ServerPanel(_props: { connectionId?: string; refreshKey: number }) {
  return null;
}
