import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cleanText, formatCents, itemKey, marketplaceOf, parseMoney, parseMonthDate } from '../../../../src/connectors/amazon/util';

const MONTHS = ['January', 'February', 'March', 'April', 'May', 'June', 'July', 'August', 'September', 'October', 'November', 'December'];

describe('parseMonthDate', () => {
  it.each([
    ['January 15, 2024', '2024-01-15'],
    ['December 31, 2024', '2024-12-31'],
    ['Ordered on January 1, 2024', '2024-01-01'],
    ['Sept 9 2024', '2024-09-09'],
    ['15 January 2024', '2024-01-15'],
    ['February 29, 2024', '2024-02-29'],
  ])('%s → %s', (text, day) => expect(parseMonthDate(text)).toBe(day));

  it.each(['February 29, 2023', 'January 18', 'Smarch 3, 2024', '2024-01-15', '', 'January 32, 2024'])('rejects %j', (text) =>
    expect(parseMonthDate(text)).toBeNull(),
  );

  it('round-trips every calendar day, whatever the time zone', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('1995-01-01T00:00:00Z'), max: new Date('2099-12-31T00:00:00Z'), noInvalidDate: true }), (d) => {
        const y = d.getUTCFullYear();
        const m = d.getUTCMonth();
        const day = d.getUTCDate();
        const iso = `${y}-${String(m + 1).padStart(2, '0')}-${String(day).padStart(2, '0')}`;
        expect(parseMonthDate(`${MONTHS[m]} ${day}, ${y}`)).toBe(iso);
      }),
    );
  });
});

describe('parseMoney', () => {
  it.each([
    ['$1,234.56', 123456, 'USD'],
    ['$45.98', 4598, 'USD'],
    ['23.99', 2399, null],
    ['0', 0, null],
    ['-5.00', -500, null],
    ['Grand Total: $1,000,000.10', 100000010, 'USD'],
    ['£7.5', 750, 'GBP'],
  ])('%s', (text, cents, currency) => {
    expect(parseMoney(text)).toMatchObject({ cents, currency });
  });

  it.each(['Not Available', '', 'free'])('rejects %j', (text) => expect(parseMoney(text)).toBeNull());

  it('reads a plain export amount ("23.99", "7", "1234567.5") exactly as the general path does', () => {
    const amount = fc.tuple(fc.stringMatching(/^\d{1,14}$/), fc.option(fc.stringMatching(/^\d{0,3}$/))).map(([whole, frac]) => (frac === null ? whole : `${whole}.${frac}`));
    fc.assert(
      fc.property(amount, (text) => {
        // A leading space takes the general (regular expression) path; the answer must not differ.
        expect(parseMoney(text)).toEqual(parseMoney(` ${text}`));
      }),
      { numRuns: 500 },
    );
    expect(parseMoney('123456789012.5')).toBeNull();
    expect(parseMoney('7.5')).toEqual({ display: '7.5', cents: 750, currency: null });
  });

  it('round-trips formatCents', () => {
    fc.assert(
      fc.property(fc.integer({ min: -1e10, max: 1e10 }), (cents) => {
        expect(parseMoney(formatCents(cents, 'USD'))?.cents).toBe(cents);
      }),
    );
  });
});

describe('small helpers', () => {
  it('formatCents', () => {
    expect(formatCents(123456, 'USD')).toBe('$1,234.56');
    expect(formatCents(5, 'EUR')).toBe('0.05 EUR');
    expect(formatCents(100, null)).toBe('1.00');
  });

  it('itemKey prefers the ASIN, else a normalised name', () => {
    expect(itemKey('B0BSHF7WHW', 'Anything')).toBe('B0BSHF7WHW');
    expect(itemKey(null, '  Café   MUG\u00a0Large ')).toBe('name:café mug large');
    expect(itemKey('bad', '')).toBeNull();
  });

  it('cleanText never returns an empty string', () => {
    expect(cleanText('   \n ')).toBeNull();
    expect(cleanText(' a  b ')).toBe('a b');
    expect(cleanText('x'.repeat(10), 4)).toBe('xxxx');
  });

  it('marketplaceOf', () => {
    expect(marketplaceOf('Amazon.com')).toBe('amazon.com');
    expect(marketplaceOf('www.amazon.com')).toBe('amazon.com');
    expect(marketplaceOf('  ')).toBeNull();
  });
});
