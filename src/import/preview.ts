/** Accumulates the preview of an upload chunk by chunk, in memory bounded by months and problem codes, not by rows. */
import type { ConnectorDefinition, StreamDefinition } from '../connectors/types';
import type { BatchWarning, Observation } from '../core/model';
import type { ParsedChunk } from '../artifacts/streaming';
import { joinedRecordKey, recordIdentity } from '../core/merge-engine';

/** The model's `EventTime` pattern (checked per record here, so without zod's per-call cost). */
const EVENT_TIME_RE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
import type { ImportProblem } from './types';

const MAX_PROBLEM_CODES = 40;
const MAX_WHERE = 5;

export class ProblemLog {
  private readonly byCode = new Map<string, ImportProblem>();

  add(warnings: readonly BatchWarning[]): void {
    for (const warning of warnings) {
      // Overflow notes ("12 more … warnings") add to the count of their code.
      const overflow = /^(\d+) more "([\w-]+)" warnings/.exec(warning.message);
      const code = overflow ? overflow[2]! : warning.code;
      const problem = this.byCode.get(code);
      if (problem) {
        problem.count += overflow ? Number(overflow[1]) : 1;
        if (warning.where && problem.where.length < MAX_WHERE) problem.where.push(warning.where);
      } else if (this.byCode.size < MAX_PROBLEM_CODES) {
        this.byCode.set(code, { code, message: warning.message, count: overflow ? Number(overflow[1]) : 1, where: warning.where ? [warning.where] : [] });
      }
    }
  }

  list(): ImportProblem[] {
    return [...this.byCode.values()];
  }
}

/** Month keys `YYYY-MM` between two days, inclusive. */
function monthsBetween(start: string, end: string): string[] {
  const out: string[] = [];
  let year = Number(start.slice(0, 4));
  let month = Number(start.slice(5, 7));
  const endKey = end.slice(0, 7);
  for (let guard = 0; guard < 2400; guard++) {
    const key = `${year}-${String(month).padStart(2, '0')}`;
    out.push(key);
    if (key >= endKey) break;
    month += 1;
    if (month > 12) (month = 1), (year += 1);
  }
  return out;
}

function lastDayOf(monthKey: string): string {
  const [y, m] = monthKey.split('-').map(Number) as [number, number];
  const day = new Date(Date.UTC(y, m, 0)).getUTCDate();
  return `${monthKey}-${String(day).padStart(2, '0')}`;
}

/** Runs of at least `minMonths` empty months inside the range, longest first. */
export function gapsOf(months: ReadonlyMap<string, number>, start: string, end: string, minMonths = 3): { start: string; end: string }[] {
  const gaps: { start: string; end: string; length: number }[] = [];
  let runStart: string | undefined;
  let runLength = 0;
  let previous = '';
  for (const key of monthsBetween(start, end)) {
    if (!months.get(key)) {
      runStart ??= key;
      runLength += 1;
    } else {
      if (runStart && runLength >= minMonths) gaps.push({ start: `${runStart}-01`, end: lastDayOf(previous), length: runLength });
      runStart = undefined;
      runLength = 0;
    }
    previous = key;
  }
  return gaps
    .sort((a, b) => b.length - a.length)
    .slice(0, 10)
    .map(({ start: s, end: e }) => ({ start: s, end: e }))
    .sort((a, b) => a.start.localeCompare(b.start));
}

export interface KeyedObservation {
  stream: StreamDefinition;
  /** The record's identity in its stream (`recordIdentity`), as the store keys it after the connection and stream. */
  key: string;
  eventTime: string;
}

/** Each connector's streams by name, made once: keyObservations runs for every chunk. */
const streamsByName = new WeakMap<ConnectorDefinition, ReadonlyMap<string, StreamDefinition>>();

/** Stream, record identity and event time of each observation the merge engine would accept. */
export function keyObservations(connector: ConnectorDefinition, observations: readonly Observation[]): KeyedObservation[] {
  let streams = streamsByName.get(connector);
  if (!streams) streamsByName.set(connector, (streams = new Map(connector.streams.map((stream) => [stream.name, stream]))));
  const out: KeyedObservation[] = [];
  // Records next to each other often share their time (an order and its items): tested once.
  let wellFormed = '';
  for (const observation of observations) {
    const stream = streams.get(observation.stream);
    if (!stream) continue;
    const key = joinedRecordKey(stream, observation.data);
    if (key === undefined) continue;
    const time = observation.data[stream.eventTimeField];
    let eventTime = '';
    if (typeof time === 'string' && (time === wellFormed || (time.length <= 40 && EVENT_TIME_RE.test(time)))) eventTime = wellFormed = time;
    out.push({ stream, key: recordIdentity(stream, 'owner_artifact', key), eventTime });
  }
  return out;
}

export class PreviewTally {
  rowsRead = 0;
  skipped = 0;
  duplicates = 0;
  failed = 0;
  records = 0;
  undated = 0;
  chunks = 0;
  readonly recordsByStream: Record<string, number> = {};
  readonly months = new Map<string, number>();
  readonly problems = new ProblemLog();
  start = '';
  end = '';
  /** The month key (`YYYY-MM`) of the last dated record. */
  private lastMonth = '';

  constructor(private readonly primaryStream: string) {}

  add(chunk: ParsedChunk, keyed: readonly KeyedObservation[]): void {
    this.chunks += 1;
    this.rowsRead += chunk.rowsRead;
    this.skipped += chunk.skipped;
    this.duplicates += chunk.duplicates;
    this.failed += chunk.failed + (chunk.observations.length - keyed.length);
    this.problems.add(chunk.warnings);
    this.records += keyed.length - chunk.continuations;
    for (const entry of keyed) {
      this.recordsByStream[entry.stream.name] = (this.recordsByStream[entry.stream.name] ?? 0) + 1;
      if (entry.stream.name !== this.primaryStream) continue;
      if (!entry.eventTime) {
        this.undated += 1;
        continue;
      }
      if (!this.start || entry.eventTime < this.start) this.start = entry.eventTime;
      if (!this.end || entry.eventTime > this.end) this.end = entry.eventTime;
      // Records come in runs of one month: the run's key is used again, not cut anew from each time.
      const month = this.lastMonth !== '' && entry.eventTime.startsWith(this.lastMonth) ? this.lastMonth : (this.lastMonth = entry.eventTime.slice(0, 7));
      this.months.set(month, (this.months.get(month) ?? 0) + 1);
    }
  }
}
