/**
 * The order-history parser's preview mode (`ChunkOptions.preview`) against its full parse of the same
 * bytes: the same chunks, counts, continuations, warnings and summary, and records whose fields the
 * preview reads (keys, event days, the account evidence) hold the same values. So the preview's tallies
 * (records per stream, keys, window, gaps, evidence, problems) are the commit's.
 */
import fc from 'fast-check';
import Papa from 'papaparse';
import { describe, expect, it } from 'vitest';
import { amazonConnector } from '../../../../src/connectors/amazon';
import { amazonOrderHistoryParser as parser } from '../../../../src/connectors/amazon/artifact';
import { ARTIFACT_LIMITS } from '../../../../src/artifacts/limits';
import { bytesSource } from '../../../../src/artifacts/source';
import type { ParsedChunk, ParseSummary, StreamFile } from '../../../../src/artifacts/streaming';
import type { Observation } from '../../../../src/core/model';
import { AccountEvidenceTally } from '../../../../src/import/account-naming';
import { gapsOf, keyObservations, PreviewTally } from '../../../../src/import/preview';
import { amazonExportCsvBytes } from '../../../fixtures/amazon';
import { amazonCsv } from '../../import/generate-amazon-csv';

function streamFile(text: string | Uint8Array, path: string): StreamFile {
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const source = bytesSource(bytes);
  // Small slices: rows and characters fall across the reads.
  return { path, sizeBytes: bytes.length, fingerprint: path, bytes: () => source.stream(0, source.size, 97) };
}

async function parseAll(files: StreamFile[], chunkRows: number, preview: boolean): Promise<{ chunks: ParsedChunk[]; summary: ParseSummary }> {
  const generator = parser.parseChunks(files, { chunkRows, limits: ARTIFACT_LIMITS, preview });
  const chunks: ParsedChunk[] = [];
  for (;;) {
    const step = await generator.next();
    if (step.done) return { chunks, summary: step.value };
    chunks.push(step.value);
  }
}

/** The fields of a record the preview reads: each stream's key and event time, the connector's account evidence. */
function previewed(observation: Observation): Observation {
  const stream = amazonConnector.streams.find((entry) => entry.name === observation.stream)!;
  const evidence = amazonConnector.accountNaming?.evidence;
  const fields = [...stream.primaryKey, stream.eventTimeField, ...(evidence?.stream === stream.name ? [evidence.field] : [])];
  return { stream: observation.stream, data: Object.fromEntries(fields.filter((field) => field in observation.data).map((field) => [field, observation.data[field]])) };
}

/** What the preview pass makes of the chunks (src/import/preview-pass.ts): its tallies, keys and evidence. */
function tallied(chunks: ParsedChunk[]) {
  const tally = new PreviewTally('orders');
  const evidence = new AccountEvidenceTally(amazonConnector);
  const keys: string[] = [];
  for (const chunk of chunks) {
    const keyed = keyObservations(amazonConnector, chunk.observations);
    tally.add(chunk, keyed);
    evidence.add(chunk.observations);
    keys.push(...keyed.map((entry) => `${entry.stream.name}/${entry.key}@${entry.eventTime}`));
  }
  const { months, problems, ...counts } = tally;
  return {
    counts,
    problems: problems.list(),
    gaps: tally.start ? gapsOf(months, tally.start, tally.end) : [],
    months: [...months],
    evidence: evidence.summary(),
    keys,
  };
}

async function expectSamePreview(files: () => StreamFile[], chunkRows: number): Promise<{ records: number }> {
  const full = await parseAll(files(), chunkRows, false);
  const preview = await parseAll(files(), chunkRows, true);
  expect(preview.summary).toEqual(full.summary);
  expect(preview.chunks).toEqual(full.chunks.map((chunk) => ({ ...chunk, observations: chunk.observations.map(previewed) })));
  // Preview records hold nothing else (what the mode saves).
  for (const chunk of preview.chunks) for (const observation of chunk.observations) expect(previewed(observation)).toEqual(observation);
  const fromFull = tallied(full.chunks);
  expect(tallied(preview.chunks)).toEqual(fromFull);
  return { records: fromFull.counts.records };
}

