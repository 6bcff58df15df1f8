/** Issue 9's owner polish, pure parts: quiet months, one date format in notes, day-vs-instant, the server address check. */
import { describe, expect, it } from 'vitest';
import { datesInWords, fieldDifference, formatMonthSpan, quietMonths, sameFieldValue } from '../../../src/ui/format';
import { ADDRESS_EXAMPLE, serverAddressProblem } from '../../../src/export/ui/server-address';

describe('quiet months in an import preview', () => {
  it('are said as a fact about the history, never as missing records', () => {
    expect(formatMonthSpan('2021-03-01', '2021-05-31')).toBe('from March to May 2021');
    expect(formatMonthSpan('2020-11-01', '2021-02-28')).toBe('from November 2020 to February 2021');
    expect(formatMonthSpan('2021-03-01', '2021-03-31')).toBe('in March 2021');
    const sentence = quietMonths([{ start: '2022-01-01', end: '2022-04-30' }, { start: '2021-03-01', end: '2021-05-31' }], 'orders');
    expect(sentence).toBe('This history has no orders from March to May 2021 and from January to April 2022.');
    expect(sentence).not.toMatch(/gap|No records between|missing/i);
    const many = [
      { start: '2019-03-01', end: '2019-07-31' },
      { start: '2021-08-01', end: '2022-05-31' },
      { start: '2020-05-01', end: '2020-10-31' },
      { start: '2022-07-01', end: '2022-11-30' },
    ];
    expect(quietMonths(many, 'orders')).toBe('This history has 4 stretches of three months or more with no orders; the longest ran from August 2021 to May 2022.');
  });
});

describe('one date format', () => {
  it('rewrites ISO days and instants in sentences written elsewhere', () => {
    expect(datesInWords('Not present in a complete read of 2024-01-01 to 2024-12-31 (page).')).toBe('Not present in a complete read of Jan 1, 2024 to Dec 31, 2024 (page).');
    expect(datesInWords('Order 112-0385716-2849013 has no date')).toBe('Order 112-0385716-2849013 has no date');
    expect(datesInWords('at 2024-03-02T10:00:00Z')).toMatch(/^at Mar [23], 2024, \d{2}:\d{2}$/);
  });

  it('does not call a day and an instant of the same day a difference', () => {
    expect(sameFieldValue('2023-09-02', '2023-09-02T15:09:26Z')).toBe(true);
    expect(sameFieldValue('2023-09-02T15:09:26Z', '2023-09-02')).toBe(true);
    // The page's local day and the export's UTC instant can be a day apart for the same order.
    expect(sameFieldValue('2023-09-02', '2023-09-03T03:09:26Z')).toBe(true);
    expect(sameFieldValue('2023-09-02', '2023-09-05T15:09:26Z')).toBe(false);
    expect(sameFieldValue(2750, 2750)).toBe(true);
    expect(sameFieldValue(2750, 2800)).toBe(false);
    expect(sameFieldValue('Shipped', 'Delivered')).toBe(false);
    // Two days one apart: a page's local day and an export's UTC day of one order; said, not flagged.
    expect(fieldDifference('2023-02-08', '2023-02-07')).toBe('time_zone');
    expect(fieldDifference('2023-02-09', '2023-02-07')).toBe('differs');
    expect(fieldDifference('2023-09-02', '2023-09-02T15:09:26Z')).toBe('same');
  });
});

describe('the personal server address', () => {
  it('says what an address looks like when given a description', () => {
    const problem = serverAddressProblem('pdpp server at home');
    expect(problem).toContain('not a web address');
    expect(problem).toContain(ADDRESS_EXAMPLE);
    expect(serverAddressProblem('pdpp')).toContain(ADDRESS_EXAMPLE);
    expect(serverAddressProblem('http://pdpp.example.org')).toMatch(/https:\/\//);
  });

  it('accepts real addresses and an empty field', () => {
    for (const ok of ['', 'https://pdpp.example.org', 'pdpp.example.org', 'http://127.0.0.1:7662', 'localhost:7662', 'https://nas', 'nas:7662']) expect(serverAddressProblem(ok), ok).toBeUndefined();
  });
});
