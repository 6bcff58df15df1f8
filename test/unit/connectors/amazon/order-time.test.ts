/** `orderTimes`: Amazon's own `YYYY-MM-DDTHH:MM:SSZ` read by hand gives what the general path gives. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { orderTimes, orderTimesOf } from '../../../../src/connectors/amazon/order-time';
import { withTimeZone } from './helpers';

const two = (max: number) => fc.integer({ min: 0, max }).map((n) => String(n).padStart(2, '0'));

describe('orderTimes', () => {
  it('reads any Zulu instant (real or not: Feb 30, 24:00, 61 seconds, year 0099) as the general path does, in any time zone', () => {
    const zulu = fc
      .tuple(fc.oneof(fc.integer({ min: 1990, max: 2040 }), fc.integer({ min: 0, max: 9999 })), two(13), two(32), two(25), two(61), two(61))
      .map(([year, month, day, hour, minute, second]) => `${String(year).padStart(4, '0')}-${month}-${day}T${hour}:${minute}:${second}Z`);
    const zone = fc.constantFrom('UTC', 'America/Los_Angeles', 'Asia/Kolkata', 'Australia/Lord_Howe', 'Pacific/Apia');
    fc.assert(
      fc.property(zulu, zone, (value, tz) => {
        withTimeZone(tz, () => expect(orderTimes(value)).toEqual(orderTimesOf(value)));
      }),
      { numRuns: 2000 },
    );
  });

  it('leaves every other shape to the general path', () => {
    for (const value of ['2020-01-01T10:00:00.000Z', '2020-01-01T10:00:00+01:00', '2020-01-01', '2020-01-01T23:30:00', '2020-01-01t10:00:00z', '２020-01-01T10:00:00Z', ' 2020-01-01T10:00:00Z', '']) {
      expect(orderTimes(value)).toEqual(orderTimesOf(value));
    }
    expect(withTimeZone('America/Los_Angeles', () => orderTimes('2023-02-08T03:41:19Z'))).toEqual({ day: '2023-02-07', instant: '2023-02-08T03:41:19Z', at: Date.UTC(2023, 1, 8, 3, 41, 19) });
    // Leap days: every fourth year, not a century's, but every fourth century's.
    for (const [year, leap] of [[2023, false], [2024, true], [1900, false], [2000, true], [2100, false]] as const) {
      const value = `${year}-02-29T10:00:00Z`;
      expect(orderTimes(value) !== null, value).toBe(leap);
      expect(orderTimes(value)).toEqual(orderTimesOf(value));
    }
  });
});
