import { describe, expect, it } from 'vitest';
import { ArtifactError } from '../../../../src/artifacts/errors';
import { netflixViewingActivityParser as full, netflixViewingHistoryParser as quick } from '../../../../src/connectors/netflix/artifact';
import { NetflixViewing } from '../../../../src/connectors/netflix/streams';
import { orderEvidence, parseDay, parseDuration, parseStartTime } from '../../../../src/connectors/netflix/util';
import { expectations, netflixFixtureBytes, readNetflixFixture, type NetflixCsvFixture } from '../../../fixtures/netflix';
import { withTimeZone } from '../amazon/helpers';
import { drain, streamFile, titleDay } from './helpers';

const file = (name: NetflixCsvFixture, piece = 7) => streamFile(name, netflixFixtureBytes(name), piece);

describe('dates and times', () => {
  it('reads local dates in the file’s order, two-digit years as 20xx up to 68', () => {
    expect(parseDay('3/15/24', null)).toBe('2024-03-15');
    expect(parseDay('15/03/2024', null)).toBe('2024-03-15');
    expect(parseDay('15.03.24', null)).toBe('2024-03-15');
    expect(parseDay('3/4/24', 'MDY')).toBe('2024-03-04');
    expect(parseDay('3/4/24', 'DMY')).toBe('2024-04-03');
    expect(parseDay('3/4/24', null)).toBeNull();
    expect(parseDay('5/5/69', null)).toBe('1969-05-05');
    expect(parseDay('2020-12-09', null)).toBe('2020-12-09');
    expect(parseDay('2/30/24', 'MDY')).toBeNull();
    expect(parseDay('yesterday', 'MDY')).toBeNull();
    expect(orderEvidence('13/1/24')).toBe('DMY');
    expect(orderEvidence('1/13/24')).toBe('MDY');
    expect(orderEvidence('1/1/24')).toBeNull();
  });

  it('reads the export’s unmarked UTC start times and H:MM:SS durations', () => {
    expect(parseStartTime('2024-03-16 02:10:00')).toBe('2024-03-16T02:10:00Z');
    expect(parseStartTime('2024-03-16 25:10:00')).toBeNull();
    expect(parseStartTime('16/03/2024 02:10')).toBeNull();
    expect(parseDuration('1:42:10')).toBe(6130);
    expect(parseDuration('0:00:25')).toBe(25);
    expect(parseDuration('42%')).toBeNull();
  });
});

