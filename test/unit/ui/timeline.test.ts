/** Timeline geometry and gap computation. */
import { describe, expect, it } from 'vitest';
import { coverageGaps, dayNumber, dayString, describeDuration, layoutTimeline, unionWindows } from '../../../src/ui/timeline';

describe('days', () => {
  it('round-trips calendar days, instants count by their day', () => {
    expect(dayString(dayNumber('2024-02-29'))).toBe('2024-02-29');
    expect(dayNumber('2024-03-01') - dayNumber('2024-02-28')).toBe(2);
    expect(dayNumber('2023-02-08T03:41:19Z')).toBe(dayNumber('2023-02-08'));
  });
});

describe('unionWindows and coverageGaps', () => {
  it('joins overlapping and touching windows, and finds the days between', () => {
    const windows = [
      { start: '2024-01-01', end: '2024-12-31' },
      { start: '2019-02-03', end: '2023-09-02' },
      { start: '2023-09-03', end: '2023-09-10' }, // touches the export's end: no gap
      { start: '2024-03-01', end: '2024-03-02' }, // inside 2024
    ];
    expect(unionWindows(windows)).toEqual([
      { start: '2019-02-03', end: '2023-09-10' },
      { start: '2024-01-01', end: '2024-12-31' },
    ]);
    expect(coverageGaps(windows)).toEqual([{ start: '2023-09-11', end: '2023-12-31', days: 112, kind: 'between' }]);
  });

  it('adds the stretch from the last covered day to today, and nothing when today is covered', () => {
    expect(coverageGaps([{ start: '2024-01-01', end: '2024-12-31' }], '2025-01-10')).toEqual([{ start: '2025-01-01', end: '2025-01-10', days: 10, kind: 'since' }]);
    expect(coverageGaps([{ start: '2024-01-01', end: '2024-12-31' }], '2024-12-31')).toEqual([]);
    expect(coverageGaps([])).toEqual([]);
  });
});

describe('layoutTimeline', () => {
  const lanes = [
    { method: 'browser_polyfill' as const, windows: [{ start: '2024-01-01', end: '2024-12-31', completeness: 'full' as const, batchIds: ['b2'] }], tombstoned: 0 },
    { method: 'owner_artifact' as const, windows: [{ start: '2019-02-03', end: '2023-09-02', completeness: 'partial' as const, batchIds: ['b1'] }], tombstoned: 2 },
  ];

  it('puts history first, spans Jan 1 of the first year to the last day, and places windows proportionally', () => {
    const layout = layoutTimeline(lanes, { width: 1000 })!;
    expect(layout.lanes.map((lane) => lane.method)).toEqual(['owner_artifact', 'browser_polyfill']);
    expect(layout.domain).toEqual({ start: '2019-01-01', end: '2024-12-31' });
    const total = dayNumber('2024-12-31') + 1 - dayNumber('2019-01-01');
    const [history, current] = layout.lanes;
    expect(history!.windows[0]!.x).toBeCloseTo(((dayNumber('2019-02-03') - dayNumber('2019-01-01')) / total) * 1000, 1);
    expect(current!.windows[0]!.x + current!.windows[0]!.width).toBeCloseTo(1000, 1);
    expect(history!.windows[0]!.x + history!.windows[0]!.width).toBeLessThan(current!.windows[0]!.x);
    expect(history!.tombstoned).toBe(2);
    expect(layout.ticks.map((tick) => tick.label)).toEqual(['2019', '2020', '2021', '2022', '2023', '2024']);
    expect(layout.ticks[0]!.x).toBe(0);
    expect(layout.gaps).toHaveLength(1);
    expect(layout.gaps[0]).toMatchObject({ start: '2023-09-03', end: '2023-12-31' });
    expect(layout.gaps[0]!.x).toBeCloseTo(history!.windows[0]!.x + history!.windows[0]!.width, 1);
  });

  it('extends the axis to today, keeps a one-day window visible, and always draws the lanes asked for', () => {
    const layout = layoutTimeline([{ method: 'browser_polyfill', windows: [{ start: '2024-01-15', end: '2024-01-15', completeness: 'partial', batchIds: ['b'] }], tombstoned: 0 }], { today: '2026-11-28', always: ['owner_artifact', 'browser_polyfill'] })!;
    expect(layout.domain).toEqual({ start: '2024-01-01', end: '2026-11-28' });
    expect(layout.lanes.map((lane) => [lane.method, lane.windows.length])).toEqual([
      ['owner_artifact', 0],
      ['browser_polyfill', 1],
    ]);
    expect(layout.lanes[1]!.windows[0]!.width).toBeGreaterThanOrEqual(3);
    expect(layout.gaps.at(-1)).toMatchObject({ kind: 'since', start: '2024-01-16', end: '2026-11-28' });
    expect(layoutTimeline([], { always: ['owner_artifact'] })).toBeUndefined();
  });

  it('thins year ticks on long spans', () => {
    const layout = layoutTimeline([{ method: 'owner_artifact', windows: [{ start: '2001-01-01', end: '2024-01-01', completeness: 'partial', batchIds: [] }], tombstoned: 0 }])!;
    expect(layout.ticks.map((tick) => tick.label)).toEqual(['2001', '2006', '2011', '2016', '2021']);
  });

  it('describes gap lengths in owner words', () => {
    expect(describeDuration(1)).toBe('1 day');
    expect(describeDuration(120)).toBe('4 months');
    expect(describeDuration(700)).toBe('1.9 years');
    expect(describeDuration(730)).toBe('2 years');
  });
});