const HEADER = ['Website', 'Order ID', 'Order Date', 'Currency', 'Unit Price', 'Total Owed', 'ASIN', 'Quantity', 'Order Status', 'Shipping Address', 'Payment Instrument Type', 'Product Name', 'Ship Date'];

/** Rows as a real export has them and as a broken one might: repeated, far-apart, undated, unidentified, misshapen. */
const cells = fc.record({
  website: fc.constantFrom('Amazon.com', 'www.amazon.co.uk', '', 'Not Available'),
  id: fc.constantFrom('111-1111111-1111111', '112-2222222-2222222', 'D01-3333333-3333333', '114-4444444-4444444', '', 'not-an-id', ' 111-1111111-1111111 '),
  date: fc.constantFrom(
    '2020-01-01T10:00:00Z',
    '2020-01-01T23:30:00Z',
    '2019-12-31T23:59:59Z',
    '2024-02-29T12:00:00Z',
    '2023-02-29T12:00:00Z',
    '2022-06-01T24:00:00Z',
    '2021-03-04T05:06:07.250Z',
    '2021-03-04T05:06:07+05:30',
    '2021-03-04',
    '2021-03-04T23:30:00',
    '2021-3-4',
    '',
    'Not Available',
  ),
  currency: fc.constantFrom('USD', 'eur', '', 'N/A'),
  price: fc.constantFrom('12.50', '0', '1,234.56', '', 'Not Available', '-3.00'),
  total: fc.constantFrom('0', '0.00', '12.50', '-12.50', '$1,234.56', '', 'Not Available'),
  asin: fc.constantFrom('B000000001', 'b000000002', 'B000000003', '', 'NOTANASIN', 'Not Available'),
  quantity: fc.constantFrom('1', '2', '', 'x'),
  status: fc.constantFrom('Closed', 'Shipped', ''),
  address: fc.constantFrom('Dana Whitfield, 1 Main St', 'Sam Okafor, 2 Elm St', 'Sam', '', '  Sam   Okafor ,x'),
  payment: fc.constantFrom('Visa - 4242', ''),
  name: fc.constantFrom('Mug', '  Handmade   Mug ', '', 'Not Available', 'Café — crème'),
  ship: fc.constantFrom('2020-01-02T10:00:00Z', '2020-01-03T10:00:00Z'),
});

type Line = { kind: 'row'; cells: string[] } | { kind: 'repeat'; back: number } | { kind: 'blank' } | { kind: 'short' | 'long'; cells: string[] };

const line: fc.Arbitrary<Line> = fc.oneof(
  { weight: 12, arbitrary: cells.map((c) => ({ kind: 'row' as const, cells: [c.website, c.id, c.date, c.currency, c.price, c.total, c.asin, c.quantity, c.status, c.address, c.payment, c.name, c.ship] })) },
  { weight: 3, arbitrary: fc.nat(40).map((back) => ({ kind: 'repeat' as const, back })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'blank' as const }) },
  { weight: 1, arbitrary: cells.map((c) => ({ kind: 'short' as const, cells: [c.website, c.id, c.date] })) },
  { weight: 1, arbitrary: cells.map((c) => ({ kind: 'long' as const, cells: [c.website, c.id, c.date, c.currency, c.price, c.total, c.asin, c.quantity, c.status, c.address, c.payment, c.name, c.ship, 'extra'] })) },
);

function csvOf(lines: Line[], crlf: boolean): string {
  const rows: string[][] = [];
  const out: string[] = [Papa.unparse([HEADER])];
  for (const entry of lines) {
    if (entry.kind === 'blank') {
      out.push('');
      continue;
    }
    const row = entry.kind === 'repeat' ? rows[rows.length - 1 - (entry.back % Math.max(rows.length, 1))] : entry.cells;
    if (!row) continue;
    rows.push(row);
    out.push(Papa.unparse([row]));
  }
  return out.join(crlf ? '\r\n' : '\n');
}