describe('NetflixViewingHistory.csv (Download all)', () => {
  it('recognises the file by its exact Title,Date header', () => {
    expect(quick.sniff({ path: 'x.csv', format: 'csv', head: readNetflixFixture('NetflixViewingHistory.csv') })).toBeGreaterThanOrEqual(0.9);
    expect(quick.sniff({ path: 'x.csv', format: 'csv', head: '\uFEFFTitle,Date\r\n"A","1/2/24"' })).toBeGreaterThanOrEqual(0.9);
    expect(quick.sniff({ path: 'NetflixViewingHistory.csv', format: 'csv', head: 'Title,Date,Rating\n' })).toBe(0);
    expect(full.sniff({ path: 'x.csv', format: 'csv', head: readNetflixFixture('NetflixViewingHistory.csv') })).toBe(0);
  });

  for (const name of ['NetflixViewingHistory.csv', 'NetflixViewingHistory-dmy.csv', 'NetflixViewingHistory-iso.csv'] as const) {
    it(`reads every row of ${name}, whole and streamed`, async () => {
      const whole = quick.parse([{ path: name, text: () => readNetflixFixture(name) }]);
      expect(titleDay(whole.observations)).toEqual(expectations.quickCsv[name]);
      expect(whole.accountHint).toBeUndefined();
      expect(whole.failed).toBe(0);
      const streamed = await drain(quick, [file(name)], 1);
      expect(streamed.observations).toEqual(whole.observations);
      expect(streamed.chunks.length).toBeGreaterThan(1);
      for (const observation of streamed.observations) {
        expect(NetflixViewing.safeParse(observation.data).success).toBe(true);
        expect(observation.data).toMatchObject({ watched_at_precision: 'day', source_schema: 'direct_history' });
      }
      const days = expectations.quickCsv[name]!.map(([, day]) => day).sort();
      expect(streamed.summary.coverage).toEqual([expect.objectContaining({ start: days[0], end: days.at(-1), completeness: 'partial' })]);
    });
  }

  it('keeps a French title’s no-break spaces and drops the BOM', async () => {
    const { observations } = await drain(quick, [file('NetflixViewingHistory-dmy.csv', 1)]);
    expect(observations[0]!.data.title).toBe('Le Bureau des Légendes\u00a0: Saison 1\u00a0: Épisode 3');
  });

  it('infers the order from a row late in the file (after a chunk boundary)', async () => {
    const rows = Array.from({ length: 30 }, (_, i) => `"Show ${i}","${(i % 12) + 1}/${(i % 12) + 1 === 1 ? 2 : 1}/24"`);
    rows.push('"Late","4/20/24"');
    const { observations } = await drain(quick, [streamFile('NetflixViewingHistory.csv', `Title,Date\n${rows.join('\n')}\n`)], 5);
    expect(observations).toHaveLength(31);
    expect(observations[2]!.data.watched_on).toBe('2024-03-01'); // 3/1/24 read month-first
  });

  it('refuses a file whose every date could be read both ways, saying why and what to do', async () => {
    const name = 'NetflixViewingHistory-ambiguous.csv';
    const refusal = await drain(quick, [file(name)]).catch((error: unknown) => error);
    expect(refusal).toBeInstanceOf(ArtifactError);
    expect((refusal as ArtifactError).code).toBe('ambiguous_dates');
    expect((refusal as ArtifactError).message).toMatch(/day-first or month-first/);
    expect((refusal as ArtifactError).message).toMatch(/getmyinfo/);
    expect(() => quick.parse([{ path: name, text: () => readNetflixFixture(name) }])).toThrow(/day-first or month-first/);
  });

  it('keys the same title and day the same, and never like the page or the full export', () => {
    const a = quick.parse([{ path: 'a.csv', text: () => readNetflixFixture('NetflixViewingHistory.csv') }]);
    const b = quick.parse([{ path: 'b.csv', text: () => readNetflixFixture('NetflixViewingHistory-iso.csv') }]);
    expect(b.observations[0]!.data.id).toBe(a.observations[0]!.data.id);
    const fullIds = new Set(full.parse([{ path: 'v.csv', text: () => readNetflixFixture('ViewingActivity.csv') }]).observations.map((o) => o.data.id));
    for (const observation of a.observations) expect(fullIds.has(observation.data.id)).toBe(false);
  });
});

