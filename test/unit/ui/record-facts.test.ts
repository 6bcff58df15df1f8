/**
 * A record's facts as the records browser shows them: times in the owner's
 * time zone and the one date format (src/ui/format.ts), never ISO or "UTC".
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { watchHistoryStream } from '../../../src/connectors/youtube/streams';
import { viewingActivityStream } from '../../../src/connectors/netflix/streams';
import { factsInWords, formatEventDay, formatFieldValue } from '../../../src/ui/format';

const zone = process.env.TZ;
beforeAll(() => {
  // Los Angeles: an export instant of 15:00 UTC is 08:00 there (Node reads TZ when it changes).
  process.env.TZ = 'America/Los_Angeles';
});
afterAll(() => {
  if (zone === undefined) delete process.env.TZ;
  else process.env.TZ = zone;
});

describe('YouTube viewings in the records browser', () => {
  it('the export’s instant in local time, the page’s day as a day, no ISO and no UTC', () => {
    const exported = { id: 'takeout:k3Vd9Qz1pLm:2026-03-12T15:00:00.000Z', video_id: 'k3Vd9Qz1pLm', video_title: 'Sourdough at altitude', channel_name: 'Priya Bakes', watched_at: '2026-03-12T15:00:00.000Z', watched_at_precision: 'instant' };
    const line = factsInWords(watchHistoryStream.present!(exported).facts);
    expect(line).toBe('Priya Bakes · Watched Mar 12, 2026, 08:00');
    const page = { id: 'page:k3Vd9Qz1pLm:2026-03-12', video_id: 'k3Vd9Qz1pLm', video_title: 'Sourdough at altitude', channel_name: 'Priya Bakes', watched_at: '2026-03-12T00:00:00-07:00', watched_on: '2026-03-12', watched_at_precision: 'day' };
    expect(factsInWords(watchHistoryStream.present!(page).facts)).toBe('Priya Bakes · Watched on Mar 12, 2026');
    for (const text of [line, factsInWords(watchHistoryStream.present!(page).facts)]) expect(text).not.toMatch(/UTC|\d{4}-\d{2}-\d{2}/);
  });
});

describe('Netflix viewings in the records browser', () => {
  it('facts carry no time; the start is labelled without "(UTC)" because it is shown in local time', () => {
    const viewing = { id: 'a'.repeat(28), title: 'Harbor Lights', watched_on: '2024-03-01', watched_at: '2024-03-01T23:30:00Z', watched_at_precision: 'instant', profile_name: 'Dana', duration_seconds: 2820, source_schema: 'full_export' };
    expect(factsInWords(viewingActivityStream.present!(viewing).facts)).toBe('Profile Dana · Watched 47 min');
    expect(viewingActivityStream.fieldLabels?.watched_at).toBe('Started at');
    expect(formatFieldValue(viewing.watched_at)).toBe('Mar 1, 2024, 15:30');
  });
});

describe('the Date column', () => {
  it('shows an instant on the owner’s calendar and a bare day as written', () => {
    // 01:30 UTC on Mar 2 is the evening of Mar 1 in Los Angeles: the day beside "Mar 1, 2024, 17:30".
    expect(formatEventDay('2024-03-02T01:30:00Z')).toBe('Mar 1, 2024');
    expect(formatFieldValue('2024-03-02T01:30:00Z')).toBe('Mar 1, 2024, 17:30');
    // A page's local midnight, written with its offset, stays on its own day.
    expect(formatEventDay('2026-03-12T00:00:00-07:00')).toBe('Mar 12, 2026');
    // A day has no zone to convert.
    expect(formatEventDay('2024-03-02')).toBe('Mar 2, 2024');
    expect(formatEventDay('not a date')).toBe('not a date');
  });
});