describe('the order history parser in preview mode', () => {
  it('yields the full parse’s chunks, counts, warnings and keys for Dana’s export, alone and uploaded twice', async () => {
    const bytes = amazonExportCsvBytes();
    for (const chunkRows of [1, 2, 3, 1000]) {
      await expectSamePreview(() => [streamFile(bytes, 'Retail.OrderHistory.1/Retail.OrderHistory.1.csv')], chunkRows);
      await expectSamePreview(() => [streamFile(bytes, 'Retail.OrderHistory.1.csv'), streamFile(bytes, 'Retail.OrderHistory.1 (1).csv')], chunkRows);
    }
  });

  it('yields the same for a generated 3,000-row export cut into many chunks', async () => {
    const { records } = await expectSamePreview(() => [streamFile(amazonCsv(3000, 11), 'Retail.OrderHistory.1.csv')], 100);
    expect(records).toBeGreaterThan(3000);
  });

  it('yields the same for any mix of repeated, far-apart, undated, unidentified and misshapen rows, in any time zone', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(line, { minLength: 1, maxLength: 40 }),
        fc.array(line, { maxLength: 20 }),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        fc.constantFrom('UTC', 'America/Los_Angeles', 'Asia/Kolkata'),
        async (first, second, chunkRows, crlf, zone) => {
          const files = () => [streamFile(`\uFEFF${csvOf(first, crlf)}`, 'Retail.OrderHistory.1.csv'), ...(second.length ? [streamFile(csvOf([...first.slice(0, 3), ...second], crlf), 'Retail.OrderHistory.2.csv')] : [])];
          const before = process.env.TZ;
          process.env.TZ = zone;
          try {
            await expectSamePreview(files, chunkRows);
          } finally {
            if (before === undefined) delete process.env.TZ;
            else process.env.TZ = before;
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it('drops a continuation that adds nothing exactly as the full parse does (its total is read for that)', async () => {
    const head = 'Order ID,Order Date,ASIN,Product Name,Total Owed\n';
    const a = '111-1111111-1111111';
    const others = ['112-2222222-2222222,2020-01-02T10:00:00Z,B000000002,Lamp,1.00', '113-3333333-3333333,2020-01-03T10:00:00Z,B000000003,Pen,1.00'];
    for (const tail of [[`${a},,,,0`], [`${a},,,,0.00`, `${a},,,,7.00`], [`${a},,,,-7.00`, `${a},,,,7.00`], [`${a},,,,Not Available`]]) {
      const text = head + [`${a},2020-01-01T10:00:00Z,B000000001,Mug,5.00`, ...others, ...tail].join('\n');
      await expectSamePreview(() => [streamFile(text, 'Retail.OrderHistory.1.csv')], 1);
    }
    const dropped = await parseAll([streamFile(head + [`${a},2020-01-01T10:00:00Z,B000000001,Mug,5.00`, ...others, `${a},,,,0`].join('\n'), 'Retail.OrderHistory.1.csv')], 1, true);
    expect(dropped.chunks.flatMap((chunk) => chunk.observations).filter((observation) => observation.data.id === a)).toHaveLength(1);
  });

  it('leaves out the columns the preview does not read (a name is read only when no ASIN keys the item)', async () => {
    const text = 'Order ID,Order Date,ASIN,Product Name,Total Owed,Currency\n111-1111111-1111111,2020-01-01T10:00:00Z,,  Handmade   Mug  ,12.50,USD\n111-1111111-1111111,2020-01-01T10:00:00Z,B000000001,Lamp,3.00,USD\n';
    const preview = await parseAll([streamFile(text, 'Retail.OrderHistory.1.csv')], 1000, true);
    const full = await parseAll([streamFile(text, 'Retail.OrderHistory.1.csv')], 1000, false);
    const day = full.chunks[0]!.observations[0]!.data.order_date;
    expect(preview.chunks[0]!.observations).toEqual([
      { stream: 'orders', data: { id: '111-1111111-1111111', order_date: day } },
      { stream: 'order_items', data: { id: '111-1111111-1111111|name:handmade mug', order_date: day } },
      { stream: 'order_items', data: { id: '111-1111111-1111111|B000000001', order_date: day } },
    ]);
    expect(full.chunks[0]!.observations[0]!.data).toMatchObject({ order_total_cents: 1550, currency: 'USD', item_count: 2 });
  });
});