describe('ViewingActivity.csv (full account export)', () => {
  it('claims the file inside the zip and recognises it by its header', () => {
    expect(full.claims('CONTENT_INTERACTION/ViewingActivity.csv')).toBe(true);
    expect(full.claims('CONTENT_INTERACTION/Ratings.csv')).toBe(false);
    expect(full.sniff({ path: 'x.csv', format: 'csv', head: readNetflixFixture('ViewingActivity.csv') })).toBeGreaterThanOrEqual(0.9);
    expect(full.sniff({ path: 'x.csv', format: 'csv', head: 'Profile Name,Start Time (UTC),Duration,Title\n' })).toBeGreaterThanOrEqual(0.9);
  });

  it('reads every viewing of every profile with its instant, device and duration, and skips extras with a counted reason', async () => {
    // (chunks of 4 rows of one profile each)
    const { observations, chunks, summary } = await drain(full, [file('ViewingActivity.csv')], 4);
    // Rows wait in their profile's chunk, so profiles may come out interleaved; within a profile, file order.
    expect(observations.map((o) => [o.data.title, o.data.profile_name, o.data.watched_at])).toEqual(expect.arrayContaining(expectations.fullExport.viewings));
    expect(observations).toHaveLength(expectations.fullExport.viewings.length);
    expect(observations.filter((o) => o.data.profile_name === 'Dana').map((o) => o.data.watched_at)).toEqual(expectations.fullExport.viewings.filter(([, p]) => p === 'Dana').map(([, , at]) => at));
    const sum = (key: 'rowsRead' | 'skipped' | 'duplicates' | 'failed') => chunks.reduce((n, chunk) => n + chunk[key], 0);
    expect(sum('rowsRead')).toBe(expectations.fullExport.rows);
    expect(sum('skipped')).toBe(expectations.fullExport.supplemental + expectations.fullExport.duplicates);
    expect(sum('duplicates')).toBe(expectations.fullExport.duplicates);
    expect(sum('failed')).toBe(0);
    const warnings = chunks.flatMap((chunk) => chunk.warnings);
    const extras = warnings.filter((w) => w.code === 'supplemental_video');
    expect(extras).toHaveLength(expectations.fullExport.supplemental);
    expect(extras[0]!.message).toMatch(/not viewings of a title and were skipped/);
    expect(extras.map((w) => w.where)).toEqual(['ViewingActivity.csv row 2', 'ViewingActivity.csv row 5', 'ViewingActivity.csv row 7', 'ViewingActivity.csv row 8', 'ViewingActivity.csv row 13']);
    // Each chunk holds one profile's rows and counts, so each profile's receipt counts its own skips.
    expect(chunks.every((chunk) => chunk.accountHint && chunk.observations.every((o) => chunk.accountHint!.label.startsWith(o.data.profile_name as string)))).toBe(true);
    const samChunks = chunks.filter((chunk) => chunk.accountHint?.key === expectations.profileKeys.sam);
    expect(samChunks.reduce((n, chunk) => n + chunk.rowsRead, 0)).toBe(4);
    expect(samChunks.reduce((n, chunk) => n + chunk.skipped, 0)).toBe(2);
    expect(summary.coverage).toEqual([expect.objectContaining({ start: expectations.fullExport.range.start, completeness: 'partial' })]);
    expect(summary.accountHint).toBeUndefined(); // two profiles: no one account for the whole file
    const first = observations[0]!.data;
    expect(first).toMatchObject({ device_type: 'Samsung 2019 UHD TV', duration_seconds: 2832, country: 'US (United States)', watched_at_precision: 'instant', source_schema: 'full_export' });
    expect(observations[1]!.data.attributes).toBe('Not latest view');
    for (const observation of observations) expect(NetflixViewing.safeParse(observation.data).success).toBe(true);
  });

  it('dates each viewing by its day in the browser’s time zone', () => {
    const parse = () => full.parse([{ path: 'v.csv', text: () => readNetflixFixture('ViewingActivity.csv') }]).observations[0]!.data.watched_on;
    expect(withTimeZone('America/New_York', parse)).toBe('2024-03-15');
    expect(withTimeZone('Europe/Berlin', parse)).toBe('2024-03-16');
  });

  it('names the profile when the file holds only one', () => {
    const only = readNetflixFixture('ViewingActivity.csv').split('\r\n').filter((line) => !line.startsWith('Sam O.')).join('\r\n');
    const result = full.parse([{ path: 'ViewingActivity.csv', text: () => only }]);
    expect(result.accountHint?.key).toBe(expectations.profileKeys.dana);
  });

  it('tolerates a BOM and a "(UTC)" header suffix', async () => {
    const text = `\uFEFFProfile Name,Start Time (UTC),Duration,Attributes,Title,Supplemental Video Type,Device Type,Bookmark,Latest Bookmark,Country\n"Zoë","2024-01-01 10:00:00","0:10:00",,"Amélie",,"TV",,,"FR (France)"\n`;
    const { observations } = await drain(full, [streamFile('ViewingActivity.csv', text, 3)]);
    expect(observations.map((o) => [o.data.profile_name, o.data.title, o.data.watched_at])).toEqual([['Zoë', 'Amélie', '2024-01-01T10:00:00Z']]);
  });
});
