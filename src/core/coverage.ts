/**
 * The coverage view (M8): per stream, every method's covered windows, merged
 * from the claims of every batch. Nothing here is stored, so an export's
 * window stays visible however many captures follow it.
 */
import type { AcquisitionBatch, AcquisitionMethod, Completeness } from './model';

export interface CoverageWindow {
  start: string;
  end: string;
  completeness: Completeness;
  batchIds: string[];
}

export interface MethodCoverage {
  method: AcquisitionMethod;
  windows: CoverageWindow[];
}

export interface StreamCoverage {
  stream: string;
  methods: MethodCoverage[];
}

function day(time: string): string {
  return time.slice(0, 10);
}

function nextDay(isoDay: string): string {
  const date = new Date(`${isoDay}T00:00:00Z`);
  date.setUTCDate(date.getUTCDate() + 1);
  return date.toISOString().slice(0, 10);
}

/** Merges overlapping or adjacent day windows of the same completeness. */
export function mergeWindows(windows: CoverageWindow[]): CoverageWindow[] {
  const sorted = [...windows].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const merged: CoverageWindow[] = [];
  for (const window of sorted) {
    const last = merged.findLast((candidate) => candidate.completeness === window.completeness);
    if (last && window.start <= nextDay(last.end)) {
      if (window.end > last.end) last.end = window.end;
      last.batchIds = [...new Set([...last.batchIds, ...window.batchIds])];
    } else {
      merged.push({ ...window, batchIds: [...window.batchIds] });
    }
  }
  return merged;
}

export function coverageView(batches: readonly AcquisitionBatch[]): StreamCoverage[] {
  const byStream = new Map<string, Map<AcquisitionMethod, CoverageWindow[]>>();
  for (const batch of batches) {
    for (const claim of batch.coverage) {
      const methods = byStream.get(claim.stream) ?? new Map<AcquisitionMethod, CoverageWindow[]>();
      byStream.set(claim.stream, methods);
      const windows = methods.get(batch.method) ?? [];
      methods.set(batch.method, windows);
      windows.push({ start: day(claim.start), end: day(claim.end), completeness: claim.completeness, batchIds: [batch.id] });
    }
  }
  return [...byStream.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([stream, methods]) => ({
      stream,
      methods: [...methods.entries()]
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([method, windows]) => ({ method, windows: mergeWindows(windows) })),
    }));
}
