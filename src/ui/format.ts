/** Owner-facing wording shared by the popup and dashboard. */
import type { AcquisitionMethod, BatchCounts } from '../core/model';

const METHOD_LABELS: Record<AcquisitionMethod, string> = {
  browser_polyfill: 'Captured while browsing',
  owner_artifact: 'Imported from your export',
  provider_api: 'From the service’s API',
  device_sync: 'Synced from a device',
  device_backup: 'From a device backup',
};

export function methodLabel(method: AcquisitionMethod): string {
  return METHOD_LABELS[method];
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "Mar 2, 2024" from `2024-03-02` or an ISO instant (its calendar day as written). */
export function formatDay(time: string): string {
  const match = /^(\d{4})-(\d{2})-(\d{2})/.exec(time);
  if (!match) return time;
  return `${MONTHS[Number(match[2]) - 1] ?? match[2]} ${Number(match[3])}, ${match[1]}`;
}

export function formatWindow(start: string, end: string): string {
  return start.slice(0, 10) === end.slice(0, 10) ? formatDay(start) : `${formatDay(start)} – ${formatDay(end)}`;
}

export function summariseCounts(counts: BatchCounts): string {
  const parts = [`${counts.parsed} seen`, `${counts.new} new`, `${counts.updated} updated`, `${counts.alreadyKnown} already known`];
  if (counts.skipped) parts.push(`${counts.skipped} skipped`);
  if (counts.failed) parts.push(`${counts.failed} could not be read`);
  if (counts.tombstoned) parts.push(`${counts.tombstoned} marked gone`);
  if (counts.restored) parts.push(`${counts.restored} back again`);
  return parts.join(', ');
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
